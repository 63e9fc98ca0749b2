"""The whole dbt project on the shared engine (PostgreSQL, dbt target `shared`, docs/scale.md).

The same models build on DuckDB (target dev) and on PostgreSQL: the DuckDB-only SQL goes through
the project's dispatched macros (dbt_project/macros/cross_db.sql). One synthetic raw layer (74
streets, three years, ties, outliers, zero denominators, a silent street-year;
jinchengtuo.scoring.synthetic) is written to a DuckDB file and copied into the server's raw
schema by `export_raw`; then one `dbt build` on each engine (seeds, every model and every dbt
test) and the scoring marts compared row for row: scores to 1e-9, ranks identical.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from test_distributed import postgres  # noqa: F401  (the module's own PostgreSQL server; fails under CI=true without one)

YEARS = [2019, 2020, 2021]
DBT = str(Path(sys.executable).with_name("dbt"))

# the scoring marts: (table, key columns, float columns, exact columns)
SCORING = {
    "fct_indicator_value": (
        ["street_code", "year", "indicator_id"],
        ["raw_value", "indicator_coverage", "value_used", "treated_value", "normalised_value", "scale_low", "scale_high",
         "base_weight", "weight", "weighted_contribution"],
        ["capacity", "is_included", "is_imputed", "imputation_method", "imputed_from_year", "is_treated", "direction",
         "counts_in_score", "normalisation", "weighting", "aggregation", "methodology_version"],
    ),
    "fct_capacity_score": (
        ["street_code", "year", "capacity"],
        ["score", "capacity_weight", "composite_contribution"],
        ["rank", "n_ranked", "n_indicators_counted", "n_indicators_imputed", "n_indicators_treated", "methodology_version"],
    ),
    "fct_composite_score": (
        ["street_code", "year"],
        ["composite_score", "data_coverage"],
        ["rank", "is_tied", "n_ranked", "tier", "tier_band", "rank_in_district", "n_ranked_in_district", "previous_rank",
         "rank_change", "is_ranked", "rank_status", "release_status", "has_enough_data", "n_capacities_scored",
         "n_indicators_included", "n_indicators_with_own_data", "n_indicators_imputed", "n_counting_documents"],
    ),
}


def _dbt(args: list[str], env: dict, target: Path) -> subprocess.Popen:
    from jinchengtuo import config

    cmd = [DBT, *args, "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
           "--target-path", str(target), "--log-path", str(target / "logs")]
    return subprocess.Popen(cmd, env={**os.environ, **env, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _statuses(target: Path) -> dict[str, str]:
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results}


@pytest.fixture(scope="module")
def builds(postgres, tmp_path_factory):  # noqa: F811
    import duckdb
    import psycopg2

    from jinchengtuo.scoring.synthetic import make_synthetic_raw, write_synthetic_raw
    from jinchengtuo.warehouse.shared import collation_problem, export_raw

    root = tmp_path_factory.mktemp("shared_engine")
    warehouse = root / "duck.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        write_synthetic_raw(con, make_synthetic_raw(YEARS))
        with psycopg2.connect(host="127.0.0.1", port=postgres, user="jct", dbname="jinchengtuo") as pg:
            assert collation_problem(pg) is None  # text sorts as in DuckDB
            counts = export_raw(con, pg)
    pg_env = {"JCT_PG_PORT": str(postgres), "JCT_PG_HOST": "127.0.0.1", "JCT_PG_USER": "jct", "JCT_PG_DATABASE": "jinchengtuo"}
    # both builds at once: one per engine
    jobs = {"duckdb": _dbt(["build"], {"JCT_WAREHOUSE": str(warehouse)}, root / "target_duckdb"),
            "postgres": _dbt(["build", "--target", "shared"], pg_env, root / "target_postgres")}
    outputs = {name: proc.communicate(timeout=900)[0] for name, proc in jobs.items()}
    return {"warehouse": warehouse, "port": postgres, "counts": counts, "outputs": outputs,
            "statuses": {name: _statuses(root / f"target_{name}") for name in jobs}}


def test_every_node_builds_on_postgres(builds):
    """Seeds, models and dbt tests: every node of the DuckDB build passes on PostgreSQL too."""
    duck, pg = builds["statuses"]["duckdb"], builds["statuses"]["postgres"]
    failed = {uid: s for uid, s in pg.items() if s not in ("success", "pass")}
    assert not failed, (failed, builds["outputs"]["postgres"][-6000:])
    assert not {uid: s for uid, s in duck.items() if s not in ("success", "pass")}, builds["outputs"]["duckdb"][-4000:]
    assert set(pg) == set(duck)
    kinds = {uid.split(".")[0] for uid in pg}
    assert {"seed", "model", "test"} <= kinds
    assert sum(uid.startswith("model.") for uid in pg) >= 50, len(pg)
    assert builds["counts"]["extracted_value"] > 1000


def _norm(v):
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, list):
        return tuple(v)
    return v


def _same_float(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("table", list(SCORING))
def test_scoring_marts_equal_the_duckdb_build(builds, table):
    """Scores within 1e-9, ranks and every flag identical, row for row."""
    import duckdb
    import psycopg2

    keys, floats, exact = SCORING[table]
    columns = keys + floats + exact
    with duckdb.connect(str(builds["warehouse"]), read_only=True) as con:
        duck = con.execute(f"select {', '.join(columns)} from marts.{table}").fetchall()
    with psycopg2.connect(host="127.0.0.1", port=builds["port"], user="jct", dbname="jinchengtuo") as pg:
        cur = pg.cursor()
        cur.execute(f"select {', '.join(columns)} from marts.{table}")
        shared = [tuple(_norm(v) for v in row) for row in cur.fetchall()]
    n = len(keys)
    by_key = {row[:n]: row for row in duck}
    assert len(by_key) == len(duck) == len(shared) > 0
    n_ranked = 0
    for row in shared:
        other = by_key[row[:n]]
        for i, column in enumerate(columns[n:], start=n):
            if column in floats:
                assert _same_float(row[i], other[i]), (table, row[:n], column, row[i], other[i])
            else:
                assert row[i] == other[i], (table, row[:n], column, row[i], other[i])
        n_ranked += row[columns.index("rank")] is not None if "rank" in columns else 0
    if "rank" in columns:
        assert n_ranked > 100  # most street-years are ranked: the comparison covers ranks, not only empty ones


def _fetch_marts(builds) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table of marts on each engine: its column names and rows (numeric as float)."""
    import duckdb
    import psycopg2

    out = {}
    with duckdb.connect(str(builds["warehouse"]), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()]
        out["duckdb"] = {}
        for t in tables:
            rows = con.execute(f"select * from marts.{t}")
            out["duckdb"][t] = ([d[0] for d in rows.description], [tuple(_norm(v) for v in row) for row in rows.fetchall()])
    with psycopg2.connect(host="127.0.0.1", port=builds["port"], user="jct", dbname="jinchengtuo") as pg:
        cur = pg.cursor()
        shared = {}
        for t in tables:
            cur.execute(f"select * from marts.{t}")
            shared[t] = ([d[0] for d in cur.description], [tuple(_norm(v) for v in row) for row in cur.fetchall()])
        out["postgres"] = shared
    return out


