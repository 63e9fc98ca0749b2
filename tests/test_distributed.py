"""Extraction on Dask distributed (engine/distributed.py) and the Parquet lake (warehouse/lake.py).

A real cluster: `dask scheduler` and two `dask worker` processes on 127.0.0.1, started here as
separate processes and reached through a scheduler file, as production reaches its cluster
through JCT_DASK_SCHEDULER. A small corpus cut from the sample corpus (both years, two districts,
a copy of one file under another street, an empty file, a truncated PDF, a symbolic link) is read
through it and compared row for row with the process-pool extraction of the default path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:
    import distributed  # noqa: F401
    HAVE_DASK = True
except ImportError:  # pragma: no cover
    HAVE_DASK = False
    if os.environ.get("CI") == "true":
        raise  # CI installs the project's dependencies: dask must be there

pytestmark = pytest.mark.skipif(not HAVE_DASK, reason="dask[distributed] is not installed (pip install -e .)")

DISTRICTS = ("盐田区",)  # 4 streets: ~20 files over the two years
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def small_corpus(sample_corpus, tmp_path_factory):
    src = sample_corpus[0] / "documents"
    root = tmp_path_factory.mktemp("engine_corpus") / "documents"
    for year_dir in sorted(src.iterdir()):
        for district in DISTRICTS:
            if (year_dir / district).is_dir():
                shutil.copytree(year_dir / district, root / year_dir.name / district)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    assert len(files) >= 12
    # the same bytes under another street: figures stored once per content
    first, other_street = files[0], sorted(d for d in (root / files[0].parts[-4] / files[0].parts[-3]).iterdir() if d.is_dir())[-1]
    shutil.copyfile(first, other_street / ("copy-" + first.name))
    (other_street / "empty.pdf").write_bytes(b"")
    pdf = next(p for p in files if p.suffix == ".pdf")
    (other_street / "truncated.pdf").write_bytes(pdf.read_bytes()[:900])
    (root / "link.pdf").symlink_to(pdf)
    return root


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two workers (one process, one thread each) on loopback; the scheduler file."""
    here = tmp_path_factory.mktemp("dask")
    sched_file = here / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(sched_file)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists():
            assert time.monotonic() < deadline, "the dask scheduler did not start"
            time.sleep(0.2)
        for i in range(2):
            procs.append(subprocess.Popen([str(BIN / "dask"), "worker", "--scheduler-file", str(sched_file), "--host", "127.0.0.1",
                                           "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--name", f"w{i}",
                                           "--local-directory", str(here / f"w{i}")],
                                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(scheduler_file=str(sched_file), timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield sched_file
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture(scope="module")
def extracted(small_corpus, cluster, tmp_path_factory):
    """The small corpus through the cluster (batches of 4 files) into a lake snapshot, and through
    the process pool of the default path."""
    from jinchengtuo import config
    from jinchengtuo.documents import extract_corpus
    from jinchengtuo.engine.distributed import connect, extract_to_lake
    from jinchengtuo.reference import StreetDirectory
    from jinchengtuo.warehouse import lake

    snapshot = lake.new_snapshot(tmp_path_factory.mktemp("lake"), "run-1")
    cache = small_corpus.parent / "extraction"  # a cache of its own (the Dagster runs below use JCT_CACHE/extraction/<directory>)
    with connect(str(cluster)) as client:
        stats = extract_to_lake(small_corpus, snapshot, client=client, directory="shenzhen", batch_size=4, cache_dir=cache)
    pool = extract_corpus(small_corpus, streets=StreetDirectory.load(config.reference_dir() / "streets.csv"), workers=2)
    return snapshot, stats, pool


def _compare(con, table: str, df) -> tuple[int, int]:
    from jinchengtuo.warehouse.schema import columns

    cols = ", ".join(c for c in columns(table) if c != "extracted_at")  # the time of reading differs
    con.register("_pool", df)
    try:
        extra = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM raw.{table} EXCEPT ALL SELECT {cols} FROM _pool)").fetchall()[0][0]
        missing = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM _pool EXCEPT ALL SELECT {cols} FROM raw.{table})").fetchall()[0][0]
    finally:
        con.unregister("_pool")
    return extra, missing


def test_cluster_extraction_equals_process_pool(extracted, tmp_path):
    import duckdb

    from jinchengtuo.warehouse import lake

    snapshot, stats, pool = extracted
    n_files = len(pool.documents)
    assert stats["files"] == stats["documents"] == n_files and stats["read"] == n_files
    assert stats["batches"] == -(-n_files // 4)
    # the work was spread: both workers read batches
    assert len(stats["per_worker"]) == 2 and all(w["files"] > 0 for w in stats["per_worker"].values())
    assert stats["links_not_followed"] == 1
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    counts = lake.attach(con, snapshot)
    assert counts == {"document": n_files, "extracted_value": len(pool.values), "extraction_issue": len(pool.issues)}
    for table, df in (("document", pool.documents), ("extracted_value", pool.values), ("extraction_issue", pool.issues)):
        assert _compare(con, table, df) == (0, 0), table
    # the hostile files ended failed with their reason; the copy's figures are stored once
    statuses = dict(con.execute("SELECT file_name, status FROM raw.document WHERE file_name IN ('empty.pdf', 'truncated.pdf')").fetchall())
    assert statuses == {"empty.pdf": "failed", "truncated.pdf": "failed"}
    sha = con.execute("SELECT source_file_sha256 FROM raw.document WHERE file_name LIKE 'copy-%'").fetchall()[0][0]
    n_paths, n_values, n_doc_values = con.execute(
        "SELECT (SELECT count(*) FROM raw.document WHERE source_file_sha256 = $1), "
        "(SELECT count(*) FROM raw.extracted_value WHERE source_file_sha256 = $1), "
        "(SELECT max(n_values) FROM raw.document WHERE source_file_sha256 = $1)", [sha]).fetchall()[0]
    assert n_paths == 2 and n_values == n_doc_values > 0
    assert lake.attached_snapshot(con) == snapshot.resolve()
    con.close()


def test_parts_partitioned_with_the_raw_contract(extracted):
    import pyarrow.parquet as pq

    from jinchengtuo.warehouse import lake

    snapshot, _, pool = extracted
    layout = re.compile(r"^(document|extracted_value|extraction_issue)/year=(\d{4}|__HIVE_DEFAULT_PARTITION__)/"
                        r"province=(\d\d|__HIVE_DEFAULT_PARTITION__)/part-\d{7}\.parquet$")
    parts = sorted(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file())
    assert parts and all(layout.match(p) for p in parts), [p for p in parts if not layout.match(p)]
    years = {m.group(2) for m in map(layout.match, parts) if m.group(1) == "document"}
    assert {"2020", "2022"} <= years
    for rel in parts:
        table, year, province = layout.match(rel).groups()
        data = pq.read_table(snapshot / rel)
        assert data.schema.equals(lake.arrow_schema(table), check_metadata=False), rel
        if table == "extracted_value":  # a figure sits in its year and its unit's province
            assert set(data.column("year").to_pylist()) == {int(year)}
            assert {c[:2] for c in data.column("street_code").to_pylist()} == {province}
        if table == "document" and year != "__HIVE_DEFAULT_PARTITION__":
            assert set(data.column("year").to_pylist()) == {int(year)}
    # Shenzhen is province 44; the documents identified nowhere are in the default partition
    provinces = {layout.match(p).group(3) for p in parts}
    assert provinces <= {"44", "__HIVE_DEFAULT_PARTITION__"} and "44" in provinces


def test_dbt_staging_reads_the_lake(extracted, tmp_path):
    """The same dbt sources and staging models read the lake's views."""
    import duckdb

    from jinchengtuo import config
    from jinchengtuo.warehouse import lake

    snapshot, _, pool = extracted
    wh = tmp_path / "lake.duckdb"
    with duckdb.connect(str(wh)) as con:
        lake.attach(con, snapshot)
    env = {**os.environ, "JCT_WAREHOUSE": str(wh), "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    models = ["stg_documents__documents", "stg_documents__extracted_values", "stg_documents__extraction_issues"]
    run = subprocess.run([str(BIN / "dbt"), "run", "--profiles-dir", str(config.DBT_PROJECT_DIR), "--project-dir",
                          str(config.DBT_PROJECT_DIR), "--select", *models], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(wh), read_only=True) as con:
        got = [con.execute(f"SELECT count(*) FROM staging.{m}").fetchall()[0][0] for m in models]
        by_status = dict(con.execute("SELECT extraction_status, count(*) FROM staging.stg_documents__documents GROUP BY 1").fetchall())
    assert got == [len(pool.documents), len(pool.values), len(pool.issues)]
    assert by_status == pool.documents["status"].value_counts().to_dict()


def test_detach_restores_tables(extracted, tmp_path):
    """A warehouse built on the lake, refreshed with the default engine: tables again."""
    import duckdb

    from jinchengtuo.warehouse import lake
    from jinchengtuo.warehouse.schema import replace_table

    snapshot, _, pool = extracted
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        lake.attach(con, snapshot)
        lake.detach(con)
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'raw'").fetchall())
        assert {kinds[t] for t in lake.LAKE_TABLES} == {"BASE TABLE"}
        assert replace_table(con, "document", pool.documents) == len(pool.documents)
        assert lake.attached_snapshot(con) is None


def test_engine_settings(monkeypatch):
    from jinchengtuo.engine.distributed import EngineSettings

    for name in ("JCT_ENGINE", "JCT_DASK_SCHEDULER", "JCT_DASK_BATCH"):
        monkeypatch.delenv(name, raising=False)
    assert EngineSettings.from_env() == EngineSettings("pool", None, 64)  # the Shenzhen default path: the process pool
    monkeypatch.setenv("JCT_ENGINE", "dask")
    monkeypatch.setenv("JCT_DASK_SCHEDULER", "tcp://10.0.0.5:8786")
    monkeypatch.setenv("JCT_DASK_BATCH", "200")
    assert EngineSettings.from_env() == EngineSettings("dask", "tcp://10.0.0.5:8786", 200)
    monkeypatch.setenv("JCT_ENGINE", "spark")
    with pytest.raises(ValueError, match="JCT_ENGINE='spark'"):
        EngineSettings.from_env()
    monkeypatch.setenv("JCT_ENGINE", "dask")
    monkeypatch.setenv("JCT_DASK_BATCH", "0")
    with pytest.raises(ValueError, match="JCT_DASK_BATCH"):
        EngineSettings.from_env()


def test_dagster_asset_on_the_cluster(small_corpus, cluster, extracted, tmp_path, monkeypatch):
    """raw_documents with JCT_ENGINE=dask and the cluster's address: the run's warehouse reads a
    lake snapshot with the process pool's rows. The published warehouse keeps reading its own
    snapshot while the next run builds: a snapshot goes when no warehouse points at it."""
    import dagster as dg
    import duckdb

    from jinchengtuo.defs.extraction import raw_documents
    from jinchengtuo.defs.resources import WarehouseResource
    from jinchengtuo.warehouse import build, lake

    _, _, pool = extracted
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "documents").symlink_to(small_corpus)  # the folder itself may be a link; links inside it are not followed
    shutil.copytree(Path(__file__).resolve().parents[1] / "sources" / "reference", sources / "reference")
    published = tmp_path / "wh" / "jct.duckdb"
    for name, value in {"JCT_ENGINE": "dask", "JCT_DASK_SCHEDULER": str(cluster), "JCT_SOURCES": str(sources),
                        "JCT_WAREHOUSE": str(published), "JCT_CACHE": str(small_corpus.parent), "JCT_SCOPE": "shenzhen"}.items():
        monkeypatch.setenv(name, value)
    snapshots = []
    for _ in range(3):
        result = dg.materialize([raw_documents], resources={"warehouse": WarehouseResource(published_path=str(published))},
                                run_config={"ops": {"raw_documents": {"config": {"workers": 2, "use_cache": True}}}})
        assert result.success
        run_id = result.run_id
        with duckdb.connect(str(build.build_path(published))) as con:
            snapshots.append(lake.attached_snapshot(con))
            assert _compare(con, "document", pool.documents) == (0, 0)
            assert _compare(con, "extracted_value", pool.values) == (0, 0)
        build.promote(published, run_id)
    first, second, third = snapshots
    assert len(set(snapshots)) == 3 and second.is_dir() and third.is_dir()  # published, and the last build
    assert not first.exists()  # no warehouse points at it any more
    assert first.parent == published.parent / "lake" / "snapshots"


# ---------------------------------------------------------------- the shared engine: PostgreSQL

def _pg_binary(name: str) -> str | None:
    import glob

    found = shutil.which(name)
    if found:
        return found
    hits = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return hits[-1] if hits else None


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of its own on 127.0.0.1 (Debian's postgresql binaries), for the module."""
    import pwd
    import socket
    import tempfile

    initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
    if not (initdb and pg_ctl):
        if os.environ.get("CI") == "true":  # .ci/run installs Debian's postgresql
            pytest.fail("no PostgreSQL server binaries under CI=true (.ci/run installs Debian's postgresql)")
        pytest.skip("no PostgreSQL server binaries (Debian: apt-get install postgresql)")
    pytest.importorskip("psycopg2", reason="psycopg2 (dbt-postgres) is not installed: pip install -e '.[shared]'")
    home = Path(tempfile.mkdtemp(prefix="jct-pg-"))
    home.chmod(0o755)
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            if os.environ.get("CI") == "true":
                pytest.fail("running as root under CI=true and no postgres user (Debian's postgresql package creates it)")
            pytest.skip("running as root and no postgres user to run the server as")
        os.chown(home, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = home / "data"
    subprocess.run([*as_user, initdb, "-D", str(data), "-U", "jct", "--auth=trust"], check=True, capture_output=True)
    subprocess.run([*as_user, pg_ctl, "-D", str(data), "-w", "-l", str(home / "server.log"), "-o",
                    f"-p {port} -k {home} -c listen_addresses=127.0.0.1", "start"], check=True, capture_output=True)
    try:
        import psycopg2

        con = psycopg2.connect(host="127.0.0.1", port=port, user="jct", dbname="postgres")
        con.autocommit = True  # CREATE DATABASE runs outside a transaction
        from jinchengtuo.warehouse.shared import create_database

        create_database(con, "jinchengtuo")  # UTF-8, text sorted by code point as in DuckDB
        con.close()
        yield port
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def test_raw_layer_on_postgres(extracted, postgres, tmp_path):
    """The lake's rows copied into PostgreSQL, and the dbt target `shared` builds the document
    staging models there with the process pool's counts."""
    import duckdb
    import psycopg2

    from jinchengtuo import config
    from jinchengtuo.warehouse import lake
    from jinchengtuo.warehouse.shared import export_raw

    snapshot, _, pool = extracted
    wh = tmp_path / "w.duckdb"
    with duckdb.connect(str(wh)) as con, psycopg2.connect(host="127.0.0.1", port=postgres, user="jct", dbname="jinchengtuo") as pg:
        lake.attach(con, snapshot)
        counts = export_raw(con, pg)
        assert counts["document"] == len(pool.documents) and counts["extracted_value"] == len(pool.values)
        cur = pg.cursor()
        cur.execute("SELECT round(sum(value)::numeric, 2) FROM raw.extracted_value")
        assert float(cur.fetchone()[0]) == pytest.approx(round(float(pool.values["value"].sum()), 2), abs=0.01)
    env = {**os.environ, "JCT_PG_PORT": str(postgres), "JCT_PG_HOST": "127.0.0.1", "JCT_PG_USER": "jct", "JCT_PG_DATABASE": "jinchengtuo",
           "DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    models = ["stg_documents__documents", "stg_documents__extraction_issues"]
    run = subprocess.run([str(BIN / "dbt"), "run", "--target", "shared", "--profiles-dir", str(config.DBT_PROJECT_DIR), "--project-dir",
                          str(config.DBT_PROJECT_DIR), "--select", *models], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    with psycopg2.connect(host="127.0.0.1", port=postgres, user="jct", dbname="jinchengtuo") as pg:
        cur = pg.cursor()
        cur.execute("SELECT extraction_status, count(*) FROM staging.stg_documents__documents GROUP BY 1")
        assert dict(cur.fetchall()) == pool.documents["status"].value_counts().to_dict()
        cur.execute("SELECT count(*) FROM staging.stg_documents__extraction_issues")
        assert cur.fetchone()[0] == len(pool.issues)


def test_national_scope_on_the_cluster(cluster, tmp_path, monkeypatch):
    """JCT_SCOPE=national: documents of units across China, attributed against the national
    directory on the workers, land in their provinces' partitions."""
    import dagster as dg
    import duckdb

    from jinchengtuo.corpus.national import generate_national
    from jinchengtuo.defs.extraction import raw_documents
    from jinchengtuo.defs.resources import WarehouseResource
    from jinchengtuo.warehouse import build, lake

    sources = tmp_path / "sources"
    corpus = generate_national(sources, 6, [2021], seed=3, workers=1)
    shutil.copytree(Path(__file__).resolve().parents[1] / "sources" / "reference", sources / "reference")
    folders = {p.parent.name: p.parent.parent.parent.name for p in (sources / "documents").rglob("*") if p.is_file()}
    published = tmp_path / "wh" / "jct.duckdb"
    for name, value in {"JCT_ENGINE": "dask", "JCT_DASK_SCHEDULER": str(cluster), "JCT_SOURCES": str(sources),
                        "JCT_WAREHOUSE": str(published), "JCT_CACHE": str(tmp_path / "cache"), "JCT_SCOPE": "national"}.items():
        monkeypatch.setenv(name, value)
    result = dg.materialize([raw_documents], resources={"warehouse": WarehouseResource(published_path=str(published))},
                            run_config={"ops": {"raw_documents": {"config": {"workers": 2, "use_cache": False}}}})
    assert result.success
    with duckdb.connect(str(build.build_path(published)), read_only=True) as con:
        rows = con.execute("SELECT street_code, folder_street_code, status FROM raw.document").fetchall()
        snapshot = lake.attached_snapshot(con)
    assert len(rows) == corpus.n_files == 2 * len(folders)
    assert all(status in ("extracted", "partial") for _, _, status in rows), rows
    assert {code for code, _, _ in rows} == set(folders)  # each attributed to the unit of its folder
    provinces = {p.name.split("=")[1] for p in (snapshot / "document").glob("year=2021/province=*")}
    assert provinces == {folders[c] for c in folders} and len(provinces) > 1
