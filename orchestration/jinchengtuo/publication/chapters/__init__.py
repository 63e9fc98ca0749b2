"""Report chapters beyond the headline ranking, one module each, all with the same shape.

A chapter reads its own marts, adds a section to report.html, a block to every street profile,
columns to the published ranking and files beside it. The release writer knows nothing about
any of them: it loops over `CHAPTERS`.

    load(con, year)                       -> ChapterData | None   (None: its marts are not in the warehouse)
    report_html(data, chapter_data)       -> Markup | None        (the section's inner HTML, escaped)
    profile_html(data, chapter_data, code)-> Markup | None        (a block of one street's profile)
    ranking_columns(data, chapter_data)   -> DataFrame | None     (street_code + extra ranking columns)
    files(data, chapter_data)             -> {relative path: bytes} (e.g. two_way.csv beside ranking.csv)

Everything a chapter shows comes from `ChapterData.frames`, which are part of the year's
fingerprint: a change in a chapter's marts is a new revision of the year, never a silent edit.
Chapter templates live in templates/chapters/ and extend nothing; they are rendered with the
same autoescaping environment as the report (`render`), so document text is always escaped.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
from markupsafe import Markup

if TYPE_CHECKING:  # pragma: no cover
    from jinchengtuo.publication.data import YearData


@dataclass
class ChapterData:
    """What one chapter read for one year: frames (hashed into the year's fingerprint) and info."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


def _none(*_args, **_kwargs):
    return None


def _no_files(*_args, **_kwargs) -> dict[str, bytes]:
    return {}


@dataclass(frozen=True)
class Chapter:
    id: str  # the section's anchor in report.html and the key in YearData.chapters
    title_zh: str
    title_en: str
    load: Callable[[Any, int], ChapterData | None]
    report_html: Callable[["YearData", ChapterData], Markup | None] = _none
    profile_html: Callable[["YearData", ChapterData, str], Markup | None] = _none
    ranking_columns: Callable[["YearData", ChapterData], pd.DataFrame | None] = _none
    files: Callable[["YearData", ChapterData], dict[str, bytes]] = _no_files


# the chapters, in report order: module names under jinchengtuo.publication.chapters, each with a CHAPTER
CHAPTER_MODULES: tuple[str, ...] = ("resources", "two_way", "audit")


def chapters() -> list[Chapter]:
    return [importlib.import_module(f"{__name__}.{m}").CHAPTER for m in CHAPTER_MODULES]


def render(template: str, **context) -> Markup:
    """Render templates/chapters/<template> with the report's environment and helpers."""
    from jinchengtuo.publication import html

    tpl = html._env.get_template(f"chapters/{template}")
    return Markup(tpl.render(**html.helpers(), **context))


def tables(con, schema: str = "marts") -> set[str]:
    rows = con.execute("select table_name from information_schema.tables where table_schema = ?", [schema]).fetchall()
    return {r[0] for r in rows}
