"""Run the annual refresh job in this process (the CLI's `refresh`): the Dagster home of the
warehouse, orphaned runs healed first, a short progress display, and the closing summary."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import time
from pathlib import Path

import dagster as dg

from jinchengtuo import config

log = logging.getLogger("jinchengtuo.progress")

PID_TAG = "jinchengtuo/pid"  # the process that executes the run in-process (`jinchengtuo refresh`)
HOST_TAG = "jinchengtuo/host"
PID_STARTED_TAG = "jinchengtuo/pid_started"  # its start time: a reused pid is not the same process
MANAGED_MARK = "jinchengtuo-managed"  # the shipped dagster.yaml says so in its first lines


def ensure_dagster_home() -> str:
    """The warehouse's Dagster home (config.dagster_home()), with the shipped instance settings.

    A dagster.yaml that still carries the MANAGED_MARK (a copy of the shipped file) is brought
    up to date with it; one without the mark is the user's and is left alone."""
    home = str(config.dagster_home())
    os.environ["DAGSTER_HOME"] = home
    os.makedirs(home, exist_ok=True)
    target = Path(home) / "dagster.yaml"
    template = config.PROJECT_DIR / "orchestration" / "dagster.yaml"
    if template.exists():
        shipped = template.read_text(encoding="utf-8")
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old is None or (old != shipped and (MANAGED_MARK in old or old.startswith("# Dagster instance settings for this project"))):
            tmp = target.with_name(".dagster.yaml.tmp")
            tmp.write_text(shipped, encoding="utf-8")
            os.replace(tmp, target)
    _initialise_storage(Path(home))
    return home


INITIALISED_MARK = ".jinchengtuo-storage-ready"


def _initialise_storage(home: Path) -> None:
    """Create the instance's SQLite storage once, under an exclusive lock.

    Two processes that open a fresh home at the same moment (a refresh and `doctor`, the UI, a
    test polling the run) would each create the databases and stamp their schema version: the
    version table then has two heads and every later open fails. Whoever comes first creates
    and stamps them while holding the lock; the mark file says it is done, so later calls cost
    one stat."""
    mark = home / INITIALISED_MARK
    if mark.exists():
        return
    import fcntl

    from dagster._core.instance.ref import InstanceRef

    with open(home / ".storage.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if mark.exists():
            return
        instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
        instance.dispose()
        mark.write_text(f"storage created by pid {os.getpid()}\n", encoding="utf-8")


def _process_started(pid: int) -> str | None:
    try:
        import psutil

        return f"{psutil.Process(pid).create_time():.2f}"
    except Exception:  # no such process, or psutil unavailable
        return None


def process_tags() -> dict[str, str]:
    pid = os.getpid()
    return {PID_TAG: str(pid), HOST_TAG: socket.gethostname(), PID_STARTED_TAG: _process_started(pid) or ""}


def _alive(tags) -> bool | None:
    """Whether the process that executes a run is alive; None when it cannot be told from here."""
    pid = tags.get(PID_TAG)
    if not pid or not pid.isdigit() or tags.get(HOST_TAG) != socket.gethostname():
        return None
    started = _process_started(int(pid))
    if started is None:
        return False
    recorded = tags.get(PID_STARTED_TAG)
    return not recorded or abs(float(started) - float(recorded)) < 1.0


def orphaned_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """Runs of `jinchengtuo refresh` still marked starting, started or canceling whose process is gone."""
    from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

    runs = instance.get_runs(filters=dg.RunsFilter(statuses=list(IN_PROGRESS_RUN_STATUSES)))
    return [r for r in runs if _alive(r.tags) is False]


def heal(instance: dg.DagsterInstance) -> list[tuple[str, str]]:
    """Mark orphaned runs failed and free their concurrency slots: (run id, what was done)."""
    healed = []
    for run in orphaned_runs(instance):
        why = (f"the process {run.tags.get(PID_TAG)} on {run.tags.get(HOST_TAG)} that executed this run is gone "
               "(killed, out of memory or its terminal lost): marked failed by jinchengtuo so that it holds no pool")
        instance.report_run_failed(run, message=why)
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        healed.append((run.run_id, why))
    return healed


def pool_usage(instance: dg.DagsterInstance) -> dict[str, list[str]]:
    """pool -> ids of the runs in progress that hold it (run granularity: a run holds every pool of its steps)."""
    from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

    usage: dict[str, list[str]] = {}
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=list(IN_PROGRESS_RUN_STATUSES))):
        pools = (run.run_op_concurrency.all_pools if run.run_op_concurrency else None) or []
        for pool in pools:
            usage.setdefault(pool, []).append(run.run_id)
    for key in instance.event_log_storage.get_concurrency_keys():  # op-granularity claims
        info = instance.event_log_storage.get_concurrency_info(key)
        for slot in info.claimed_slots:
            usage.setdefault(key, [])
            if slot.run_id not in usage[key]:
                usage[key].append(slot.run_id)
    return usage


