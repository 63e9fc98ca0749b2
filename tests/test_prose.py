"""Prose extraction (jinchengtuo.documents.prose) on sentences modelled on real documents."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jinchengtuo.documents.prose import RULES, find_prose_values

FIXTURES = Path(__file__).parent / "fixtures" / "prose"
TITLE = {"rule_of_law": "某某街道办事处2022年法治政府建设年度报告", "work_summary": "某某街道2022年工作总结", "info_disclosure": "某某街道办事处2022年政府信息公开工作年度报告"}


def _cases():
    for path in sorted(FIXTURES.glob("*_cases.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for i, case in enumerate(data["cases"]):
            yield pytest.param(data["doc_type"], case, id=f"{path.stem}-{i}")


def _extract(doc_type, text):
    blocks = [(1, TITLE[doc_type]), (2, text)]
    # an approximate figure comes back marked, and is never a value (extract_prose reports it)
    return {m.field_id: m for m in find_prose_values(doc_type, blocks) if not m.approximate}


@pytest.mark.parametrize("doc_type, case", list(_cases()))
def test_fixture_sentence(doc_type, case):
    found = _extract(doc_type, case["text"])
    for field_id, value in (case.get("expect") or {}).items():
        assert field_id in found, f"{field_id} not found in {case['text']!r}; got {sorted(found)}"
        assert found[field_id].value == pytest.approx(value), (field_id, found[field_id])
        assert found[field_id].page == 2
        assert found[field_id].sentence and found[field_id].sentence in case["text"]
    for field_id in case.get("absent") or []:
        assert field_id not in found, f"{field_id} should be absent, got {found[field_id]}"
    if case.get("only"):
        extra = set(found) - set(case.get("expect") or {})
        assert not extra, f"unexpected fields {sorted(extra)} in {case['text']!r}: {[found[f] for f in extra]}"


def test_fixtures_cover_every_prose_field():
    covered = set()
    for param in _cases():
        covered |= set((param.values[1].get("expect") or {}))
    assert {r.field_id for r in RULES} <= covered


def test_rule_units_match_the_field_catalog():
    catalog = Path(__file__).parents[1] / "dbt_project" / "seeds" / "field_catalog.csv"
    if not catalog.exists():
        pytest.skip("field catalog seed not present")
    import csv

    units = {row["field_id"]: (row["doc_type"], row["unit"]) for row in csv.DictReader(catalog.open(encoding="utf-8"))}
    for rule in RULES:
        assert rule.field_id in units, rule.field_id
        assert units[rule.field_id] == (rule.doc_type, rule.unit), rule.field_id
    prose_fields = {f for f, (dt, _) in units.items() if dt in ("rule_of_law", "work_summary") and f[:3] in ("rl_", "ws_")}
    assert prose_fields == {r.field_id for r in RULES if r.doc_type in ("rule_of_law", "work_summary")}


def test_unrelated_doc_type_gives_nothing():
    assert find_prose_values("final_accounts", [(1, "全年受理群众诉求12,345件。")]) == []


def test_source_text_is_the_original_sentence_with_fullwidth_forms():
    text = "全年受理群众诉求１２，３４５件，办结率９８．５％。另有说明。"
    found = _extract("work_summary", text)
    assert found["ws_citizen_requests"].value == 12345
    assert found["ws_citizen_requests"].sentence == "全年受理群众诉求１２，３４５件，办结率９８．５％。"
    assert found["ws_requests_closed_rate"].value == 98.5


def test_the_stated_figure_wins_over_a_later_mention_of_last_year():
    text = "2022年受理群众诉求9,000件。2021年受理群众诉求8,000件。较上年增加1,000件。"
    found = _extract("work_summary", text)
    assert found["ws_citizen_requests"].value == 9000


def test_html_section_numbers_are_kept_as_pages():
    blocks = [(1, TITLE["work_summary"]), (7, "二、平安建设"), (8, "开展应急演练35场。")]
    found = {m.field_id: m for m in find_prose_values("work_summary", blocks)}
    assert found["ws_emergency_drills"].page == 8


@pytest.mark.parametrize("name", ["rule_of_law_full", "work_summary_full"])
def test_full_document_exact_fields(name):
    """A whole report with party-building figures, last year's, the district's and next
    year's targets around the real ones: exactly the expected fields, with the right values."""
    spec = yaml.safe_load((FIXTURES / f"{name}.yaml").read_text(encoding="utf-8"))
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")
    blocks = [(i + 1, para) for i, para in enumerate(p for p in text.split("\n") if p.strip())]
    found = {m.field_id: m.value for m in find_prose_values(spec["doc_type"], blocks)}
    assert found == pytest.approx(spec["expect"])


