"""The raw layer on a shared engine: PostgreSQL (dbt target `shared`, docs/scale.md).

One DuckDB file has one writer at a time. When several refreshes (cities, provinces) must write
and many analysts read at once, the warehouse moves to a shared server engine; PostgreSQL is
the one installable here (Debian's postgresql, dbt-postgres from PyPI). `export_raw` copies
every raw table of a DuckDB warehouse (its tables, or its views over the Parquet lake) into the
server's `raw` schema, streaming record batches through COPY (never a whole table in memory);
then `dbt build --target shared` builds staging, intermediate and marts on the server: the same
models as on DuckDB (their DuckDB-only SQL goes through dbt_project/macros/cross_db.sql), with
the same scores and ranks (tests/test_shared_engine.py).

The database must sort text by code point, as DuckDB does (which copy of a document is the
original, which statement of a field comes first: the models order by text): create it with
`create_database` (UTF-8, collation C); `main` warns about a database that sorts otherwise.

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


# collations that order text by code point (byte order of UTF-8), as DuckDB orders it
CODE_POINT_COLLATIONS = ("C", "POSIX", "C.UTF-8", "C.utf8", "ucs_basic")


def create_database(admin_con, name: str) -> None:
    """CREATE DATABASE for the warehouse: UTF-8, text ordered by code point (collation C).
    `admin_con` is a connection to another database of the server, in autocommit mode."""
    with admin_con.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\' LC_COLLATE \'C\' LC_CTYPE \'C\'')


def collation_problem(pg_con) -> str | None:
    """Why the connected database would order text unlike DuckDB, or None."""
    with pg_con.cursor() as cur:
        cur.execute("SELECT *, pg_encoding_to_char(encoding) AS encoding_name FROM pg_database WHERE datname = current_database()")
        row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    if row["encoding_name"] != "UTF8":
        return f"the database's encoding is {row['encoding_name']}, not UTF8"
    provider = row.get("datlocprovider", "c")  # PostgreSQL 15+: libc (c), ICU (i) or builtin (b, 17+)
    collate = row["datcollate"] if provider == "c" else row.get("daticulocale") or row.get("datlocale")
    if collate not in CODE_POINT_COLLATIONS:
        return (f"the database sorts text by collation {collate}, not by code point as DuckDB does: models that pick a "
                "document or statement by text order may pick another one (create it with create_database)")
    return None


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
        problem = collation_problem(pg)
        if problem:
            print(f"warning: {problem}", file=sys.stderr)
        for table, n in export_raw(con, pg).items():
            print(f"raw.{table}: {n} rows")


if __name__ == "__main__":
    main(sys.argv[1:])
