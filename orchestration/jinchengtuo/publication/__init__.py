"""Publication: yearly ranking files, report.html, street profiles (一街一档), the panel, releases.

Reads the warehouse marts read-only; never writes the warehouse. No Dagster here: the thin
asset module is jinchengtuo.defs.publication.
"""

from jinchengtuo.publication.data import (
    RANKING_COLUMNS,
    PublicationInputError,
    YearNotScored,
    YearData,
    load_year,
    panel_frame,
    published_years,
)
from jinchengtuo.publication.release import PanelResult, PublishResult, publish_data, publish_panel, publish_year, publish_years

__all__ = [
    "RANKING_COLUMNS", "PublicationInputError", "YearNotScored", "YearData", "load_year", "panel_frame", "published_years",
    "PanelResult", "PublishResult", "publish_data", "publish_panel", "publish_year", "publish_years",
]
