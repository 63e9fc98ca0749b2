"""Year partitions: the years found in sources/ (document year folders; without any, the years of
the district population table). Publication is partitioned by year."""


import csv
import re

import dagster as dg

from jinchengtuo import config


def years_in_sources() -> list[str]:
    years: set[str] = set()
    docs = config.documents_dir()
    if docs.is_dir():
        years = {p.name for p in docs.iterdir() if p.is_dir() and re.fullmatch(r"(19|20)\d\d", p.name)}
    if not years:
        table = config.census_dir() / "district_population.csv"
        if table.exists():
            with table.open(encoding="utf-8-sig", newline="") as fh:
                years = {row["year"].strip() for row in csv.DictReader(fh) if row.get("year", "").strip().isdigit()}
    return sorted(years) or ["2020"]


year_partitions = dg.StaticPartitionsDefinition(years_in_sources())
