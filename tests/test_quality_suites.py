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


def _suite_file(tmp_path, meta: dict, expectations: list[dict], name="s"):
    path = tmp_path / "marts" / f"{name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"name": name, "meta": meta, "expectations": expectations}), encoding="utf-8")
    return path


def test_suite_scope_and_severity_are_validated(tmp_path):
    base = {"asset": "marts/x", "table": "marts.x"}
    e = [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "v"}, "meta": {"severity": "error"}}]
    with pytest.raises(ValueError, match=r"s\.json: suite meta 'scope' must be one of year, all"):
        load_suite(_suite_file(tmp_path, base, e))
    with pytest.raises(ValueError, match=r"expectation 1 .*severity must be one of error, warning .*'fatal'"):
        load_suite(_suite_file(tmp_path, {**base, "scope": "all"}, [{**e[0], "meta": {"severity": "fatal"}}]))
    suite = load_suite(_suite_file(tmp_path, {**base, "scope": "year"}, e))
    with pytest.raises(ValueError, match="scope 'year' but the data has no 'year' column"):
        run_suite(suite, pd.DataFrame({"v": [1]}))
    assert {s.name: s.scope for s in load_suites()}["fct_street_year"] == "year"


def test_history_rows_per_expectation_and_year(tmp_path):
    from jinchengtuo.quality import history

    suite = load_suite(_suite_file(tmp_path, {"asset": "marts/x", "table": "marts.x", "scope": "year", "row_key": ["k"]}, [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "v", "min_value": 0}, "meta": {"severity": "error"}},
        {"type": "expect_table_row_count_to_equal", "kwargs": {"value": 3}, "meta": {"severity": "warning"}},
    ]))
    df = pd.DataFrame({"k": ["a", "b", "c", "d"], "year": [2021, 2021, 2022, 2023], "v": [1, -1, 2, -5]})
    result = run_suite(suite, df)
    assert result.blocked_years == {2021, 2023}
    rows = history.result_rows(result, run_id="r1", check_name="gx_s")
    by = {(r["expectation"], r["year"]): r for r in rows}
    assert len(rows) == 4  # three years for the row expectation, one year-less row for the table one
    assert not by[("expect_column_values_to_be_between", 2021)]["passed"] and by[("expect_column_values_to_be_between", 2022)]["passed"]
    assert json.loads(by[("expect_column_values_to_be_between", 2023)]["sample"]) == [{"v": -5, "k": "d", "year": 2023}]  # the failing value, the key, the year
    table_row = by[("expect_table_row_count_to_equal", None)]
    assert table_row["severity"] == "warning" and not table_row["passed"] and json.loads(table_row["sample"]) == [{"observed": 4}]
    import duckdb

    con = duckdb.connect()
    con.execute("create schema meta")
    con.execute("create table meta.refresh_log as select 'r1' as run_id, now()::timestamp as released_at, 'fp' as inputs_fingerprint")
    assert history.record(con, rows) == 4 and history.record(con, rows) == 4  # appends
    assert con.execute("select count(*) from quality.check_result").fetchone()[0] == 8
    blocks = history.blocking_failures(con, history.released_run_id(con))
    assert set(blocks) == {2021, 2023} and blocks[2021][0]["failing_rows"] == 1
    assert "gx_s on marts.x" in history.describe_failure(blocks[2021][0]) and '"k": "b"' in history.describe_failure(blocks[2021][0])


def test_the_same_rows_in_another_order_give_the_same_history(tmp_path):
    from jinchengtuo.quality import history

    suite = load_suite(_suite_file(tmp_path, {"asset": "marts/x", "table": "marts.x", "scope": "year", "row_key": ["k"]}, [
        {"type": "expect_column_values_to_be_between", "kwargs": {"column": "v", "min_value": 0}, "meta": {"severity": "warning"}},
    ]))
    df = pd.DataFrame({"k": [f"s{i:02d}" for i in range(30)], "year": [2021] * 30, "v": [-i for i in range(30)]})
    samples = set()
    for seed in (1, 2, 3):  # a query returns its rows in any order
        rows = history.result_rows(run_suite(suite, df.sample(frac=1, random_state=seed)), run_id="r", check_name="gx_s")
        samples.add(rows[0]["sample"])
    assert len(samples) == 1 and json.loads(samples.pop())[0]["k"] == "s01"  # rows by key; s00 (v = 0) passes


