"""The annual refresh: one job (the CLI, the schedule and the sensor all launch it), an annual
schedule, and a sensor that notices new or changed files under sources/.

Both start switched on (default_status RUNNING): the schedule refreshes every year on 15
September, the sensor refreshes the years whose files changed within a minute or two. They run
while a Dagster daemon runs (`make ui` starts one); switch either off in the UI (Automation).
"""


import json
import os
import re
from pathlib import Path

import dagster as dg

from jinchengtuo import config
from jinchengtuo.defs.resources import path_tags
from jinchengtuo.defs.partitions import current_year, future_year_reason, year_partitions

REFRESH_JOB = "annual_refresh"
WRITER_TAG = {"jinchengtuo/writes": "warehouse"}  # at most one such run at a time (dagster.yaml)


refresh_job = dg.define_asset_job(
    REFRESH_JOB,
    selection=dg.AssetSelection.all(),
    # one process: a step per process would cost more in start-up than the work itself
    executor_def=dg.in_process_executor,
    tags={**WRITER_TAG, **path_tags()},  # the paths of the code location's environment
    description="Load sources, extract documents, build staging → marts with dbt, run the quality checks, "
    "release the warehouse atomically, publish the rankings of the requested years.",
)


def range_tags(years: list[str]) -> dict[str, str]:
    """Run tags that make one run cover the years from min(years) to max(years)."""
    keys = year_partitions.get_partition_keys()
    if not years:
        raise ValueError(f"no year to refresh (years found in the sources: {', '.join(keys) or 'none'})")
    future = sorted(y for y in set(years) if y.isdigit() and int(y) > current_year())
    if future:
        raise ValueError("; ".join(future_year_reason(int(y)) for y in future))
    unknown = sorted(set(years) - set(keys))
    if unknown:
        # never clipped silently: a run over fewer years than asked would look like a success
        raise ValueError(f"year(s) {', '.join(unknown)} not in the sources (the year partitions are {keys[0]}–{keys[-1]})")
    wanted = sorted(years)
    return {"dagster/asset_partition_range_start": wanted[0], "dagster/asset_partition_range_end": wanted[-1]}


@dg.schedule(
    job=refresh_job,
    cron_schedule="0 3 15 9 *",  # 15 September: last year's final accounts are out by then
    execution_timezone="Asia/Shanghai",
    description="Annual refresh of every year the documents report on (final accounts are published mid-year).",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def annual_refresh_schedule(context: dg.ScheduleEvaluationContext):
    keys = year_partitions.get_partition_keys()
    return dg.RunRequest(run_key=f"annual-{context.scheduled_execution_time:%Y}", tags={**range_tags(keys), **path_tags()})


def _fingerprint(root: Path) -> dict[str, list]:
    """path -> [size, mtime] of every regular file under the sources folder (no symlinks followed)."""
    out: dict[str, list] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "truth"]
        for name in filenames:
            p = Path(dirpath) / name
            if name.startswith(".") or p.is_symlink():
                continue
            st = p.stat()
            out[p.relative_to(root).as_posix()] = [st.st_size, int(st.st_mtime)]
    return out


def years_of_changes(changed: list[str]) -> set[str] | None:
    """Years a set of changed paths belongs to; None means every year (census, reference)."""
    years: set[str] = set()
    for rel in changed:
        m = re.match(r"documents/((?:19|20)\d\d)/", rel)
        if m:
            years.add(m.group(1))
        elif rel.startswith("documents/"):
            years.add("?")  # a document outside a year folder: its year is read from the content
        else:
            return None
    return years


@dg.sensor(job=refresh_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Requests a refresh of the years whose files under sources/ were added or changed (a new year "
           "folder included: the year partitions need no reload).")
def sources_sensor(context: dg.SensorEvaluationContext):
    # a refresh killed hard (kill -9, out of memory) leaves its run "started", holding its pool, and
    # every run launched from the UI would queue behind it: the sensor heals such runs on every tick
    from jinchengtuo.refresh import heal

    try:
        instance = context.instance
    except Exception:  # a context built without an instance (unit tests of the cursor logic)
        instance = None
    if instance is not None:
        for run_id, why in heal(instance):
            context.log.warning(f"run {run_id} marked failed: {why}")
    current = _fingerprint(config.sources_dir())
    previous = json.loads(context.cursor) if context.cursor else None
    context.update_cursor(json.dumps(current))
    if previous is None:
        return dg.SkipReason("first look at sources/: remembered the files, nothing requested")
    changed = sorted(p for p in set(current) | set(previous) if current.get(p) != previous.get(p))
    if not changed:
        return dg.SkipReason("no file under sources/ changed")
    years = years_of_changes(changed)
    keys = year_partitions.get_partition_keys()
    if years is None or "?" in years:
        years = set(keys)
    refused = sorted(y for y in years if y not in keys)
    if refused:
        context.log.warning(f"year folder(s) {refused} outside the year partitions ({keys[0]}–{keys[-1]}): "
                            + "; ".join(future_year_reason(int(y)) for y in refused if int(y) > current_year()))
    known = sorted(y for y in years if y in keys)
    if not known:
        return dg.SkipReason(f"changes only in years that cannot be published: {refused}")
    return dg.RunRequest(run_key=f"sources-{hash(tuple(changed)) & 0xFFFFFFFF:x}-{len(changed)}",
                         tags={**range_tags(known), **path_tags()})


defs = dg.Definitions(jobs=[refresh_job], schedules=[annual_refresh_schedule], sensors=[sources_sensor])
