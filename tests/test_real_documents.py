"""Extraction judged on real public documents it was not written against.

`../shared/real-documents/` (beside the project, never copied into it) holds real national-template
final accounts and a budget with the figures they state (`values.jsonl`). Every figure must be read
with its value, the blank template must yield none, and the defects injected into the test copy
must make its verification fail. Skipped, with the reason, where the folder is absent (a clone
without the development set); never skipped under CI=true.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

from jinchengtuo.documents import extract_file
from jinchengtuo.reference import StreetDirectory

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real-documents"

if not (REAL / "values.jsonl").exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{REAL} is missing: CI must judge extraction on the real development documents")
    pytest.skip(f"the real development documents are not beside the project ({REAL} missing)", allow_module_level=True)


@pytest.fixture(scope="module")
def results():
    streets = StreetDirectory.load()
    return {p.relative_to(REAL).as_posix(): extract_file(p, documents_root=REAL, streets=streets) for p in sorted(REAL.rglob("*.pdf"))}


def _truth():
    by_file = defaultdict(dict)
    for line in (REAL / "values.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            t = json.loads(line)
            by_file[t["file"]][t["field_id"]] = t
    return by_file


def test_every_stated_figure_is_read_with_its_value(results):
    truth = _truth()
    assert truth, "values.jsonl lists no figure"
    wrong = []
    for file, fields in truth.items():
        got = {v["field_id"]: v for v in results[file].values}
        assert results[file].year == next(iter(fields.values()))["year"], file
        for field_id, t in fields.items():
            v = got.get(field_id)
            if v is None or abs(v["value"] - t["value"]) > max(0.01, 0.005 * abs(t["value"])):
                wrong.append(f"{file}: {field_id} expected {t['value']}, got {v and v['value']}")
        # nothing read that the documents do not state (only figures of the truth's fields are judged)
        extra = {f for f in got if f not in fields and (f.startswith("fa_") or f.startswith("bu_")) and not f.endswith("_staff") and f != "fa_authorized_posts"}
        assert not extra, f"{file}: figures not stated in the document: {sorted(extra)}"
    assert not wrong, "\n".join(wrong)


def test_every_figure_is_traced_to_its_page_and_sentence(results):
    for file, r in results.items():
        for v in r.values:
            assert v["source_page"] and 1 <= v["source_page"] <= r.n_pages, (file, v)
            assert v["source_text"].strip(), (file, v)


def test_issuers_outside_the_directory_keep_their_figures(results):
    for file, r in results.items():
        if "模板" in file:
            continue
        assert r.street_code is None and r.status == "unidentified" and r.values, file
        assert r.issuer_name and r.issuer_name.startswith("上海市普陀区"), (file, r.issuer_name)
        assert r.issuer_name in r.reason, r.reason


def test_the_blank_template_yields_no_figure(results):
    [(file, r)] = [(f, r) for f, r in results.items() if "模板" in f]
    assert r.values == [] and r.status == "unidentified" and "template" in r.reason


def test_the_real_document_verifies_and_the_defective_copy_does_not(results):
    good = results["final_accounts/上海市普陀区财政局2024年度部门决算.pdf"]
    bad = results["final_accounts/24年普陀区财政局（测试问题版本）.pdf"]
    budget = results["budget/上海市普陀区司法局2026年部门预算.pdf"]
    assert good.verification == "verified" and good.checks_passed >= 5 and good.checks_failed == 0, good.verification_detail
    assert budget.verification == "verified" and budget.checks_failed == 0, budget.verification_detail
    assert bad.verification == "inconsistent"
    failed = {d["check"] for d in json.loads(bad.verification_detail) if not d["passed"]}
    # the injected defects: a table missing, a blank 三公 table, a heading with the wrong year and a
    # placeholder issuer, the prose contradicting its numbers and the summary table
    assert {"standard_tables_present", "three_public_table_vs_prose", "headings_name_the_year", "no_placeholders",
            "prose_comparison_wording", "prose_grand_total"} <= failed, failed
