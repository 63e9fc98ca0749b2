"""The raw layer's contract: every table the loaders write, and the columns dbt sources read.

One place defines them so the loaders, dbt `sources.yml` and tests agree. Loaders create the
tables with `ensure_raw_schema` and replace their content; a table with no rows still exists,
so downstream models always build.
"""

from __future__ import annotations

RAW_TABLES: dict[str, str] = {
    # reference data (sources/reference)
    "street": """
        street_code VARCHAR NOT NULL, street_name VARCHAR NOT NULL, district_name VARCHAR NOT NULL,
        district_code VARCHAR, area_km2 DOUBLE, area_source VARCHAR, name_variants VARCHAR[],
        population_2020 BIGINT, population_source VARCHAR, communities INTEGER, communities_source VARCHAR,
        facts_note VARCHAR
    """,
    "district": """
        district_name VARCHAR NOT NULL, district_code VARCHAR, area_km2 DOUBLE,
        population_2020_census BIGINT, population_source VARCHAR, area_source VARCHAR
    """,
    # every township-level unit of China (sources/reference/national/, reference/scope.py): the unit
    # hierarchy, and whether the unit is in the scope of this warehouse (JCT_SCOPE; default shenzhen)
    "unit": """
        unit_code VARCHAR NOT NULL, unit_name VARCHAR NOT NULL, unit_kind VARCHAR NOT NULL, peer_kind VARCHAR NOT NULL,
        county_code VARCHAR NOT NULL, county_name VARCHAR, city_code VARCHAR NOT NULL, city_name VARCHAR,
        city_label VARCHAR, province_code VARCHAR NOT NULL, province_name VARCHAR, in_scope BOOLEAN NOT NULL,
        scope VARCHAR NOT NULL, source_file VARCHAR
    """,
    # census extracts (sources/census)
    "census_street": """
        street_code VARCHAR NOT NULL, name_as_written VARCHAR, population BIGINT, households BIGINT,
        pop_0_14_pct DOUBLE, pop_60_plus_pct DOUBLE, pop_65_plus_pct DOUBLE, migrant_pct DOUBLE,
        area_km2 DOUBLE, is_synthetic BOOLEAN, source_file VARCHAR, source_file_sha256 VARCHAR,
        source_row INTEGER
    """,
    "district_population": """
        district_name VARCHAR NOT NULL, year INTEGER NOT NULL, population BIGINT NOT NULL,
        is_sample BOOLEAN, source VARCHAR, source_file VARCHAR
    """,
    # documents (sources/documents): one row per file seen, whatever happened to it
    "document": """
        source_file_sha256 VARCHAR NOT NULL, source_path VARCHAR NOT NULL, file_name VARCHAR,
        size_bytes BIGINT, file_format VARCHAR, doc_type VARCHAR, street_code VARCHAR, year INTEGER,
        folder_street_code VARCHAR, folder_year INTEGER, title VARCHAR, published_date DATE,
        is_correction BOOLEAN, n_pages INTEGER, n_values INTEGER, status VARCHAR NOT NULL,
        reason VARCHAR, extractor_version VARCHAR, extracted_at TIMESTAMP,
        issuer_name VARCHAR, content_format_mismatch VARCHAR,
        verification VARCHAR, checks_passed INTEGER, checks_failed INTEGER, verification_detail VARCHAR
    """,
    # one row per extracted figure, traced to file, page and sentence
    "extracted_value": """
        source_file_sha256 VARCHAR NOT NULL, doc_type VARCHAR, street_code VARCHAR, year INTEGER,
        field_id VARCHAR NOT NULL, value DOUBLE, unit VARCHAR, source_page INTEGER,
        source_text VARCHAR, method VARCHAR
    """,
    # every problem met while reading a file: errors, warnings, failed identities
    "extraction_issue": """
        source_file_sha256 VARCHAR, source_path VARCHAR, severity VARCHAR NOT NULL, code VARCHAR NOT NULL,
        message VARCHAR NOT NULL, source_page INTEGER, field_id VARCHAR
    """,
    # what the documents folder is: one row, is_sample true for a generated sample corpus
    # (sources/truth/corpus.json says synthetic); the release labels its outputs from it
    "corpus": """
        is_sample BOOLEAN NOT NULL, generator_version VARCHAR, note VARCHAR, source_file VARCHAR
    """,
    # problems met while loading census and reference files
    "load_issue": """
        source_file VARCHAR NOT NULL, source_row INTEGER, severity VARCHAR NOT NULL, code VARCHAR NOT NULL,
        message VARCHAR NOT NULL
    """,
    # resident surveys (source type resident_survey, sources/surveys/; jinchengtuo.surveys): one row per
    # street, year and capacity surveyed (capacity ALL: overall satisfaction). Rows whose sample is too
    # small to publish are kept with is_publishable false and the reason; their problems go to load_issue
    "resident_survey": """
        street_code VARCHAR NOT NULL, name_as_written VARCHAR, year INTEGER NOT NULL, capacity VARCHAR NOT NULL,
        satisfied_pct DOUBLE, n INTEGER, surveyor VARCHAR, method VARCHAR, is_publishable BOOLEAN,
        not_published_reason VARCHAR, is_synthetic BOOLEAN, note VARCHAR, source_file VARCHAR,
        source_file_sha256 VARCHAR, source_row INTEGER
    """,
    # 12345 hotline summaries (sources/surveys/): one row per street and year
    "hotline_summary": """
        street_code VARCHAR NOT NULL, name_as_written VARCHAR, year INTEGER NOT NULL, requests_received BIGINT,
        requests_closed BIGINT, satisfaction_pct DOUBLE, n_rated BIGINT, is_publishable BOOLEAN,
        not_published_reason VARCHAR, is_synthetic BOOLEAN, note VARCHAR, source_file VARCHAR,
        source_file_sha256 VARCHAR, source_row INTEGER
    """,
}


