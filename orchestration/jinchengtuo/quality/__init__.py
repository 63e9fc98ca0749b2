"""Data quality: Great Expectations suites (data, in expectations/) run against the warehouse."""

from jinchengtuo.quality.suites import Suite, load_suites
from jinchengtuo.quality.runner import SuiteResult, run_suite

__all__ = ["Suite", "SuiteResult", "load_suites", "run_suite"]