def test_wrapped_pdf_lines_are_joined_and_headings_kept_apart():
    text = (
        "某街道2022年工作总结\n（一）夯实基层治理基础\n"
        "深化网格化服务管理，依托平台全年共受理群众诉求12,345\n件，办结率98.7%。开展应急演练各类共计\n35场。\n二、下一步"
    )
    found = {m.field_id: m for m in find_prose_values("work_summary", [(3, text)])}
    assert found["ws_citizen_requests"].value == 12345
    assert found["ws_citizen_requests"].sentence == "深化网格化服务管理，依托平台全年共受理群众诉求12,345件，办结率98.7%。"
    assert found["ws_emergency_drills"].value == 35


def test_extract_prose_values_and_issues():
    from jinchengtuo.documents.prose import extract_prose

    blocks = [
        (1, TITLE["work_summary"]),
        (2, "全年开展应急演练35场。走访近百家企业，检查企业近百家次。"),
        (3, "全年开展应急演练36场。"),
    ]
    values, issues = extract_prose("work_summary", blocks)
    by_field = {v.field_id: v for v in values}
    assert by_field["ws_emergency_drills"].value == 35
    assert by_field["ws_emergency_drills"].source_page == 2
    assert by_field["ws_emergency_drills"].unit == "场"
    codes = {(i.code, i.field_id) for i in issues}
    assert ("prose_conflict", "ws_emergency_drills") in codes
    assert ("prose_approximate", "ws_safety_inspections") in codes
    conflict = next(i for i in issues if i.code == "prose_conflict")
    assert "36" in conflict.message and "35" in conflict.message


def test_extract_prose_reports_a_document_without_fields():
    from jinchengtuo.documents.prose import extract_prose

    values, issues = extract_prose("rule_of_law", [(1, "这是一份没有数字的报告。")])
    assert values == [] and [i.code for i in issues] == ["prose_no_fields"]


def test_plan_sections_give_targets_not_figures():
    blocks = [
        (1, "某某街道2022年工作总结和2023年工作计划"),
        (1, "一、2022年工作总结"),
        (1, "全年开展应急演练35场。"),
        (2, "二、2023年工作计划"),
        (2, "（一）强化应急管理"),
        (2, "开展应急演练40场，完成民生实事25项。"),
    ]
    found = {m.field_id: m.value for m in find_prose_values("work_summary", blocks)}
    assert found == {"ws_emergency_drills": 35}


def test_a_section_after_the_plan_counts_again():
    blocks = [
        (1, "某某街道2022年工作总结"),
        (1, "一、下一步工作打算"),
        (1, "开展应急演练40场。"),
        (2, "二、平安建设"),
        (2, "全年开展应急演练35场。"),
    ]
    found = {m.field_id: m.value for m in find_prose_values("work_summary", blocks)}
    assert found == {"ws_emergency_drills": 35}


def test_achievement_headings_do_not_start_a_plan_section():
    blocks = [
        (1, "某某街道2022年工作总结"),
        (1, "（一）圆满完成年度目标任务，2022年工作计划执行情况良好"),
        (1, "全年开展应急演练35场。"),
    ]
    found = {m.field_id: m.value for m in find_prose_values("work_summary", blocks)}
    assert found == {"ws_emergency_drills": 35}


@pytest.mark.parametrize(
    "head, year",
    [
        ("某某街道办事处2022年法治政府建设年度报告", 2022),
        ("成文日期：2023年01月15日\n关于某某街道2022年度法治政府建设工作情况的报告", 2022),
        ("发布日期：2023年2月1日 来源：某某街道\n2022年工作总结和2023年工作计划", 2022),
    ],
)
def test_report_year_from_title_not_publication_date(head, year):
    from jinchengtuo.documents.prose import _report_year

    assert _report_year(head, head) == year


def test_publication_date_does_not_hide_the_year_figures():
    blocks = [(1, "成文日期：2023年01月15日"), (1, "某某街道2022年工作总结"), (2, "2022年，街道开展应急演练35场。")]
    found = {m.field_id: m.value for m in find_prose_values("work_summary", blocks)}
    assert found == {"ws_emergency_drills": 35}


def test_traditional_characters_are_read_and_the_source_text_kept():
    text = "全年受理群眾訴求12,345件，辦結率98.7%；開展應急演練35場。"
    found = {m.field_id: m for m in find_prose_values("work_summary", [(1, "某街道2022年工作總結"), (2, text)])}
    assert found["ws_citizen_requests"].value == 12345
    assert found["ws_requests_closed_rate"].value == 98.7
    assert found["ws_emergency_drills"].value == 35
    assert found["ws_emergency_drills"].sentence == "開展應急演練35場。"
