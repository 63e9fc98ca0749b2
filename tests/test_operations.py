"""Operating the warehouse: Dagster state follows the warehouse, runs heal themselves, the refresh
reports its outcome.

One small source folder (reference and census, two years, no documents: a refresh is mostly dbt
and the checks) in a temporary folder; every process gets its own environment, nothing touches
the project's warehouse, reports or .dagster_home."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from jinchengtuo import config
from jinchengtuo.refresh import INITIALISED_MARK

BIN = Path(sys.executable).parent
RAW_REFERENCE = {dg.AssetKey(["raw", "street"]), dg.AssetKey(["raw", "district"])}


def _instance(home: Path) -> dg.DagsterInstance:
    from dagster._core.instance.ref import InstanceRef

    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("operations")
    sources = root / "sources"
    shutil.copytree(config.reference_dir(), sources / "reference")
    shutil.copytree(config.census_dir(), sources / "census")
    table = sources / "census" / "district_population.csv"
    lines = table.read_text(encoding="utf-8-sig").splitlines()
    table.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if ln.split(",")[1] in ("2020", "2021")]) + "\n",
                     encoding="utf-8-sig")
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "JCT_WAREHOUSE", "JCT_REPORTS", "JCT_CACHE")}
    env.update(JCT_SOURCES=str(sources), JCT_WAREHOUSE=str(root / "main" / "jct.duckdb"), JCT_REPORTS=str(root / "main" / "reports"),
               PYTHONUNBUFFERED="1")
    return {"root": root, "env": env, "home": root / "main" / "jct.dagster_home", "warehouse": root / "main" / "jct.duckdb"}


def _cli(world, *args, env=None, timeout=900):
    return subprocess.run([str(BIN / "jinchengtuo"), *args], env=env or world["env"], capture_output=True, text=True, timeout=timeout)


def _queued_ui_run(instance) -> dg.DagsterRun:
    """A run as the UI submits one (Materialize on raw/street): created QUEUED on the instance, for the
    run coordinator's daemon to launch when its pools are free."""
    from jinchengtuo.definitions import defs

    from dagster._core.remote_origin import ManagedGrpcPythonEnvCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=RAW_REFERENCE)
    # the code location of workspace.yaml, as the UI names it
    location = ManagedGrpcPythonEnvCodeLocationOrigin(LoadableTargetOrigin(
        executable_path=sys.executable, module_name="jinchengtuo.definitions",
        working_directory=str(config.PROJECT_DIR / "orchestration")), location_name="orchestration")
    origin = RemoteJobOrigin(RemoteRepositoryOrigin(location, "__repository__"), job.name)
    return instance.create_run_for_job(job_def=job, status=dg.DagsterRunStatus.QUEUED, asset_selection=frozenset(RAW_REFERENCE),
                                       remote_job_origin=origin)


def _would_launch(instance) -> set[str]:
    """The runs the queued run coordinator's daemon (`dagster dev`) would launch now (its own code)."""
    from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

    daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
    # two ticks: the first sets the default limit of a pool it has not met yet (the daemon loops anyway)
    daemon._get_runs_to_dequeue(instance, instance.get_concurrency_config(), None)
    return {r.run_id for r in daemon._get_runs_to_dequeue(instance, instance.get_concurrency_config(), None)}


