"""Scope as configuration, the unit hierarchy (dim_unit), peer-group ranks (fct_peer_rank) and the
synthetic national corpus (issue 14).

Known answers: the counts of the national reference are read here with the csv module
independently of reference/scope.py; the peer ranks of a hand-made composite table are written
out by hand; the national corpus is extracted with the national directory and compared with its
truth.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from jinchengtuo import config
from jinchengtuo.reference.scope import Scope, ScopeError, unit_kind

NATIONAL = config.PROJECT_DIR / "sources" / "reference" / "national"
DBT = str(Path(sys.executable).with_name("dbt"))


def _streets_csv() -> list[dict]:
    with (NATIONAL / "streets.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _shenzhen_codes() -> list[str]:
    with (config.PROJECT_DIR / "sources" / "reference" / "streets.csv").open(encoding="utf-8-sig", newline="") as f:
        return sorted(r["street_code"] for r in csv.DictReader(f))


# ------------------------------------------------------------------------------------ scope
def test_default_scope_is_shenzhen_unchanged(monkeypatch):
    monkeypatch.delenv("JCT_SCOPE", raising=False)
    scope = Scope.from_env()
    assert scope.is_shenzhen and scope.spec == "shenzhen" and config.scope() == scope
    units = scope.units()
    assert sorted(units["unit_code"]) == _shenzhen_codes() and len(units) == 74
    assert set(units["unit_kind"]) == {"street"} and set(units["city_code"]) == {"4403"}
    assert scope.directory_name == "shenzhen"
    monkeypatch.setenv("JCT_SCOPE", "")
    assert Scope.from_env().is_shenzhen


def test_scope_of_a_city_a_province_and_the_country(monkeypatch):
    rows = _streets_csv()
    monkeypatch.setenv("JCT_SCOPE", "national")
    national = Scope.from_env()
    assert national.is_national and len(national.units()) == len(rows) == 41352
    guangdong = Scope.parse("44")
    assert len(guangdong.units()) == sum(r["provinceCode"] == "44" for r in rows)
    # the city of Shenzhen is its 79 units: the 74 streets and 5 others (bonded zones, the airport)
    shenzhen_city = Scope.parse("4403")
    units = shenzhen_city.units()
    assert len(units) == 79 and Counter(units["unit_kind"]) == {"street": 74, "other": 5}
    assert Scope.parse("深圳市") == shenzhen_city and Scope.parse(" 4403 ") == shenzhen_city
    # several places, a place inside another dropped, names of unique places
    two = Scope.parse("4403，4401")
    assert two.codes == ("4401", "4403") and two.slug == "areas-4401-4403"
    assert len(two.units()) == sum(r["cityCode"] in ("4401", "4403") for r in rows)
    assert Scope.parse("广东省,4401").codes == ("44",)
    assert Scope.parse("北京市").codes == ("11",)  # the province, not its 市辖区 city 1101
    assert Scope.parse("440305").units()["county_name"].unique().tolist() == ["南山区"]
    assert Scope.parse(two.spec) == two and guangdong.contains("440305001") and not guangdong.contains("110101001")
    assert national.directory_name == "national" and guangdong.province_codes() == ["44"]


@pytest.mark.parametrize("bad, reason", [
    ("123", "is not a province"), ("99", "no township-level unit"), ("鼓楼区", "names 4 places"), ("火星市", "is no province"),
])
def test_a_scope_that_names_nothing_is_refused(bad, reason):
    with pytest.raises(ScopeError, match=reason):
        Scope.parse(bad)


def test_refresh_refuses_a_scope_that_names_nothing_before_it_runs(tmp_path, monkeypatch):
    """`refresh --scope` is parsed before anything is built: a bad scope (flag or JCT_SCOPE) exits 2 naming it."""
    from jinchengtuo.cli import app

    monkeypatch.setenv("JCT_WAREHOUSE", str(tmp_path / "w.duckdb"))
    monkeypatch.delenv("JCT_SCOPE", raising=False)
    result = CliRunner().invoke(app, ["refresh", "--scope", "99"])
    assert result.exit_code == 2 and "--scope: scope '99': no township-level unit" in result.output, result.output
    monkeypatch.setenv("JCT_SCOPE", "火星市")
    result = CliRunner().invoke(app, ["refresh"])
    assert result.exit_code == 2 and "JCT_SCOPE: scope '火星市'" in result.output, result.output
    assert not (tmp_path / "w.duckdb").exists() and not (tmp_path / "w.dagster_home").exists()


def test_unit_kinds_from_the_name_then_the_code():
    assert unit_kind("园岭街道", "440304002") == "street"
    assert unit_kind("南磨房地区", "110105016") == "street"  # Beijing's 地区 offices: code 0xx
    assert unit_kind("青山镇", "430121103") == "town"
    assert unit_kind("霞云岭乡", "110111208") == "township"
    assert unit_kind("吉忽伦图苏木", "150422209") == "township"
    assert unit_kind("福田保税区", "440304400") == "other"
    assert unit_kind("县直辖村级区划", "469024100") == "other"
    units = Scope.parse("national").units()
    names = units["unit_name"]
    assert (units.loc[names.str.endswith("街道"), "unit_kind"] == "street").all()
    assert (units.loc[names.str.endswith("镇"), "unit_kind"] == "town").all()
    assert set(units.loc[units["unit_kind"].isin(["town", "township"]), "peer_kind"]) == {"town"}


# ------------------------------------------------------------------- dim_unit, fct_peer_rank
# A hand case on real units (scope: the cities 4401 and 4402 and the province 45):
#   4401 streets  S1 80, S2 70, S3 70 (tie); towns T1 90, T2 (not ranked)
#   4402 street   S4 75; town T3 60
#   45   street   S5 85 (city 4501)
#   4403 street   X 99 (outside the scope: never ranked)
def _pick(units: pd.DataFrame, city: str, kind: str, k: int) -> list[str]:
    return sorted(units.loc[(units["city_code"] == city) & (units["peer_kind"] == kind), "unit_code"])[:k]


@pytest.fixture(scope="module")
def peer_warehouse(tmp_path_factory):
    from jinchengtuo.reference.scope import national_units
    from jinchengtuo.warehouse.loaders import load_reference, load_units
    from jinchengtuo.warehouse.schema import ensure_raw_schema

    root = tmp_path_factory.mktemp("scope_units")
    path = root / "w.duckdb"
    units = national_units()
    s1, s2, s3 = _pick(units, "4401", "street", 3)
    t1, t2 = _pick(units, "4401", "town", 2)
    (s4,), (t3,), (s5,), (x,) = (_pick(units, "4402", "street", 1), _pick(units, "4402", "town", 1),
                                 _pick(units, "4501", "street", 1), _pick(units, "4403", "street", 1))
    scope = Scope.parse("4401,4402,45")
    scores = [(s1, 80.0), (s2, 70.0), (s3, 70.0000001), (t1, 90.0), (t2, None), (s4, 75.0), (t3, 60.0), (s5, 85.0), (x, 99.0)]
    con = duckdb.connect(str(path))
    try:
        ensure_raw_schema(con)
        load_reference(con, config.PROJECT_DIR / "sources" / "reference")  # streets, districts
        assert load_units(con, config.PROJECT_DIR / "sources" / "reference", scope) == 41352
        con.execute("create schema if not exists marts")
        frame = pd.DataFrame([{"street_code": c, "year": 2021, "composite_score": s, "is_ranked": s is not None} for c, s in scores])
        frame = pd.concat([frame, frame.assign(year=2022, composite_score=frame["composite_score"].where(frame["street_code"] != s1, 10.0))])
        con.register("hand", frame)
        con.execute("create table marts.fct_composite_score as select * from hand")
    finally:
        con.close()
    env = {**os.environ, "JCT_WAREHOUSE": str(path), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    # dbt build: the models and their data tests (unique, not_null, accepted values, relationships)
    out = subprocess.run([DBT, "build", "--select", "stg_reference__units", "stg_reference__streets", "dim_unit", "fct_peer_rank",
                          "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
                          "--target-path", str(root / "target"), "--log-path", str(root / "logs")],
                         env=env, capture_output=True, text=True, timeout=600)
    assert "Completed successfully" in out.stdout, out.stdout[-4000:]
    con = duckdb.connect(str(path), read_only=True)
    try:
        dim = con.execute("select * from marts.dim_unit").df()
        peer = con.execute("select * from marts.fct_peer_rank").df()
        import yaml

        described = {m["name"]: {c["name"] for c in m["columns"] if c.get("description")} for m in yaml.safe_load(
            (config.DBT_PROJECT_DIR / "models" / "marts" / "_marts_units.yml").read_text(encoding="utf-8"))["models"]}
        assert set(dim.columns) == described["dim_unit"] and set(peer.columns) == described["fct_peer_rank"]
    finally:
        con.close()
    codes = dict(S1=s1, S2=s2, S3=s3, T1=t1, T2=t2, S4=s4, T3=t3, S5=s5, X=x)
    return {"dim": dim, "peer": peer, "codes": codes, "units": units, "scope": scope}


def test_dim_unit_is_the_whole_hierarchy(peer_warehouse):
    dim = peer_warehouse["dim"]
    rows = _streets_csv()
    assert len(dim) == 41352 and dim["unit_code"].is_unique
    for column in ("province_code", "province_name", "city_code", "city_name", "county_code", "county_name"):
        assert dim[column].notna().all() and (dim[column].astype(str).str.len() > 0).all(), column
    assert (dim.apply(lambda r: r["unit_code"].startswith(r["county_code"]) and r["county_code"].startswith(r["city_code"])
                      and r["city_code"].startswith(r["province_code"]), axis=1)).all()
    assert dim["province_code"].nunique() == 31 and dim["county_code"].nunique() == len({r["areaCode"] for r in rows})
    assert Counter(dim["unit_kind"]) == Counter(unit_kind(r["name"], r["code"]) for r in rows)
    # the scope's units are flagged, and dim_street's 74 are known whatever the scope
    assert dim["in_scope"].sum() == len(peer_warehouse["scope"].units()) and set(dim["scope"]) == {"4401,4402,45"}
    assert sorted(dim.loc[dim["is_shenzhen_street"], "unit_code"]) == _shenzhen_codes()
    yuanling = dim.set_index("unit_code").loc["440304002"]
    assert (yuanling["full_name"], yuanling["unit_kind_label"]) == ("广东省深圳市福田区园岭街道", "街道 street")
    assert dim.set_index("unit_code").loc["110101001", "full_name"] == "北京市东城区东华门街道"


def test_peer_ranks_on_a_hand_case(peer_warehouse):
    peer, c = peer_warehouse["peer"], peer_warehouse["codes"]
    name = {v: k for k, v in c.items()}
    p = peer[peer["year"] == 2021]
    got = {(name[r.unit_code], r.peer_level): (None if pd.isna(r.rank) else int(r.rank), int(r.n_in_group)) for r in p.itertuples()}
    assert "X" not in {k[0] for k in got}  # outside the scope
    assert got[("S1", "city")] == (1, 3) and got[("S2", "city")] == (2, 3) and got[("S3", "city")] == (2, 3)
    assert got[("S4", "city")] == (1, 1) and got[("S5", "city")] == (1, 1)
    assert got[("S1", "province")] == (1, 4) and got[("S4", "province")] == (2, 4) and got[("S2", "province")] == (3, 4)
    assert got[("S5", "province")] == (1, 1)
    assert [got[(k, "national")] for k in ("S5", "S1", "S4", "S2", "S3")] == [(1, 5), (2, 5), (3, 5), (4, 5), (4, 5)]
    # towns apart from streets: T1 (90) is not ahead of any street's rank
    assert got[("T1", "city")] == (1, 1) and got[("T2", "city")] == (None, 1)
    assert got[("T1", "national")] == (1, 2) and got[("T3", "national")] == (2, 2) and got[("T3", "province")] == (2, 2)
    row = p[(p["unit_code"] == c["T2"]) & (p["peer_level"] == "city")].iloc[0]
    assert row["n_units_in_group"] == 2 and not row["is_ranked"] and row["peer_group"] == "town:city:4401"
    assert bool(p[(p["unit_code"] == c["S2"]) & (p["peer_level"] == "city")].iloc[0]["is_tied"])
    # how much of the group the scope covers: every street of Guangzhou in the reference
    units = peer_warehouse["units"]
    s1 = p[(p["unit_code"] == c["S1"]) & (p["peer_level"] == "city")].iloc[0]
    assert s1["n_units_in_reference"] == ((units["city_code"] == "4401") & (units["peer_kind"] == "street")).sum()
    assert set(p["peer_level"]) == {"city", "province", "national"} and len(p) == 8 * 3
    # another year is ranked on its own scores: S1 falls to the bottom of Guangzhou's streets
    p22 = peer[(peer["year"] == 2022) & (peer["peer_level"] == "city") & (peer["unit_code"] == c["S1"])].iloc[0]
    assert int(p22["rank"]) == 3


# ------------------------------------------------------------------------- national corpus
def test_sampling_is_deterministic_and_spread_across_provinces():
    from jinchengtuo.corpus.national import sample_units

    a, b, other = sample_units(200, seed=5), sample_units(200, seed=5), sample_units(200, seed=6)
    assert a["unit_code"].tolist() == b["unit_code"].tolist() and a["unit_code"].tolist() != other["unit_code"].tolist()
    assert len(a) == 200 and a["unit_code"].is_unique and a["province_code"].nunique() == 31
    assert set(a["peer_kind"]) <= {"street", "town"}
    guangdong = sample_units(20, seed=5, scope=Scope.parse("44"))
    assert len(guangdong) == 20 and set(guangdong["province_code"]) == {"44"}


@pytest.fixture(scope="module")
def national_corpus(tmp_path_factory):
    from jinchengtuo.cli import app

    out = tmp_path_factory.mktemp("national_corpus")
    result = CliRunner().invoke(app, ["sample-corpus", "--scope", "national", "--units", "30", "--years", "2022",
                                      "--seed", "3", "--workers", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_national_corpus_layout_and_truth(national_corpus):
    out, output = national_corpus
    assert "national sample corpus: 30 units, 60 files" in output
    files = [json.loads(line) for line in (out / "truth" / "files.jsonl").read_text(encoding="utf-8").splitlines()]
    values = [json.loads(line) for line in (out / "truth" / "values.jsonl").read_text(encoding="utf-8").splitlines()]
    units = Scope.parse("national").units().set_index("unit_code")
    assert len(files) == 60 and Counter(f["doc_type"] for f in files) == {"final_accounts": 30, "info_disclosure": 30}
    for f in files:
        year, province, county, unit, _name = f["file"].split("/")
        assert (int(year), unit) == (f["year"], f["street_code"]) and (out / "documents" / f["file"]).is_file()
        assert (units.loc[unit, "province_code"], units.loc[unit, "county_code"]) == (province, county)
        assert f["expected_status"] in ("extracted", "partial") and f["format"] in ("html", "pdf")
    assert {v["file"] for v in values} <= {f["file"] for f in files} and len(values) > 30 * 20
    meta = json.loads((out / "truth" / "corpus.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] and meta["n_files"] == 60 and len(meta["units"]) == 30
    sampled = pd.read_csv(out / "truth" / "units.csv", dtype={"unit_code": str})
    assert sorted(sampled["unit_code"]) == sorted(meta["units"]) == sorted({f["street_code"] for f in files})
    assert sampled["is_synthetic"].all() and (sampled["population_2020"] > 0).all()


def test_national_corpus_is_attributed_through_the_national_directory(national_corpus):
    from jinchengtuo.corpus.evaluate import evaluate
    from jinchengtuo.corpus.national import attribution
    from jinchengtuo.documents import extract_corpus
    from jinchengtuo.reference.national import NationalDirectory

    out, _ = national_corpus
    result = extract_corpus(out / "documents", streets=NationalDirectory.load(), workers=2)
    share = attribution(out / "truth", result.documents)
    assert share["n"] == 60 and share["share_right"] >= 0.95, (share["wrong"], share["unattributed"])
    assert not share["wrong"]  # never attributed to another unit
    ev = evaluate(out / "truth", result.documents, result.values)
    assert ev.recall >= 0.95 and ev.precision >= 0.99, ev.summary()


def test_units_sharing_a_name_are_told_apart_by_the_places_printed(tmp_path):
    """The 12 青山镇 of China and the five 城关镇 of 濮阳市 (one of them in 濮阳县, whose core 濮阳 is
    also the city's name): every document goes to its own unit."""
    from jinchengtuo.corpus.national import attribution, generate_national
    from jinchengtuo.documents import extract_corpus
    from jinchengtuo.reference.national import NationalDirectory
    from jinchengtuo.reference.scope import national_units

    units = national_units()
    qingshan = units.loc[units["unit_name"] == "青山镇", "unit_code"].tolist()
    puyang = units.loc[(units["unit_name"] == "城关镇") & (units["city_code"] == "4109"), "unit_code"].tolist()
    assert len(qingshan) == 12 and len(puyang) == 5 and "410928100" in puyang
    corpus = generate_national(tmp_path, 0, [2021], seed=5, workers=2, unit_codes=qingshan + puyang)
    assert corpus.n_units == 17 and corpus.n_files == 34
    result = extract_corpus(tmp_path / "documents", streets=NationalDirectory.load(), workers=2)
    share = attribution(tmp_path / "truth", result.documents)
    assert not share["wrong"] and share["right"] == 34, share["unattributed"]


@pytest.mark.parametrize("text, code", [
    ("普兰店区双塔街道办事处2021 年部门决算公开 普兰店区双塔街道办事处", "210214018"),  # not 双塔区's 双塔街道
    ("云城区河口街道办事处2022年政府信息公开年度报告", "445302003"),  # not 河口区's
    ("泸定县兴隆镇人民政府2022年政府信息公开年度报告", "513322102"),  # not 兴隆县's
    ("枣庄市市中区永安镇人民政府", "370402104"), ("四川省内江市市中区永安镇人民政府", "511002104"),
    ("河南省濮阳市清丰县城关镇人民政府", "410922100"), ("濮阳县城关镇人民政府", "410928100"),
])
def test_national_directory_reads_the_places_around_a_shared_name(text, code):
    from jinchengtuo.reference.national import NationalDirectory

    assert [m[2] for m in NationalDirectory.load().find_mentions(text)][:1] == [code]


def test_a_name_the_places_do_not_single_out_is_not_attributed():
    from jinchengtuo.reference.national import NationalDirectory

    directory = NationalDirectory.load()
    assert directory.find_mentions("市中区永安镇人民政府") == []  # 市中区 of 枣庄 and of 内江 both have one
    assert directory.find_mentions("城关镇人民政府2022年度部门决算") == []


def test_the_extraction_cache_is_kept_per_unit_directory(tmp_path, monkeypatch):
    """The same bytes attributed against another directory (another scope, an edited streets.csv)
    are read again: a cached result never carries another directory's attribution."""
    import shutil

    from jinchengtuo import config
    from jinchengtuo.defs.extraction import ExtractionConfig, _cache_dir

    sources = tmp_path / "sources"
    shutil.copytree(config.reference_dir(), sources / "reference")
    monkeypatch.setenv("JCT_SOURCES", str(sources))
    monkeypatch.setenv("JCT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("JCT_SCOPE", "shenzhen")
    shenzhen = _cache_dir(ExtractionConfig())
    assert shenzhen == _cache_dir(ExtractionConfig())  # stable while nothing changes
    assert shenzhen.parent == tmp_path / "cache" / "extraction"
    monkeypatch.setenv("JCT_SCOPE", "national")
    national = _cache_dir(ExtractionConfig())
    monkeypatch.setenv("JCT_SCOPE", "4404")
    zhuhai = _cache_dir(ExtractionConfig())
    assert len({shenzhen, national}) == 2 and zhuhai.parent == national.parent
    monkeypatch.setenv("JCT_SCOPE", "shenzhen")
    streets = sources / "reference" / "streets.csv"
    streets.write_text(streets.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert _cache_dir(ExtractionConfig()) != shenzhen  # the directory changed: its attributions are read again
    assert _cache_dir(ExtractionConfig(use_cache=False)) is None


def test_a_scope_change_is_a_change_of_the_refresh_inputs(monkeypatch):
    """`jinchengtuo refresh` skips a run whose inputs fingerprint is the released one: the scope is
    one of those inputs, so switching JCT_SCOPE on the same warehouse rebuilds it."""
    from jinchengtuo.warehouse.fingerprint import inputs_fingerprint

    monkeypatch.setenv("JCT_SCOPE", "shenzhen")
    shenzhen = inputs_fingerprint()
    assert inputs_fingerprint() == shenzhen
    monkeypatch.setenv("JCT_SCOPE", "4404")
    assert inputs_fingerprint() != shenzhen
