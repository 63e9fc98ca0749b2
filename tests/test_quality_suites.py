"""The suites in expectations/ are well-formed, and the runner reports failing rows by key."""

import json

import pandas as pd
import pytest

from jinchengtuo.quality import load_suites, run_suite
from jinchengtuo.quality.suites import load_suite


def test_every_suite_loads_and_names_an_asset_and_severities():
    suites = load_suites()
    assert {s.name for s in suites} >= {"census_street", "dim_street", "district_totals", "fct_street_year", "extracted_value", "fct_document_inventory"}
    for s in suites:
        assert s.asset and s.sql
        for e in s.expectations:
            assert e["meta"].get("severity", "error") in ("error", "warning"), (s.name, e)


def test_failing_rows_are_reported_by_key_and_warnings_do_not_fail():
    suite = next(s for s in load_suites() if s.name == "fct_document_inventory")
    df = pd.DataFrame({
        "source_path": ["a.pdf", "b.pdf", "c.html"],
        "status": ["extracted", "failed", "eaten"],
        "reason": [None, "b.pdf: the file is empty", None],
        "is_misfiled": [False, False, True],
    })
    result = run_suite(suite, df)
    assert not result.passed
    bad = {o.expectation: o for o in result.failures}
    assert bad["expect_column_values_to_be_in_set"].failing_rows == [{"source_path": "c.html", "status": "eaten"}]
    assert "expect_column_values_to_not_be_null" in bad  # c.html has no reason
    assert {o.expectation for o in result.warnings} == {"expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"}
    ok = run_suite(suite, df.iloc[:2])
    assert ok.passed and ok.warnings  # a failed file is a warning, not a blocker


def test_a_suite_that_great_expectations_would_collapse_is_refused(tmp_path):
    path = tmp_path / "marts" / "twice.json"
    path.parent.mkdir()
    path.write_text(json.dumps({
        "name": "twice", "meta": {"asset": "marts/x", "table": "marts.x", "scope": "all"},
        "expectations": [
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "s", "value_set": ["a"]}, "meta": {"severity": "error"}},
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "s", "value_set": ["a", "b"]}, "meta": {"severity": "warning"}},
        ],
    }), encoding="utf-8")
    with pytest.raises(ValueError, match="make them distinct"):
        run_suite(load_suite(path), pd.DataFrame({"s": ["a"]}))
