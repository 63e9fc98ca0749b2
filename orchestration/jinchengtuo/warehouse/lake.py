"""The Parquet lake: extraction results as partitioned Parquet, and the raw views that read it.

Layout of one extraction (a *snapshot*, written once, never changed afterwards):

    <lake>/snapshots/<run>/document/year=YYYY/province=PP/part-<batch>.parquet
    <lake>/snapshots/<run>/extracted_value/year=YYYY/province=PP/part-<batch>.parquet
    <lake>/snapshots/<run>/extraction_issue/year=YYYY/province=PP/part-<batch>.parquet

Each part holds exactly the columns of the raw contract (`warehouse.schema.RAW_TABLES`), with
their types. `year` is the year the document reports on (the `year` column of its rows: hive
partitioning and the column agree), `province` the 2-digit province code of the unit the document
is attributed to (else of the unit its folder names); a document without one is in the
`__HIVE_DEFAULT_PARTITION__` folder (read as NULL). The rows of one document (its inventory row,
its figures, its issues) are in the same year/province folder and in parts of the same batch.

Parts are written by whoever extracted the batch (a Dask worker, engine/distributed.py) and
never pass through one process together. The warehouse reads a snapshot through views in the raw
schema (`attach`): `raw.document`, `raw.extracted_value`, `raw.extraction_issue` become
`read_parquet(…/**/*.parquet, hive_partitioning=true)` with the contract's columns, so the same
dbt sources and models read Shenzhen's tables and a national lake alike. A figure is stored once
per content, as `extract_corpus` stores it: the view keeps the figures of the part holding the
first copy (by source_path) of each file.

A run writes a new snapshot and the run's warehouse build points at it; the published warehouse
keeps pointing at its own snapshot until the build is promoted (the build-aside rule of
warehouse/build.py, applied to the lake). `prune` removes the snapshots no warehouse points at.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from jinchengtuo.warehouse.schema import RAW_TABLES, _split_columns, columns

LAKE_TABLES = ("document", "extracted_value", "extraction_issue")
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_PART = re.compile(r"part-(\d+)\.parquet$")

_ARROW_TYPES = {
    "VARCHAR": pa.string(), "BIGINT": pa.int64(), "INTEGER": pa.int32(), "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"), "VARCHAR[]": pa.list_(pa.string()),
}


def arrow_schema(table: str) -> pa.Schema:
    """The raw contract of `table` as an Arrow schema (same names, order and types)."""
    fields = []
    for part in _split_columns(RAW_TABLES[table]):
        name, sql_type, *rest = part.split()
        fields.append(pa.field(name, _ARROW_TYPES[sql_type], nullable="NOT" not in rest))
    return pa.schema(fields)


def duckdb_type(table: str, column: str) -> str:
    for part in _split_columns(RAW_TABLES[table]):
        name, sql_type, *_ = part.split()
        if name == column:
            return sql_type
    raise KeyError(f"{table}.{column}")


# ---------------------------------------------------------------- rows of one batch of results

def province_of(*codes) -> str | None:
    for code in codes:
        if code and len(str(code)) >= 2 and str(code)[:2].isdigit():
            return str(code)[:2]
    return None


def batch_rows(results: list[dict], extractor_version: str, extracted_at: datetime | None = None) -> dict[str, list[dict]]:
    """The raw rows of a batch of results (`DocumentResult` dicts), as `extract_corpus` makes them:
    one document row a file, its figures once per content (the first copy by source_path), every
    issue. Each row carries its partition (`_year`, `_province`), dropped when written."""
    now = extracted_at or datetime.now(timezone.utc).replace(tzinfo=None)
    out: dict[str, list[dict]] = {t: [] for t in LAKE_TABLES}
    seen: set[str] = set()
    for r in sorted(results, key=lambda r: r["source_path"]):
        part = {"_year": r.get("year"), "_province": province_of(r.get("street_code"), r.get("folder_street_code"))}
        doc = {k: r.get(k) for k in columns("document") if k in r}
        doc.update(file_name=Path(r["source_path"]).name, n_values=len(r["values"]), extractor_version=extractor_version, extracted_at=now)
        if isinstance(doc.get("published_date"), str):
            try:
                doc["published_date"] = datetime.fromisoformat(doc["published_date"][:10]).date()
            except ValueError:
                doc["published_date"] = None
        out["document"].append({**doc, **part})
        if r["source_file_sha256"] not in seen:
            seen.add(r["source_file_sha256"])
            for v in r["values"]:
                out["extracted_value"].append({**v, "source_file_sha256": r["source_file_sha256"], "doc_type": r["doc_type"],
                                               "street_code": r["street_code"], "year": r["year"], **part})
        for i in r["issues"]:
            out["extraction_issue"].append({**i, "source_file_sha256": r["source_file_sha256"], "source_path": r["source_path"], **part})
    return out


def write_batch(snapshot: Path, batch: int, rows: dict[str, list[dict]]) -> dict[str, int]:
    """Write a batch's rows as Parquet parts `<snapshot>/<table>/year=…/province=…/part-<batch>.parquet`
    (one part per table and partition the batch touches; none for a table without rows). Each
    part is written aside and renamed into place, so a reader never sees half a part."""
    counts = {}
    for table in LAKE_TABLES:
        groups: dict[tuple, list[dict]] = {}
        for row in rows.get(table, []):
            groups.setdefault((row.get("_year"), row.get("_province")), []).append(row)
        schema = arrow_schema(table)
        for (year, province), group in groups.items():
            folder = Path(snapshot) / table / f"year={NULL_PARTITION if year is None else int(year)}" / \
                f"province={province or NULL_PARTITION}"
            folder.mkdir(parents=True, exist_ok=True)
            data = pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in group], schema=schema)
            target = folder / f"part-{batch:07d}.parquet"
            tmp = folder / f".part-{batch:07d}-{uuid.uuid4().hex[:8]}.tmp"
            pq.write_table(data, tmp, compression="zstd")
            os.replace(tmp, target)
        counts[table] = len(rows.get(table, []))
    return counts


# ---------------------------------------------------------------- the warehouse side

def _glob(snapshot: Path, table: str) -> str:
    return (Path(snapshot).resolve() / table / "**" / "*.parquet").as_posix().replace("'", "''")


def _has_parts(snapshot: Path, table: str) -> bool:
    return any((Path(snapshot) / table).rglob("part-*.parquet"))


def _scan(snapshot: Path, table: str) -> str:
    return (f"read_parquet('{_glob(snapshot, table)}', hive_partitioning = true, filename = true, "
            f"hive_types = {{'year': INTEGER, 'province': VARCHAR}}, union_by_name = true)")


def view_sql(snapshot: Path, table: str) -> str:
    """The SELECT of raw.<table> over a snapshot: the contract's columns (an empty typed relation
    when the snapshot has no part of the table)."""
    cols = columns(table)
    if not _has_parts(snapshot, table):
        return "SELECT " + ", ".join(f"CAST(NULL AS {duckdb_type(table, c)}) AS {c}" for c in cols) + " WHERE false"
    select = ", ".join(cols)
    if table != "extracted_value":
        return f"SELECT {select} FROM {_scan(snapshot, table)}"
    # a figure once per content: the part of the first copy (by source_path) of each file
    part = r"CAST(regexp_extract(filename, 'part-(\d+)\.parquet$', 1) AS BIGINT)"
    first = (f"SELECT source_file_sha256, arg_min({part}, source_path) AS _part FROM {_scan(snapshot, 'document')} GROUP BY 1")
    return (f"SELECT {', '.join('v.' + c for c in cols)} FROM (SELECT *, {part} AS _part FROM {_scan(snapshot, table)}) v "
            f"JOIN ({first}) f ON f.source_file_sha256 = v.source_file_sha256 AND f._part = v._part")


def attach(con, snapshot: Path) -> dict[str, int]:
    """Make raw.document, raw.extracted_value and raw.extraction_issue views over a snapshot
    (replacing the tables or views of those names); their row counts."""
    from jinchengtuo.warehouse.schema import ensure_raw_schema

    ensure_raw_schema(con)
    counts = {}
    for table in LAKE_TABLES:
        _drop(con, table)
        con.execute(f"CREATE VIEW raw.{table} AS {view_sql(snapshot, table)}")
        counts[table] = int(con.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0])
    return counts


def _kind(con, table: str) -> str | None:
    rows = con.execute("SELECT table_type FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = ?", [table]).fetchall()
    return rows[0][0] if rows else None


def _drop(con, table: str) -> None:
    kind = _kind(con, table)
    if kind == "VIEW":
        con.execute(f"DROP VIEW raw.{table}")
    elif kind is not None:
        con.execute(f"DROP TABLE raw.{table}")


def detach(con) -> None:
    """Turn lake views back into (empty) raw tables, for a run that writes the tables itself
    (the process-pool engine). Tables stay as they are."""
    from jinchengtuo.warehouse.schema import ensure_raw_schema

    for table in LAKE_TABLES:
        if _kind(con, table) == "VIEW":
            con.execute(f"DROP VIEW raw.{table}")
    ensure_raw_schema(con)


def attached_snapshot(con) -> Path | None:
    """The snapshot the warehouse's raw.document view reads, if it is a view over the lake."""
    rows = con.execute("SELECT sql FROM duckdb_views() WHERE schema_name = 'raw' AND view_name = 'document'").fetchall()
    if not rows:
        return None
    m = re.search(r"read_parquet\('(.+?)/document/\*\*/\*\.parquet'", rows[0][0])
    return Path(m.group(1)) if m else None


def new_snapshot(lake: Path, run_id: str) -> Path:
    """A new, empty snapshot folder for a run (removed first if a failed try of the run left one)."""
    path = Path(lake) / "snapshots" / re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def prune(lake: Path, keep: list[Path]) -> list[Path]:
    """Remove the snapshots of `lake` other than those in `keep` (the ones warehouses point at)."""
    root = Path(lake) / "snapshots"
    kept = {Path(p).resolve() for p in keep if p}
    removed = []
    if root.is_dir():
        for p in sorted(root.iterdir()):
            if p.is_dir() and p.resolve() not in kept:
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed
