"""Quality history: every check run appends its outcomes to `quality.check_result` in the run's
warehouse build, so the table travels with the warehouse through promotion and accumulates
over runs. The yearly publication reads the rows of the released run to decide which years it
may publish.

One row per expectation, and per year when the validated data has a `year` column and the
expectation is about rows; expectations about the whole table (row counts, distinct values)
and suites on year-less data give one row with `year` NULL.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from jinchengtuo import config
from jinchengtuo.quality.runner import SuiteResult

TABLE = "quality.check_result"
DDL = f"""
create table if not exists {TABLE} (
    run_id varchar not null,
    check_name varchar not null,
    suite_path varchar,
    asset_key varchar,
    table_name varchar,
    scope varchar,
    expectation varchar not null,
    column_name varchar,
    severity varchar not null,
    passed boolean not null,
    failing_rows bigint,
    sample varchar,
    year integer,
    checked_at timestamp not null
)
"""
COLUMNS = ["run_id", "check_name", "suite_path", "asset_key", "table_name", "scope", "expectation", "column_name",
           "severity", "passed", "failing_rows", "sample", "year", "checked_at"]


def _suite_path(result: SuiteResult) -> str | None:
    path = result.suite.path
    if path is None:
        return None
    try:
        return path.resolve().relative_to(config.PROJECT_DIR).as_posix()
    except ValueError:
        return str(path)


def _json(rows) -> str | None:
    return json.dumps(rows, ensure_ascii=False, default=str) if rows else None


def result_rows(result: SuiteResult, *, run_id: str, check_name: str, checked_at: datetime | None = None) -> list[dict]:
    """The rows of `quality.check_result` for one suite result."""
    checked_at = checked_at or datetime.now(timezone.utc).replace(tzinfo=None)
    suite = result.suite
    base = {"run_id": run_id, "check_name": check_name, "suite_path": _suite_path(result), "asset_key": suite.asset,
            "table_name": suite.table_name, "scope": suite.scope, "checked_at": checked_at}
    rows = []
    for o in result.outcomes:
        common = {**base, "expectation": o.expectation, "column_name": o.column, "severity": o.severity}
        if o.failing_by_year is not None:
            # about rows, and the data has years: one row per year of the data and per failing year
            years = sorted(set(result.years) | {y for y in o.failing_by_year if y is not None})
            for y in years:
                n = o.failing_by_year.get(y, 0)
                rows.append({**common, "year": y, "passed": o.success or n == 0, "failing_rows": n,
                             "sample": _json(o.sample_by_year.get(y))})
            if None in o.failing_by_year:  # failing rows without a year
                n = o.failing_by_year[None]
                rows.append({**common, "year": None, "passed": o.success, "failing_rows": n,
                             "sample": _json(o.sample_by_year.get(None))})
            if not years and None not in o.failing_by_year:  # no data at all
                rows.append({**common, "year": None, "passed": o.success, "failing_rows": 0, "sample": None})
        else:
            sample = o.failing_rows[:10] if o.failing_rows else ([{"observed": o.observed}] if not o.success else None)
            rows.append({**common, "year": None, "passed": o.success,
                         "failing_rows": o.unexpected_count if o.unexpected_count is not None else (0 if o.success else None),
                         "sample": _json(sample)})
    return rows


def record(con, rows: list[dict]) -> int:
    """Append rows to quality.check_result (created when missing) on an open read-write connection."""
    import pandas as pd

    con.execute("create schema if not exists quality")
    con.execute(DDL)
    if not rows:
        return 0
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["year"] = df["year"].astype("Int64")
    df["failing_rows"] = df["failing_rows"].astype("Int64")
    con.register("_check_rows", df)
    try:
        con.execute(f"insert into {TABLE} select {', '.join(COLUMNS)} from _check_rows")
    finally:
        con.unregister("_check_rows")
    return len(rows)


def _has_table(con, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()[0])


def released_run_id(con) -> str | None:
    """The run that built the published warehouse (the newest row of meta.refresh_log)."""
    if not _has_table(con, "meta", "refresh_log"):
        return None
    row = con.execute("select run_id from meta.refresh_log order by released_at desc limit 1").fetchone()
    return row[0] if row else None


def blocking_failures(con, run_id: str) -> dict[int | None, list[dict]]:
    """Failed error-severity rows of year-scoped suites in `run_id`, by year (None: every year).

    Year-less (scope 'all') errors never reach a released warehouse: they stop the release."""
    if not _has_table(con, "quality", "check_result"):
        return {}
    rows = con.execute(
        f"""select year, check_name, table_name, expectation, column_name, failing_rows, sample, suite_path
            from {TABLE}
            where run_id = ? and severity = 'error' and not passed and scope = 'year'
            order by year nulls first, check_name, expectation, column_name""",
        [run_id],
    ).fetchall()
    out: dict[int | None, list[dict]] = {}
    for year, check, table, expectation, column, n, sample, path in rows:
        out.setdefault(year, []).append({"check_name": check, "table_name": table, "expectation": expectation,
                                         "column_name": column, "failing_rows": n, "sample": sample, "suite_path": path})
    return out


def describe_failure(f: dict) -> str:
    """One line: check, table, expectation, how many rows and which (first ones)."""
    what = f["expectation"] + (f" on {f['column_name']}" if f.get("column_name") else "")
    rows = f"{f['failing_rows']} failing row(s)" if f.get("failing_rows") is not None else "failed"
    sample = ""
    if f.get("sample"):
        try:
            first = json.loads(f["sample"])[:3]
            sample = ": e.g. " + "; ".join(json.dumps(r, ensure_ascii=False) for r in first)
        except ValueError:
            sample = ""
    return f"check {f['check_name']} on {f['table_name']} ({f.get('suite_path') or 'suite'}): {what}, {rows}{sample}"
