"""Year partitions, and the one rule for which years are published.

The partitions are every year from FIRST_YEAR to the current one (a yearly time-window definition,
Asia/Shanghai): a year that documents report on (2017, 2025 …) is a partition as soon as its
documents are there, with no code reload, and a year after the current one is never a partition.
Years without documents stay unmaterialized. Publication is partitioned by year.

Which years are published (`publishable_years`, shared by the refresh and `jinchengtuo publish`):
the years the warehouse scored (marts.fct_composite_score: years that documents report on, for
the 74 streets), never a year after the current one, restricted to the years asked for.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable

import dagster as dg

from jinchengtuo import config

FIRST_YEAR = 2000  # before the disclosure regulations (2008) no street published any of these documents
TIMEZONE = "Asia/Shanghai"


def current_year() -> int:
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).year


year_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start=str(FIRST_YEAR), fmt="%Y", timezone=TIMEZONE,
    end_offset=1,  # the current year too (budgets are published for the year they cover)
)


def future_year_reason(year: int) -> str:
    return f"{year} is after the current year {current_year()}: no document can report on a year that has not come"


def years_in_sources() -> list[str]:
    """Year folders under sources/documents/ (without any, the years of the district population
    table), never after the current year: the years a refresh is expected to publish."""
    years: set[str] = set()
    docs = config.documents_dir()
    if docs.is_dir():
        years = {p.name for p in docs.iterdir() if p.is_dir() and re.fullmatch(r"(19|20)\d\d", p.name)}
    if not years:
        table = config.census_dir() / "district_population.csv"
        if table.exists():
            with table.open(encoding="utf-8-sig", newline="") as fh:
                years = {row["year"].strip() for row in csv.DictReader(fh) if row.get("year", "").strip().isdigit()}
    return sorted(y for y in years if FIRST_YEAR <= int(y) <= current_year())


def publishable_years(scored: Iterable[int], requested: Iterable[int] | None = None) -> tuple[list[int], dict[int, str]]:
    """(years to publish, {year: why not} for the requested ones that are not) — THE rule.

    `scored`: the years with composite scores in the warehouse. Without `requested`, every scored
    year up to the current one."""
    scored = {int(y) for y in scored}
    now = current_year()
    wanted = {int(y) for y in requested} if requested is not None else set(scored)
    out, refused = [], {}
    for y in sorted(wanted):
        if y > now:
            refused[y] = future_year_reason(y)
        elif y not in scored:
            refused[y] = "no scores in the warehouse for this year (no document reports on it)"
        else:
            out.append(y)
    return out, refused
