"""`jinchengtuo doctor`: the state of the warehouse's Dagster instance, the warehouse and its releases.

Problems (exit code 1): an orphaned run (its process is gone but it is still "started" and holds
its pools), a run in progress for longer than a day, a pool held by a run that is not running, a
Dagster home without the shipped run monitoring, a scored year without a current release, a
release whose current files do not match its manifest. Everything else is information."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import dagster as dg

from jinchengtuo import config

STUCK_AFTER_S = 24 * 3600


def _instance_part(report: dict, heal: bool) -> None:
    from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

    from jinchengtuo import refresh

    home = refresh.ensure_dagster_home()
    report["dagster_home"] = home
    yaml_path = Path(home) / "dagster.yaml"
    text = yaml_path.read_text(encoding="utf-8") if yaml_path.exists() else ""
    if "run_monitoring" not in text:
        report["problems"].append(f"{yaml_path}: no run_monitoring section: dead run workers are not marked failed "
                                  f"(copy orchestration/dagster.yaml there)")
    instance = dg.DagsterInstance.get()
    try:
        orphans = refresh.orphaned_runs(instance)
        if heal:
            for run_id, why in refresh.heal(instance):
                report["healed"].append(run_id)
            orphans = refresh.orphaned_runs(instance)
        orphan_ids = {r.run_id for r in orphans}
        now = time.time()
        for rec in instance.get_run_records(filters=dg.RunsFilter(statuses=[s for s in IN_PROGRESS_RUN_STATUSES if s != dg.DagsterRunStatus.QUEUED])):
            run = rec.dagster_run
            started = rec.start_time or rec.create_timestamp.timestamp()
            alive = refresh._alive(run.tags)
            entry = {"run_id": run.run_id, "job": run.job_name, "status": run.status.value, "age_s": round(now - started),
                     "process": {True: "alive", False: "gone", None: "not a refresh of this machine (watched by the daemon's run monitoring)"}[alive],
                     "warehouse": run.tags.get("jinchengtuo/warehouse")}
            report["runs_in_progress"].append(entry)
            if run.run_id in orphan_ids:
                report["problems"].append(f"run {run.run_id} is {run.status.value} but its process is gone: it holds its pools "
                                          "(`jinchengtuo doctor --heal` or the next refresh marks it failed)")
            elif now - started > STUCK_AFTER_S:
                report["problems"].append(f"run {run.run_id} has been {run.status.value} for {(now - started) / 3600:.0f} h "
                                          "(terminate it in the UI if it is stuck)")
        report["runs_queued"] = len(instance.get_run_ids(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.QUEUED])))
        usage = refresh.pool_usage(instance)
        in_progress = {r["run_id"] for r in report["runs_in_progress"]}
        for pool, run_ids in sorted(usage.items()):
            report["pools"][pool] = run_ids
            for run_id in run_ids:
                if run_id not in in_progress:
                    report["problems"].append(f"pool {pool} has a slot claimed by run {run_id}, which is not running "
                                              f"(`jinchengtuo doctor --heal` frees it)")
                    if heal:
                        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
                        report["healed"].append(run_id)
    finally:
        instance.dispose()


def _warehouse_part(report: dict) -> None:
    import duckdb

    from jinchengtuo.defs.partitions import publishable_years
    from jinchengtuo.warehouse import build
    from jinchengtuo.warehouse.fingerprint import inputs_fingerprint, last_refresh

    published = config.warehouse_path()
    w = report["warehouse"] = {"path": str(published), "exists": published.exists()}
    owner = build.build_owner(published)
    if owner:
        w["unfinished_build_of_run"] = owner
        running = {r["run_id"] for r in report["runs_in_progress"]}
        w["unfinished_build"] = "in progress" if owner in running else "left by a run that ended (the next refresh starts over)"
    if not published.exists():
        report["problems"].append(f"no warehouse at {published}: run `jinchengtuo refresh`")
        return
    last = last_refresh(published)
    if last:
        w["last_release"] = {"run_id": last["run_id"], "released_at": str(last["released_at"])}
        w["inputs_current"] = last["inputs_fingerprint"] == inputs_fingerprint()
    con = duckdb.connect(str(published), read_only=True)
    try:
        scored = [r[0] for r in con.execute("select distinct year from marts.fct_composite_score order by 1").fetchall()]
    except duckdb.Error as exc:
        report["problems"].append(f"{published}: no scores readable ({exc})")
        return
    finally:
        con.close()
    years, _ = publishable_years(scored)
    w["years_scored"] = scored
    reports = config.reports_dir()
    released_at = dt.datetime.fromisoformat(str(last["released_at"])) if last else None
    for y in years:
        year_dir = reports / str(y)
        entry: dict = {"year": y}
        latest = _read_json(year_dir / "latest.json")
        manifest = _read_json(year_dir / "manifest.json")
        if latest is None or manifest is None:
            entry["state"] = "not published"
            report["problems"].append(f"{y}: scored in the warehouse but not published under {year_dir} (`jinchengtuo publish`)")
        elif latest.get("revision") != manifest.get("revision"):
            entry["state"] = "inconsistent"
            report["problems"].append(f"{y}: latest.json points at revision {latest.get('revision')} but manifest.json is revision "
                                      f"{manifest.get('revision')} (an interrupted publication: `jinchengtuo publish` repairs it)")
        else:
            entry.update(state="published", revision=manifest.get("revision"), release_status=manifest.get("release_status"),
                         published_at=manifest.get("published_at"), warehouse=manifest.get("warehouse"))
            if manifest.get("warehouse") and Path(manifest["warehouse"]).resolve() != published.resolve():
                report["problems"].append(f"{y}: the release was published from another warehouse ({manifest['warehouse']})")
            broken = [rel for rel, meta in (manifest.get("current_files") or {}).items()
                      if not (year_dir / rel).exists() or (year_dir / rel).stat().st_size != meta.get("bytes")]
            if broken:
                report["problems"].append(f"{y}: {len(broken)} current file(s) missing or changed ({', '.join(broken[:3])}): "
                                          "`jinchengtuo publish` restores them")
            try:
                if released_at and manifest.get("published_at") and \
                        dt.datetime.fromisoformat(manifest["published_at"]).replace(tzinfo=None) < released_at - dt.timedelta(seconds=5):
                    entry["note"] = "published before the last warehouse release: `jinchengtuo publish` brings it up to date (or says unchanged)"
            except ValueError:
                pass
        report["releases"].append(entry)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def diagnose(heal: bool = False) -> dict:
    report: dict = {"problems": [], "healed": [], "runs_in_progress": [], "pools": {}, "releases": [], "warehouse": {}}
    _instance_part(report, heal)
    _warehouse_part(report)
    return report


def format_report(r: dict) -> str:
    lines = [f"dagster home: {r['dagster_home']}"]
    lines.append(f"runs in progress: {len(r['runs_in_progress'])}, queued: {r.get('runs_queued', 0)}")
    for run in r["runs_in_progress"]:
        lines.append(f"  {run['run_id']} {run['job']} {run['status']} for {run['age_s']} s, process {run['process']}")
    lines.append("pools in use: " + (", ".join(f"{p} by {', '.join(ids)}" for p, ids in r["pools"].items()) or "none"))
    for run_id in r["healed"]:
        lines.append(f"healed: run {run_id} marked failed, its pool slots freed")
    w = r["warehouse"]
    lines.append(f"warehouse: {w.get('path')}" + ("" if w.get("exists") else " (missing)"))
    if w.get("last_release"):
        lines.append(f"  last release: run {w['last_release']['run_id']} at {w['last_release']['released_at']}; inputs "
                     + ("unchanged since" if w.get("inputs_current") else "changed since (a refresh would rebuild)"))
    if w.get("unfinished_build_of_run"):
        lines.append(f"  unfinished build of run {w['unfinished_build_of_run']}: {w['unfinished_build']}")
    if w.get("years_scored") is not None:
        lines.append(f"  years scored: {', '.join(map(str, w['years_scored'])) or 'none'}")
    for e in r["releases"]:
        lines.append(f"  {e['year']}: {e['state']}" + (f" revision {e['revision']} ({e.get('release_status') or 'ranking'}) at "
                                                       f"{e.get('published_at')}" if e.get("revision") else "")
                     + (f"; {e['note']}" if e.get("note") else ""))
    lines.append("problems: " + ("none" if not r["problems"] else str(len(r["problems"]))))
    lines += [f"  ✘ {p}" for p in r["problems"]]
    return "\n".join(lines)
