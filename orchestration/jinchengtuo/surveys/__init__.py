"""Source type `resident_survey`: resident satisfaction surveys and 12345 hotline summaries (sources/surveys/)."""

from jinchengtuo.surveys.loader import MIN_PUBLISHABLE_N, LoadIssue, SurveyLoad, load_survey_dir, moe, read_survey_file

__all__ = ["MIN_PUBLISHABLE_N", "LoadIssue", "SurveyLoad", "load_survey_dir", "moe", "read_survey_file"]