def test_nullable_columns_are_compared_not_skipped():
    suite = next(s for s in load_suites() if s.name == "fct_capacity_score")
    df = pd.DataFrame({"street_code": ["a", "b"], "capacity": ["EXE", "EXE"], "year": [2021, 2021], "score": [50.0, 40.0],
                       "rank": pd.array([1, 2], dtype="Int64"), "expected_rank": pd.array([1, 2], dtype="Int64"),
                       "n_ranked": pd.array([2, None], dtype="Int64"), "ranked_in_year": pd.array([2, 2], dtype="Int64"),
                       "rank_is_consistent": [True, True], "capacity_weight": [0.2, 0.2]})
    result = run_suite(suite, df)
    (bad,) = result.failures
    assert bad.column == "n_ranked" and bad.failing_rows[0]["street_code"] == "b" and result.blocked_years == {2021}


def test_data_docs_site_latest_pointer_and_pruning(tmp_path):
    from jinchengtuo.quality import docs

    suite = next(s for s in load_suites() if s.name == "fct_document_inventory")
    df = pd.DataFrame({"source_path": ["a.pdf"], "status": ["failed"], "reason": ["a.pdf: empty"], "is_misfiled": [False]})
    site = docs.prepare_run("run-a", tmp_path, keep=2)
    result = run_suite(suite, df, docs_dir=site)
    assert result.docs_index == site / "index.html" and result.docs_index.exists()
    assert result.docs_page.is_relative_to(site) and "fct_document_inventory" in result.docs_page.read_text(encoding="utf-8")
    assert (tmp_path / "quality" / "latest.txt").read_text().strip() == "run-a"
    import os
    import time

    for i, rid in enumerate(["run-b", "run-c"]):
        time.sleep(0.01)
        docs.prepare_run(rid, tmp_path, keep=2)
        os.utime(tmp_path / "quality" / rid, (time.time() + i + 1, time.time() + i + 1))
    assert sorted(p.name for p in docs.run_dirs(tmp_path / "quality")) == ["run-b", "run-c"]  # run-a pruned
    assert "run-c/index.html" in (tmp_path / "quality" / "latest" / "index.html").read_text()
    with pytest.raises(ValueError, match="cannot name a data docs folder"):
        docs.run_docs_dir("../x", tmp_path)


def test_rank_interval_suite_accepts_a_mean_outside_a_collapsed_interval():
    """A street at rank 74 in 99.9% of the runs and higher in a few has p05 = p95 = 74 and a mean
    of 73.9988: a valid interval (the sample's 2020 was once blocked on it); a disordered one fails."""
    import duckdb

    suite = next(s for s in load_suites() if s.name == "fct_rank_uncertainty")
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("""create table marts.fct_composite_score as select * from (values
        (2020, '440306018', '西乡街道', true, 74, 74, 'jct-2026.2'),
        (2020, '440306001', '新安街道', true, 1, 74, 'jct-2026.2')) t(year, street_code, street_name, is_ranked, rank, n_ranked, methodology_version)""")
    con.execute("""create table marts.fct_rank_uncertainty as select * from (values
        (2020, '440306018', 74, 74.0, 74, 74, 73.9988, 74, 4000, 'jct-2026.2'),
        (2020, '440306001', 1, 2.0, 1, 3, 2.1, 74, 4000, 'jct-2026.2')) t(year, street_code, nominal_rank, median_rank, rank_p05, rank_p95, rank_mean, n_ranked, n_runs, methodology_version)""")
    assert run_suite(suite, con.execute(suite.sql).df()).passed
    con.execute("update marts.fct_rank_uncertainty set median_rank = 4.0 where street_code = '440306001'")  # median above p95
    bad = run_suite(suite, con.execute(suite.sql).df())
    assert not bad.passed
    assert [r["street_code"] for o in bad.failures for r in o.failing_rows] == ["440306001"]