@pytest.mark.slow
def test_a_sigkilled_refresh_blocks_nothing(world):
    home = world["home"]
    t0 = time.monotonic()
    proc = subprocess.Popen([str(BIN / "jinchengtuo"), "refresh"], env=world["env"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    run = None
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if (home / INITIALISED_MARK).exists():  # its storage is created: opening it now races nothing
                instance = _instance(home)
                runs = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
                if runs and instance.get_records_for_run(runs[0].run_id, of_type=dg.DagsterEventType.STEP_SUCCESS).records:
                    run = runs[0]
                    break
                instance.dispose()
            time.sleep(1)
        assert run is not None, "the refresh never got going"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the refresh, its extraction workers and dbt: kill -9
        proc.wait()
    killed_at = time.monotonic() - t0
    # the run records where it ran and who ran it (run tags, shown in the UI)
    assert run.tags["jinchengtuo/warehouse"] == str(world["warehouse"])
    assert run.tags["jinchengtuo/sources"] == world["env"]["JCT_SOURCES"]
    assert run.tags["jinchengtuo/reports"] == world["env"]["JCT_REPORTS"]
    assert run.tags["jinchengtuo/pid"] == str(proc.pid)
    instance = _instance(home)
    assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.STARTED  # orphaned: "Started" forever
    assert "warehouse_writer" in (instance.get_run_by_id(run.run_id).run_op_concurrency.all_pools or [])

    # the jam: a materialization from the UI queues behind the orphan
    queued = _queued_ui_run(instance)
    assert queued.run_id not in _would_launch(instance)
    doctor = _cli(world, "doctor")
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    assert f"run {run.run_id} is STARTED but its process is gone" in doctor.stdout
    assert "warehouse_writer by " in doctor.stdout

    # the next refresh heals it first, then runs, and says what it did
    t1 = time.monotonic()
    again = _cli(world, "refresh")
    refresh_s = time.monotonic() - t1
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"healed run {run.run_id}" in again.stderr
    failed = instance.get_run_by_id(run.run_id)
    assert failed.status == dg.DagsterRunStatus.FAILURE
    # the UI's run is no longer blocked and runs, on the same instance, without a manual step
    assert queued.run_id in _would_launch(instance)
    instance.delete_run(queued.run_id)
    from jinchengtuo.definitions import defs

    os.environ.update({k: world["env"][k] for k in ("JCT_SOURCES", "JCT_WAREHOUSE", "JCT_REPORTS")})
    try:
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=instance, asset_selection=list(RAW_REFERENCE))
    finally:
        for k in ("JCT_SOURCES", "JCT_WAREHOUSE", "JCT_REPORTS"):
            os.environ.pop(k, None)
    assert result.success
    assert instance.get_run_by_id(result.run_id).tags["jinchengtuo/warehouse"] == str(world["warehouse"])
    doctor = _cli(world, "doctor")
    assert "its process is gone" not in doctor.stdout, doctor.stdout

    # the closing summary: per year, per document, where the outputs are
    out = again.stdout
    assert "refresh done" in out and "years 年度:" in out and "outputs 输出:" in out
    assert "2021  published" in out and "2020  published" in out
    assert str(world["warehouse"]) in out and str(world["env"]["JCT_REPORTS"]) in out
    assert "Running with dbt" not in out + again.stderr  # dbt's log went to a file (--verbose shows it)
    instance.dispose()
    print(f"killed after {killed_at:.0f} s; healing refresh {refresh_s:.0f} s")


@pytest.mark.slow
def test_a_variant_refresh_keeps_the_main_history(world):
    """Runs after the refresh above: the main warehouse has its history; a variant gets its own."""
    main = _instance(world["home"])
    keys = [dg.AssetKey("warehouse_release"), dg.AssetKey(["publication", "yearly_release"])]
    before = {k: main.get_latest_materialization_event(k) for k in keys}
    assert all(before.values()), "the main warehouse has been refreshed"
    n_runs = len(main.get_run_ids())
    main.dispose()
    variant = world["root"] / "variant"
    env = {**world["env"], "JCT_WAREHOUSE": str(variant / "v.duckdb"), "JCT_REPORTS": str(variant / "reports")}
    res = _cli(world, "refresh", "--weighting", "equal", env=env)
    assert res.returncode == 0, res.stderr[-3000:]
    main = _instance(world["home"])
    after = {k: main.get_latest_materialization_event(k) for k in keys}
    assert {k: e.run_id for k, e in after.items()} == {k: e.run_id for k, e in before.items()}
    assert len(main.get_run_ids()) == n_runs  # not one run of the variant in the main history
    main.dispose()
    own = _instance(variant / "v.dagster_home")
    mat = own.get_latest_materialization_event(dg.AssetKey("warehouse_release"))
    assert mat is not None and own.get_run_by_id(mat.run_id).tags["jinchengtuo/warehouse"] == str(variant / "v.duckdb")
    # every year partition has its own materialization, pointing at its own report
    for year in ("2020", "2021"):
        recs = own.fetch_materializations(dg.AssetRecordsFilter(asset_key=dg.AssetKey(["publication", "yearly_release"]),
                                                                asset_partitions=[year]), limit=1).records
        md = recs[0].event_log_entry.asset_materialization.metadata
        assert md["report"].value == str(variant / "reports" / year / "report.html")
    own.dispose()


def test_the_sensor_heals_an_orphaned_run(tmp_path, monkeypatch):
    """In the UI nobody runs `jinchengtuo refresh`: the sensor's tick marks a dead refresh's run failed."""
    from jinchengtuo.defs import automation

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(config.PROJECT_DIR / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    instance = _instance(home)
    try:
        from jinchengtuo.definitions import defs
        from jinchengtuo.refresh import process_tags

        tags = {**process_tags(), "jinchengtuo/pid": str(dead.pid)}
        job = defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=RAW_REFERENCE)
        orphan = instance.create_run_for_job(job_def=job, status=dg.DagsterRunStatus.STARTED, tags=tags,
                                             asset_selection=frozenset(RAW_REFERENCE))
        alive = instance.create_run_for_job(job_def=job, status=dg.DagsterRunStatus.STARTED, tags=process_tags(),
                                            asset_selection=frozenset(RAW_REFERENCE))
        queued = _queued_ui_run(instance)
        assert queued.run_id not in _would_launch(instance)
        monkeypatch.setenv("JCT_SOURCES", str(tmp_path / "sources"))
        automation.sources_sensor(dg.build_sensor_context(instance=instance))
        assert instance.get_run_by_id(orphan.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED  # this process: alive, kept
        failure = instance.get_records_for_run(orphan.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records[0]
        assert "is gone" in failure.event_log_entry.dagster_event.message
        # the alive run still holds the pool; once it ends, the UI's run is launched
        assert queued.run_id not in _would_launch(instance)
        instance.report_run_failed(alive)
        assert queued.run_id in _would_launch(instance)
    finally:
        instance.dispose()


def test_the_shipped_instance_enables_run_monitoring(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(config.PROJECT_DIR / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    instance = _instance(home)
    try:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_start_timeout_seconds == 180
        assert instance.run_monitoring_settings["cancel_timeout_seconds"] == 180
        assert instance.get_concurrency_config().pool_config.pool_granularity.value == "run"
    finally:
        instance.dispose()


def test_a_revision_says_which_part_of_its_inputs_changed():
    """Not the empty change list of old: the part that moved (here the quality results) is named."""
    import dataclasses

    import pandas as pd

    from jinchengtuo.publication.data import YearData
    from jinchengtuo.publication.release import _changes, _input_parts, code_hash

    def frame(**cols):
        return pd.DataFrame([cols])

    data = YearData(year=2020, ranking=frame(street_code="440304001", street_name="园岭", rank=1, composite_score=60.0),
                    composite=frame(c=1), capacity=frame(c=1), indicators=frame(v=1.0), inventory=frame(source_path="a.pdf"),
                    street_year=frame(p=1), history=frame(h=1), capacity_history=frame(h=1), streets=frame(s=1),
                    dim_capacity=frame(c=1), dim_indicator=frame(i=1), quality=frame(check_name="gx_x", failing_rows=1),
                    release={"release_status": "ranking"}, inputs={}, warehouse="", methodology_versions=["m1"])
    previous = {"source_documents": [{"source_path": "a.pdf"}], "publication_code_sha256": code_hash(),
                "methodology_version": data.methodology_version, "input_parts": _input_parts(data)}
    moved = dataclasses.replace(data, quality=frame(check_name="gx_x", failing_rows=2))
    changes = _changes(previous, None, moved, [{"source_path": "a.pdf"}])
    assert changes["inputs_changed"] == ["quality results"]
    assert "inputs changed: quality results" in changes["summary"]
    assert "inputs_changed" not in _changes(previous, None, data, [{"source_path": "a.pdf"}])

    # a change in a chapter's frames alone (here the residents' survey behind the two-way chapter) is
    # named as that chapter, and no other part is said to have changed
    from jinchengtuo.publication.chapters import ChapterData

    with_chapter = dataclasses.replace(data, chapters={"two_way": ChapterData(frames={"two_way": frame(street_code="440304001", r=0.5)})})
    previous = {**previous, "input_parts": _input_parts(with_chapter)}
    survey_moved = dataclasses.replace(data, chapters={"two_way": ChapterData(frames={"two_way": frame(street_code="440304001", r=0.6)})})
    changes = _changes(previous, None, survey_moved, [{"source_path": "a.pdf"}])
    assert changes["inputs_changed"] == ["chapter 双向评价 Two-way evaluation"], changes["inputs_changed"]
    assert "inputs_changed" not in _changes(previous, None, with_chapter, [{"source_path": "a.pdf"}])


def test_processes_opening_a_fresh_home_at_once_create_its_storage_once(tmp_path):
    """A refresh and a reader opening a new home together must not both stamp the schema (CI once
    saw "alembic_version has more than one head" from exactly that race)."""
    env = {**{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}, "JCT_WAREHOUSE": str(tmp_path / "w.duckdb")}
    # every process imports first, says it is ready, and waits for the other two: then all go at once
    code = ("import pathlib, sys, time\n"
            "from jinchengtuo.refresh import ensure_dagster_home; import dagster as dg\n"
            "from dagster._core.instance.ref import InstanceRef\n"
            "gate = pathlib.Path(sys.argv[1]); (gate / sys.argv[2]).touch()\n"
            "while len(list(gate.iterdir())) < 3: time.sleep(0.001)\n"
            "ensure_dagster_home(); i = dg.DagsterInstance.get(); i.get_runs(); i.dispose()")
    gate = tmp_path / "gate"
    gate.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", code, str(gate), str(i)], env=env, stderr=subprocess.PIPE, text=True)
             for i in range(3)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 3, "\n".join(errors)
    home = tmp_path / "w.dagster_home"
    assert (home / INITIALISED_MARK).exists()
    instance = _instance(home)
    try:
        assert instance.get_runs() == []
    finally:
        instance.dispose()
