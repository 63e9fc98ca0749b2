"""Run the annual refresh job in this process (the CLI's `refresh`), with concise progress."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time

import dagster as dg

from jinchengtuo import config

log = logging.getLogger("jinchengtuo.progress")


def ensure_dagster_home() -> str:
    """Use DAGSTER_HOME, or the project's .dagster_home (so CLI runs show in the UI)."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        home = str(config.PROJECT_DIR / ".dagster_home")
        os.environ["DAGSTER_HOME"] = home
    os.makedirs(home, exist_ok=True)
    target = os.path.join(home, "dagster.yaml")
    template = config.PROJECT_DIR / "orchestration" / "dagster.yaml"
    if not os.path.exists(target) and template.exists():
        shutil.copyfile(template, target)
    return home


class _ProgressHandler(logging.Handler):
    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            if record.levelno >= logging.WARNING:
                self._print(f"  ! {record.getMessage().splitlines()[-1][:300]}")
            return
        kind = event.event_type_value
        step = event.step_key or ""
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            self._print(f"▶ {step}")
        elif kind == "STEP_SUCCESS":
            self._print(f"✔ {step} ({time.monotonic() - self.started.get(step, time.monotonic()):.1f}s)")
        elif kind == "STEP_FAILURE":
            err = event.event_specific_data.error if event.event_specific_data else None
            while err is not None and err.cause is not None:  # the user's error, not Dagster's wrapper
                err = err.cause
            msg = err.message.strip() if err else "failed"
            self._print(f"✘ {step}: {msg[:2000]}")
        elif kind == "STEP_SKIPPED":
            self._print(f"- {step} skipped (an upstream step or blocking check failed)")
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if data is not None and not data.passed:
                sev = getattr(data.severity, "value", "ERROR")
                self._print(f"  {'✘' if sev == 'ERROR' else '!'} check {data.asset_check_key.name} on {data.asset_key.to_user_string()} failed ({sev})")

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)


@dg.logger(description="One line per step and failed check, for the command line.")
def progress_logger(init_context):
    logger = logging.getLogger("jinchengtuo.refresh")
    logger.handlers = [_ProgressHandler(sys.stderr)]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger


def up_to_date(years: list[str] | None = None, method_vars: str = "") -> str | None:
    """The fingerprint when the published warehouse was built from exactly the current inputs and
    every requested year has published reports; None when a refresh could change something."""
    from jinchengtuo.warehouse.fingerprint import inputs_fingerprint, last_refresh

    last = last_refresh(config.warehouse_path())
    if last is None:
        return None
    current = inputs_fingerprint(method_vars)
    if last["inputs_fingerprint"] != current:
        return None
    import importlib.util

    if importlib.util.find_spec("jinchengtuo.defs.publication") is None:
        return current  # no publication stage in this version: the warehouse is all there is
    from jinchengtuo.defs.partitions import years_in_sources

    for y in years or years_in_sources():
        if not (config.reports_dir() / str(y) / "ranking.csv").exists():
            return None
    return current


def run_refresh(years: list[str] | None = None, *, instance: dg.DagsterInstance | None = None, run_config: dict | None = None, quiet: bool = False, method_vars: str = ""):
    """Execute the annual refresh for `years` (default: every year found) and return the result.

    `method_vars`: scoring options as a JSON mapping of dbt vars (empty: the default method)."""
    from jinchengtuo.defs.automation import REFRESH_JOB, range_tags
    from jinchengtuo.defs.partitions import year_partitions
    from jinchengtuo.defs.release import FINGERPRINT_TAG
    from jinchengtuo.definitions import defs
    from jinchengtuo.warehouse.fingerprint import inputs_fingerprint

    keys = year_partitions.get_partition_keys()
    tags = {**range_tags([str(y) for y in years] if years else keys), FINGERPRINT_TAG: inputs_fingerprint(method_vars)}
    job = defs.resolve_job_def(REFRESH_JOB)
    if instance is None:
        ensure_dagster_home()
        instance = dg.DagsterInstance.get()
    run_config = dict(run_config or {})
    if method_vars:
        run_config.setdefault("ops", {}).setdefault("dbt_warehouse", {"config": {"vars": method_vars}})
    if not quiet:
        run_config.setdefault("loggers", {"progress": {}})
        job = job.with_logger_defs({"progress": progress_logger})
    return job.execute_in_process(instance=instance, tags=tags, run_config=run_config, raise_on_error=False)
