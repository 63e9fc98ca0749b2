"""The raw layer on a shared engine: PostgreSQL (dbt target `shared`, docs/scale.md).

One DuckDB file has one writer at a time. When several refreshes (cities, provinces) must write
and many analysts read at once, the warehouse moves to a shared server engine; PostgreSQL is
the one installable here (Debian's postgresql, dbt-postgres from PyPI). `export_raw` copies
every raw table of a DuckDB warehouse (its tables, or its views over the Parquet lake) into the
server's `raw` schema, streaming record batches through COPY (never a whole table in memory);
then `dbt build --target shared` builds staging, intermediate and marts on the server.

    python -m jinchengtuo.warehouse.shared WAREHOUSE.duckdb   (JCT_PG_HOST/PORT/USER/PASSWORD/DATABASE)
"""

from __future__ import annotations

import csv
import io
import os
import sys

from jinchengtuo.warehouse.schema import RAW_TABLES, _split_columns

_PG_TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "DOUBLE": "double precision", "BOOLEAN": "boolean",
             "DATE": "date", "TIMESTAMP": "timestamp", "VARCHAR[]": "text[]"}


def dsn_from_env() -> str:
    e = os.environ.get
    return (f"host={e('JCT_PG_HOST', '127.0.0.1')} port={e('JCT_PG_PORT', '5432')} user={e('JCT_PG_USER', 'jct')} "
            f"dbname={e('JCT_PG_DATABASE', 'jinchengtuo')}" + (f" password={e('JCT_PG_PASSWORD')}" if e("JCT_PG_PASSWORD") else ""))


def pg_ddl(table: str) -> str:
    cols = []
    for part in _split_columns(RAW_TABLES[table]):
        name, sql_type, *rest = part.split()
        cols.append(f"{name} {_PG_TYPES[sql_type]}" + (" NOT NULL" if "NOT" in rest else ""))
    return f"CREATE TABLE raw.{table} ({', '.join(cols)})"


def _cell(value):
    if value is None:
        return None
    if isinstance(value, list):  # a text[] literal
        return "{" + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value) + "}"
    if isinstance(value, bool):
        return "t" if value else "f"
    return value


def export_raw(duckdb_con, pg_con, batch_rows: int = 50_000) -> dict[str, int]:
    """Copy every raw table (or lake view) of the DuckDB warehouse into raw.* on the server,
    replacing what is there; rows per table."""
    present = {r[0] for r in duckdb_con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'").fetchall()}
    counts = {}
    with pg_con.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS raw")
        for table in RAW_TABLES:
            if table not in present:
                continue
            cur.execute(f"DROP TABLE IF EXISTS raw.{table} CASCADE")
            cur.execute(pg_ddl(table))
            cols = [p.split()[0] for p in _split_columns(RAW_TABLES[table])]
            reader = duckdb_con.sql(f"SELECT {', '.join(cols)} FROM raw.{table}").to_arrow_reader(batch_rows)
            n = 0
            for batch in reader:
                buf = io.StringIO()
                w = csv.writer(buf)
                for row in batch.to_pylist():
                    w.writerow(["\\N" if (v := _cell(row[c])) is None else v for c in cols])
                buf.seek(0)
                cur.copy_expert(f"COPY raw.{table} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buf)
                n += batch.num_rows
            counts[table] = n
    pg_con.commit()
    return counts


def main(argv: list[str]) -> None:
    import duckdb
    import psycopg2

    with duckdb.connect(argv[0], read_only=True) as con, psycopg2.connect(dsn_from_env()) as pg:
        for table, n in export_raw(con, pg).items():
            print(f"raw.{table}: {n} rows")


if __name__ == "__main__":
    main(sys.argv[1:])