class _ProgressHandler(logging.Handler):
    """One line per step, a line for the documents read, and failed checks; nothing of dbt's log."""

    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            message = str(meta.get("orig_message") or record.getMessage())
            if message.startswith("progress: "):
                self._print(f"  {message[len('progress: '):]}")
            elif record.levelno >= logging.WARNING:
                self._print(f"  ! {message.splitlines()[-1][:300]}")
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
    every year to publish has published reports; None when a refresh could change something."""
    from jinchengtuo.warehouse.fingerprint import inputs_fingerprint, last_refresh

    last = last_refresh(config.warehouse_path())
    if last is None:
        return None
    current = inputs_fingerprint(method_vars)
    if last["inputs_fingerprint"] != current:
        return None
    from jinchengtuo.defs.partitions import publishable_years

    import duckdb

    con = duckdb.connect(str(config.warehouse_path()), read_only=True)
    try:
        scored = [r[0] for r in con.execute("select distinct year from marts.fct_composite_score").fetchall()]
    except duckdb.Error:
        return None
    finally:
        con.close()
    wanted, _ = publishable_years(scored, [int(y) for y in years] if years else None)
    for y in wanted:
        if not (config.reports_dir() / str(y) / "ranking.csv").exists():
            return None
    return current


def run_refresh(years: list[str] | None = None, *, instance: dg.DagsterInstance | None = None, run_config: dict | None = None,
                quiet: bool = False, method_vars: str = "", verbose: bool = False):
    """Execute the annual refresh for `years` (default: every year partition; the years that
    documents report on are published) and return the result.

    `method_vars`: scoring options as a JSON mapping of dbt vars (empty: the default method)."""
    from jinchengtuo.defs.automation import REFRESH_JOB, path_tags, range_tags
    from jinchengtuo.defs.partitions import year_partitions
    from jinchengtuo.defs.release import FINGERPRINT_TAG
    from jinchengtuo.definitions import defs
    from jinchengtuo.warehouse.fingerprint import inputs_fingerprint

    keys = year_partitions.get_partition_keys()
    tags = {**range_tags([str(y) for y in years] if years else keys), FINGERPRINT_TAG: inputs_fingerprint(method_vars),
            **path_tags(), **process_tags()}
    if years:
        tags["jinchengtuo/years"] = ",".join(sorted(str(y) for y in years))
    job = defs.resolve_job_def(REFRESH_JOB)
    if instance is None:
        ensure_dagster_home()
        instance = dg.DagsterInstance.get()
    for run_id, why in heal(instance):
        print(f"healed run {run_id}: {why}", file=sys.stderr, flush=True)
    run_config = dict(run_config or {})
    if method_vars:  # the typed launchpad config of the dbt asset (one field per scoring option)
        import json

        from jinchengtuo.defs.dbt import run_config_of
        from jinchengtuo.scoring.options import ScoringOptions

        typed = run_config_of(ScoringOptions.from_dbt_vars(json.loads(method_vars)))
        run_config.setdefault("ops", {}).setdefault("dbt_warehouse", typed["ops"]["dbt_warehouse"])
    if quiet or not verbose:
        from jinchengtuo.defs.dbt import DBT_LOG_DIR_TAG

        tags[DBT_LOG_DIR_TAG] = str(Path(instance.root_directory if instance.is_persistent else config.warehouse_path().parent) / "logs")
    if not quiet and not verbose:
        run_config.setdefault("loggers", {"progress": {}})
        job = job.with_logger_defs({"progress": progress_logger})
    return job.execute_in_process(instance=instance, tags=tags, run_config=run_config, raise_on_error=False)


# --- the closing summary --------------------------------------------------------------------------

DOC_COLUMNS = ("source_path", "source_file_sha256", "status", "reason", "year", "folder_year", "street_code",
               "folder_street_code", "is_misfiled")


def documents_snapshot(warehouse: Path) -> dict[str, dict]:
    """source_path -> the inventory row (status, hash, year, folders) of a warehouse file ({} without one)."""
    import duckdb

    if not Path(warehouse).exists():
        return {}
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return {}
    try:
        rows = con.execute("""
            select i.source_path, i.source_file_sha256, i.status, i.reason, i.year, d.folder_year, i.street_code,
                   i.folder_street_code, i.is_misfiled
            from marts.fct_document_inventory i
            left join raw.document d on d.source_path = i.source_path and d.source_file_sha256 = i.source_file_sha256
            order by i.source_path""").fetchall()
    except duckdb.Error:
        return {}
    finally:
        con.close()
    return {r[0]: dict(zip(DOC_COLUMNS, r)) for r in rows}


def year_outcomes(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict]:
    """The per-year outcomes the yearly publication logged in the run."""
    import json

    prefix = "year outcomes: "
    for entry in reversed(instance.all_logs(run_id)):
        msg = entry.user_message or ""
        if msg.startswith(prefix):
            return json.loads(msg[len(prefix):])
    return {}


def _short(text, n: int = 160) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def summarise(result, before: dict[str, dict], *, seconds: float, instance: dg.DagsterInstance | None = None,
              limit: int = 8) -> dict:
    """The refresh's outcome: per year, per document, where the outputs are (`format_summary` prints it)."""
    from jinchengtuo.warehouse import build

    run_id = result.run_id
    published = config.warehouse_path()
    try:
        released = result.is_node_success("warehouse_release")
    except Exception:  # the step never ran
        released = False
    source = published if released else (build.run_build(published, run_id) or None)
    after = documents_snapshot(source) if source else {}
    docs: dict[str, list] = {k: [] for k in ("new", "changed", "removed", "partial", "failed", "unidentified",
                                             "misfiled_street", "misfiled_year")}
    by_status: dict[str, int] = {}
    for path, d in after.items():
        by_status[d["status"]] = by_status.get(d["status"], 0) + 1
        old = before.get(path)
        if old is None:
            docs["new"].append((path, d["status"]))
        elif old["source_file_sha256"] != d["source_file_sha256"]:
            docs["changed"].append((path, d["status"]))
        if d["status"] in ("partial", "failed", "unidentified"):
            docs[d["status"]].append((path, d["reason"]))
        if d["is_misfiled"]:
            docs["misfiled_street"].append((path, f"filed under street {d['folder_street_code']}, about {d['street_code']}"))
        if d["year"] is not None and d["folder_year"] is not None and d["year"] != d["folder_year"]:
            docs["misfiled_year"].append((path, f"filed under {d['folder_year']}, reports on {d['year']}"))
    if after:
        docs["removed"] = [(p, "no longer under sources/documents") for p in before if p not in after]
    years = year_outcomes(instance, run_id) if instance is not None else {}
    return {"run_id": run_id, "success": result.success, "seconds": round(seconds, 1), "released": released,
            "first_refresh": not before,
            "documents_from": str(source) if source else None, "by_status": by_status,
            "documents": docs, "limit": limit, "years": years,
            "outputs": {"warehouse": str(published), "reports": str(config.reports_dir()),
                        "dagster_home": os.environ.get("DAGSTER_HOME", ""), "run_id": run_id}}


