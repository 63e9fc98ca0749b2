"""The load step of sources/surveys/ into raw.resident_survey, raw.hotline_summary and raw.load_issue.

Runs after the census load (which replaces raw.load_issue): the survey rows of raw.load_issue
(source_file starting with 'surveys/') are replaced, every other row is left as it is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jinchengtuo.reference.streets import StreetDirectory
from jinchengtuo.surveys.loader import SOURCE_PREFIX, load_survey_dir
from jinchengtuo.warehouse.schema import columns, ensure_raw_schema, replace_table


def load_surveys(con, surveys_dir: Path, reference_dir: Path) -> dict[str, object]:
    loaded = load_survey_dir(surveys_dir, StreetDirectory.load(reference_dir / "streets.csv"))
    ensure_raw_schema(con)
    counts = {
        "resident_survey": replace_table(con, "resident_survey", loaded.surveys),
        "hotline_summary": replace_table(con, "hotline_summary", loaded.hotline),
    }
    issues = pd.DataFrame([i.as_row() for i in loaded.issues], columns=columns("load_issue"))
    con.execute("DELETE FROM raw.load_issue WHERE starts_with(source_file, ?)", [SOURCE_PREFIX])
    if len(issues):
        con.register("_survey_issues", issues)
        try:
            con.execute(f"INSERT INTO raw.load_issue SELECT {', '.join(columns('load_issue'))} FROM _survey_issues")
        finally:
            con.unregister("_survey_issues")
    return {**counts, "load_issue": len(issues), "files": loaded.files,
            "errors": [str(i) for i in loaded.errors], "warnings": [str(i) for i in loaded.issues if i.severity != "error"]}