def ddl(table: str) -> str:
    return f"CREATE TABLE IF NOT EXISTS raw.{table} ({RAW_TABLES[table]})"


def ensure_raw_schema(con) -> None:
    """Create the raw schema and every raw table that does not exist yet."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for table in RAW_TABLES:
        con.execute(ddl(table))
    _add_missing_columns(con)


def _add_missing_columns(con) -> None:
    """Columns added to the contract since a warehouse was created are added to its raw tables
    (a warehouse built by an older version keeps working; the new columns start empty)."""
    have: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'raw'"
    ).fetchall():
        have.setdefault(table, set()).add(column)
    for table in RAW_TABLES:
        for part in _split_columns(RAW_TABLES[table]):
            name, *rest = part.strip().split()
            if table in have and name not in have[table]:
                col_type = " ".join(w for w in rest if w.upper() not in ("NOT", "NULL"))
                con.execute(f"ALTER TABLE raw.{table} ADD COLUMN IF NOT EXISTS {name} {col_type}")


def replace_table(con, table: str, df) -> int:
    """Replace the rows of raw.<table> with those of a pandas DataFrame (columns by name)."""
    ensure_raw_schema(con)
    cols = columns(table)
    con.execute(f"DELETE FROM raw.{table}")
    if df is not None and len(df):
        missing = [c for c in cols if c not in df.columns]
        for c in missing:
            df = df.assign(**{c: None})
        con.register("_incoming", df[cols])
        try:
            con.execute(f"INSERT INTO raw.{table} SELECT {', '.join(cols)} FROM _incoming")
        finally:
            con.unregister("_incoming")
    return int(con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0])


def columns(table: str) -> list[str]:
    return [part.strip().split()[0] for part in _split_columns(RAW_TABLES[table])]


def _split_columns(body: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return [p for p in parts if p.strip()]


def corpus_info(sources_root):
    """The raw.corpus row for a sources folder: is_sample when its documents are a generated sample
    corpus (truth/corpus.json says synthetic), with the generator's version and note."""
    import json
    from pathlib import Path

    import pandas as pd

    meta_path = Path(sources_root) / "truth" / "corpus.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = None
    if isinstance(meta, dict) and meta.get("synthetic"):
        row = {"is_sample": True, "generator_version": str(meta.get("generator_version") or ""),
               "note": str(meta.get("note") or "generated sample documents"), "source_file": "truth/corpus.json"}
    else:
        row = {"is_sample": False, "generator_version": None, "note": None, "source_file": None}
    return pd.DataFrame([row])