YEAR_STATE_ZH = {"published": "首次发布", "revised": "修订", "unchanged": "未变", "blocked": "受阻", "failed": "失败",
                 "not published": "未发布"}
DOC_LABEL = {"new": "new 新增", "changed": "changed 变更", "removed": "removed 移除", "partial": "partial 部分",
             "failed": "failed 失败", "unidentified": "unidentified 未识别", "misfiled_street": "misfiled street 街道错放",
             "misfiled_year": "misfiled year 年份错放"}


def format_summary(s: dict) -> str:
    lines = [f"refresh {'done' if s['success'] else 'FAILED'} in {s['seconds']:.0f} s (run {s['run_id'][:8]})"]
    lines.append("years 年度:")
    if not s["years"]:
        lines.append("  (no year reached publication: see the ✘ lines above)")
    for key in sorted(s["years"], reverse=True):
        y = s["years"][key]
        state = y["state"]
        head = f"  {key}  {state} {YEAR_STATE_ZH.get(state, '')}"
        if y.get("revision"):
            head += f" (revision {y['revision']}, {y.get('n_ranked')} / {y.get('n_streets')} ranked)"
        if y.get("release_status") and y["release_status"] != "ranking":
            head += f", {y['release_status']}" + (f": {_short(y.get('release_reason'), 120)}" if y.get("release_reason") else "")
        lines.append(head + (f" — {_short(y['why'])}" if y.get("why") else ""))
        if state == "blocked":
            lines.append("        previous release kept")
    if s["documents_from"] is None:
        lines.append("documents 文件: no warehouse build to report on")
    else:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(s["by_status"].items(), key=lambda kv: -kv[1]))
        d = s["documents"]
        lines.append(f"documents 文件: {sum(s['by_status'].values())} files ({counts}); {len(d['new'])} new, "
                     f"{len(d['changed'])} changed, {len(d['removed'])} removed"
                     + ("" if s["released"] else " [from the unreleased build of this run]"))
        for kind in ("new", "changed", "removed", "failed", "partial", "unidentified", "misfiled_street", "misfiled_year"):
            items = d[kind]
            if not items:
                continue
            if kind == "new" and s["first_refresh"]:
                lines.append(f"  {DOC_LABEL[kind]}: {len(items)} (first refresh of this warehouse: every file)")
                continue
            lines.append(f"  {DOC_LABEL[kind]}: {len(items)}")
            for path, why in items[: s["limit"]]:
                lines.append(f"    {path}" + (f": {_short(why)}" if why and kind not in ("new", "changed") else f" ({why})" if why else ""))
            if len(items) > s["limit"]:
                lines.append(f"    … and {len(items) - s['limit']} more (marts.fct_document_inventory)")
    o = s["outputs"]
    lines.append("outputs 输出:")
    lines.append(f"  warehouse  {o['warehouse']}" + ("" if s["released"] else " (not replaced: the last good one stays)"))
    lines.append(f"  reports    {o['reports']}")
    for key in sorted(s["years"], reverse=True):
        if s["years"][key].get("path"):
            lines.append(f"    {key}: {Path(s['years'][key]['path']) / 'report.html'}")
    lines.append(f"  dagster    {o['dagster_home']} (run {o['run_id']}; `make ui` shows it)")
    return "\n".join(lines)


def run_refresh_with_summary(years: list[str] | None = None, **kwargs):
    """run_refresh, then the closing summary (a dict; format_summary prints it)."""
    before = documents_snapshot(config.warehouse_path())
    t0 = time.monotonic()
    result = run_refresh(years, **kwargs)
    instance = kwargs.get("instance") or dg.DagsterInstance.get()
    return result, summarise(result, before, seconds=time.monotonic() - t0, instance=instance)
