"""Attribution against the national directory of township-level units (sources/reference/national/)."""

import json

import pytest
from typer.testing import CliRunner

from jinchengtuo.cli import app
from jinchengtuo.reference.national import NationalDirectory

DOC = """<html><head><meta charset="utf-8"><title>{issuer}2023年工作总结</title></head><body>
<h1>{issuer}2023年工作总结</h1><p>2023年，全镇划分网格86个，配备专职网格员95名。全年受理群众诉求2,345件。</p></body></html>"""


@pytest.fixture(scope="module")
def national():
    return NationalDirectory.load()


def test_the_directory_holds_every_township_level_unit(national):
    assert len(national) == 41352
    assert national.get("440304002").street_name == "园岭街道"


def test_a_name_shared_by_many_units_needs_the_places_around_it(national):
    assert len([u for u in national if u.street_name == "青山镇"]) > 1
    assert national.find_mentions("青山镇人民政府2023年工作总结") == []  # ambiguous: not attributed
    [(_, name, code)] = national.find_mentions("吉林省白城市洮北区青山镇人民政府2023年工作总结")
    assert (name, code) == ("青山镇", "220802101")
    [(_, _, code)] = national.find_mentions("深圳市福田区园岭街道办事处")
    assert code == "440304002"


def test_extract_attributes_a_town_anywhere_with_the_national_directory(tmp_path):
    path = tmp_path / "总结.html"
    path.write_text(DOC.format(issuer="江苏省扬州市仪征市青山镇人民政府"), encoding="utf-8")
    out = CliRunner().invoke(app, ["extract", str(path), "--json", "--directory", "national"])
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert rows and {r["street_code"] for r in rows} == {"321081150"} and {r["status"] for r in rows} == {"extracted"}
    assert {r["field_id"]: r["value"] for r in rows}["ws_grid_workers"] == 95
    # the default directory (Shenzhen's 74 streets) keeps the figures, unattributed
    out = CliRunner().invoke(app, ["extract", str(path), "--json"])
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert out.exit_code == 0 and rows and {r["street_code"] for r in rows} == {None} and {r["status"] for r in rows} == {"unidentified"}