def _key(row) -> tuple:
    """A row's values with the floats left out (their order is what pairs rows)."""
    return tuple(repr(v) for v in row if not isinstance(v, float))


def test_every_mart_equals_the_duckdb_build(builds):
    """Every mart, every column: the same names in the same order, the same rows; floats to 1e-9,
    everything else (text, flags, counts, ranks, lists) exactly."""
    marts = _fetch_marts(builds)
    built = {uid.split(".")[-1] for uid in builds["statuses"]["postgres"] if uid.startswith("model.")}
    assert set(marts["duckdb"]) == {name for name in built if name.startswith(("dim_", "fct_"))}  # every mart model, no other table
    for table, (columns, duck) in marts["duckdb"].items():
        shared_columns, shared = marts["postgres"][table]
        assert shared_columns == columns, table
        assert len(shared) == len(duck), table
        ordered = [sorted(rows, key=lambda r: (_key(r), tuple(-1e300 if v is None else v for v in r if isinstance(v, float) or v is None)))
                   for rows in (duck, shared)]
        for a, b in zip(*ordered):
            assert _key(a) == _key(b), (table, a, b)
            for column, u, v in zip(columns, a, b):
                if isinstance(u, float) or isinstance(v, float):
                    assert _same_float(u, v), (table, column, u, v, a[:4])
