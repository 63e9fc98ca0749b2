"""The warehouse backbone: definitions load, build aside + atomic promotion, and the refresh job
end to end on a temporary warehouse (reference and census only: fast)."""

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
import time

import dagster as dg
import duckdb
import pytest

from jinchengtuo import config
from jinchengtuo.warehouse import build


def test_definitions_load_with_groups_checks_and_automation():
    from jinchengtuo.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}
    assert keys["raw/street"].group_name == "sources"
    assert keys["staging/stg_reference__streets"].group_name == "staging"
    assert keys["marts/dim_street"].group_name == "marts"
    assert keys["marts/fct_street_year"].group_name == "marts"
    assert keys["warehouse_release"].group_name == "publication"
    checks = {c.name for c in graph.asset_check_keys}
    assert {"gx_dim_street", "gx_district_totals", "gx_census_street", "gx_fct_street_year"} <= checks
    assert any(c.startswith("unique_dim_street_street_code") for c in checks)  # dbt tests as checks
    from jinchengtuo.defs.partitions import year_partitions

    assert defs.resolve_job_def("annual_refresh") is not None
    assert all(k.isdigit() and len(k) == 4 for k in year_partitions.get_partition_keys())
    assert defs.resolve_schedule_def("annual_refresh_schedule").cron_schedule == "0 3 15 9 *"
    assert defs.resolve_sensor_def("sources_sensor") is not None
    # every warehouse writer shares one pool
    for key in ("raw/street", "raw/census_street", "raw/document", "marts/dim_street", "warehouse_release"):
        assets_def = defs.resolve_assets_def(dg.AssetKey.from_user_string(key))
        assert assets_def.op.pool == "warehouse_writer", key


def test_build_aside_then_atomic_promote(tmp_path):
    published = tmp_path / "w.duckdb"
    con = duckdb.connect(str(published))
    con.execute("create table t as select 1 as v")
    con.close()
    before = published.read_bytes()
    path = build.ensure_build(published, "run-a")
    con = duckdb.connect(str(path))
    con.execute("insert into t values (2)")
    con.close()
    assert published.read_bytes() == before  # the published file is never written
    # a second run finds run-a's leftover (killed run) and starts again from the published file
    path_b = build.ensure_build(published, "run-b")
    assert duckdb.connect(str(path_b), read_only=True).execute("select count(*) from t").fetchone()[0] == 1
    with pytest.raises(FileNotFoundError):
        build.promote(published, "run-a")
    build.promote(published, "run-b")
    assert not path_b.exists() and build.build_owner(published) is None


def test_sensor_maps_changed_files_to_years():
    from jinchengtuo.defs.automation import years_of_changes

    assert years_of_changes(["documents/2022/福田区/园岭/a.pdf", "documents/2021/x.html"]) == {"2021", "2022"}
    assert years_of_changes(["census/x.csv"]) is None  # census changes touch every year
    assert years_of_changes(["documents/loose.pdf"]) == {"?"}


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("refresh")
    sources = root / "sources"
    shutil.copytree(config.reference_dir(), sources / "reference")
    shutil.copytree(config.census_dir(), sources / "census")
    # three years of district population (2020 is the census year) keep each refresh short:
    # every year is scored and published, so fewer years mean less work, the same coverage
    table = sources / "census" / "district_population.csv"
    lines = table.read_text(encoding="utf-8-sig").splitlines()
    table.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if ln.split(",")[1] in ("2019", "2020", "2021")]) + "\n",
                     encoding="utf-8-sig")
    mp = pytest.MonkeyPatch()
    mp.setenv("JCT_SOURCES", str(sources))
    mp.setenv("JCT_WAREHOUSE", str(root / "warehouse" / "jct.duckdb"))
    mp.setenv("JCT_REPORTS", str(root / "reports"))
    yield root
    mp.undo()


def _refresh():
    from jinchengtuo.refresh import run_refresh

    return run_refresh(instance=dg.DagsterInstance.ephemeral(), quiet=True)


@pytest.mark.slow
def test_refresh_builds_dim_street_and_street_years(env):
    result = _refresh()
    assert result.success
    published = config.warehouse_path()
    assert published.exists() and build.build_owner(published) is None
    con = duckdb.connect(str(published), read_only=True)
    try:
        streets = con.execute("select street_code, street_name, district_name from marts.dim_street order by 1").fetchall()
        assert len(streets) == 74
        ref = {r[0]: r[1] for r in duckdb.execute(f"select street_code, street_name from read_csv('{config.reference_dir() / 'streets.csv'}', all_varchar=true)").fetchall()}
        assert {c: n for c, n, _ in streets} == ref
        per_year = con.execute("select year, count(*), count(distinct street_code) from marts.fct_street_year group by 1").fetchall()
        assert per_year and all(n == 74 and d == 74 for _, n, d in per_year)
        est = con.execute("select bool_and(not is_population_estimated) from marts.fct_street_year where year = 2020").fetchone()[0]
        assert est is True
        log = con.execute("select count(*) from meta.refresh_log").fetchone()[0]
        assert log == 1
    finally:
        con.close()


@pytest.mark.slow
def test_the_refresh_records_its_full_method(env):
    """After the refresh above (default method): marts.dim_methodology has every option of
    scoring_options.csv with its default, and the same methodology_version as the scores."""
    from jinchengtuo.scoring import Framework, ScoringOptions

    con = duckdb.connect(str(config.warehouse_path()), read_only=True)
    try:
        method = con.execute("select * from marts.dim_methodology order by sort_order").df()
        versions = {r[0] for r in con.execute("select distinct methodology_version from marts.fct_composite_score").fetchall()}
    finally:
        con.close()
    expected = ScoringOptions().records()
    assert list(method.option) == [r["option"] for r in expected] and list(method.value) == [r["value"] for r in expected]
    assert method.is_default.all() and set(method.methodology_version) == versions == {Framework.load().version}
    assert ScoringOptions.from_records(method.to_dict("records")) == ScoringOptions()


@pytest.mark.slow
def test_nothing_changed_is_detected_and_any_input_change_is_not(env):
    import os

    from jinchengtuo.refresh import up_to_date
    from jinchengtuo.warehouse.fingerprint import inputs_fingerprint

    assert up_to_date() == inputs_fingerprint()  # right after the refresh above
    assert up_to_date(method_vars='{"scoring_weighting": "equal"}') is None  # another method
    census = config.census_dir() / "district_population.csv"
    stat = census.stat()
    os.utime(census, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        assert up_to_date() is None  # a touched source file means a rebuild
    finally:
        os.utime(census, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert up_to_date() is not None


@pytest.mark.slow
def test_broken_census_fails_clearly_and_keeps_last_good_warehouse(env):
    published = config.warehouse_path()
    assert published.exists(), "runs after the successful refresh"
    before = _sha(published)
    census = config.census_dir() / "七普街道人口_SYNTHETIC样例_罗湖区.csv"
    original = census.read_text(encoding="utf-8-sig")
    lines = original.splitlines()
    cells = lines[2].split(",")
    cells[1] = "-100"
    lines[2] = ",".join(cells)
    census.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    try:
        result = _refresh()
    finally:
        census.write_text(original, encoding="utf-8-sig")
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in failures] == ["raw_census"]
    text = str(failures[0].event_specific_data.error.to_string())
    assert census.name in text and "row 3" in text and "population must be positive" in text
    assert _sha(published) == before  # last good warehouse untouched
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"} | {
        s for s in ("warehouse_release",) if not result.is_node_success(s)}
    assert "warehouse_release" in skipped


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    t0 = time.time(); n = 0
    while time.time() - t0 < float(sys.argv[2]):
        con.execute("select count(*) from marts.dim_street").fetchone(); n += 1
        time.sleep(0.05)
    print(n, con.execute("select count(*) from meta.refresh_log").fetchone()[0])
    """
)


@pytest.mark.slow
def test_reader_is_never_blocked_during_a_refresh(env):
    published = config.warehouse_path()
    reader = subprocess.Popen([sys.executable, "-c", READER, str(published), "25"], stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    result = _refresh()
    assert result.success, "a refresh must succeed while an analyst has the warehouse open"
    out, _ = reader.communicate(timeout=60)
    queries, log_rows_seen = map(int, out.split())
    assert reader.returncode == 0 and queries > 50
    assert log_rows_seen == 1  # the reader kept its consistent, old version to the end
    con = duckdb.connect(str(published), read_only=True)
    assert con.execute("select count(*) from meta.refresh_log").fetchone()[0] == 2  # new readers see the new one
    con.close()


@pytest.mark.slow
def test_docs_site_is_built_offline_with_lineage(env):
    from typer.testing import CliRunner

    from jinchengtuo.cli import app

    out = env / "dbt_docs"
    result = CliRunner().invoke(app, ["docs", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "static_index.html").read_text(encoding="utf-8")
    assert "dim_street" in page and "fct_street_year" in page
    catalog = (out / "catalog.json").read_text(encoding="utf-8")
    assert "marts.dim_street" in catalog or '"dim_street"' in catalog


def test_scoring_method_options_reach_dbt_as_vars():
    import json

    from jinchengtuo.cli import _method_vars
    from jinchengtuo.definitions import defs

    assert _method_vars(None, None, None) == ""
    chosen = json.loads(_method_vars("zscore", "entropy", "geometric"))
    assert chosen == {"scoring_normalisation": "zscore", "scoring_weighting": "entropy", "scoring_aggregation": "geometric"}
    import typer

    with pytest.raises(typer.BadParameter, match="not one of goalposts"):
        _method_vars("rank", None, None)
    assert json.loads(_method_vars(None, None, None, imputation="off", option=["goalpost_reference_years=2020,2021"])) == \
        {"scoring_imputation": "off", "goalpost_reference_years": [2020, 2021]}
    with pytest.raises(typer.BadParameter, match="unknown scoring option"):
        _method_vars(None, None, None, option=["min_coverage=0.5"])
    with pytest.raises(typer.BadParameter, match="winsor_max_points='-1' is outside its range 0 to 50"):
        _method_vars(None, None, None, option=["winsor_max_points=-1"])
    # the dbt asset takes the method as typed run config: one field per option of scoring_options.csv
    from jinchengtuo.defs.dbt import DbtRunConfig, run_config_of, scoring_options_of
    from jinchengtuo.scoring.options import SPECS, ScoringOptions

    assert list(DbtRunConfig.model_fields) == [s.option for s in SPECS]
    for spec in SPECS:
        default = getattr(DbtRunConfig(), spec.option)
        assert ScoringOptions.option_text(tuple(default) if isinstance(default, list) else getattr(default, "value", default)) == \
            ScoringOptions.option_text(spec.default)
    job = defs.resolve_job_def("annual_refresh")
    options = ScoringOptions.from_dbt_vars(chosen)
    run_config = run_config_of(options)
    assert run_config["ops"]["dbt_warehouse"]["config"] == {"normalisation": "zscore", "weighting": "entropy", "aggregation": "geometric"}
    assert dg.validate_run_config(job, run_config)
    assert scoring_options_of(DbtRunConfig(**run_config["ops"]["dbt_warehouse"]["config"])) == options
    with pytest.raises(dg.DagsterInvalidConfigError, match="normalisation"):  # a choice is an enum: refused by Dagster
        dg.validate_run_config(job, {"ops": {"dbt_warehouse": {"config": {"normalisation": "rank"}}}})
    with pytest.raises(dg.DagsterInvalidConfigError):  # no untyped vars string any more
        dg.validate_run_config(job, {"ops": {"dbt_warehouse": {"config": {"vars": json.dumps(chosen)}}}})
    with pytest.raises(ValueError, match="min_indicator_coverage=2.0 is outside its range"):  # ranges: ScoringOptions
        scoring_options_of(DbtRunConfig(min_indicator_coverage=2.0))


def test_a_year_outside_the_partitions_is_refused_not_dropped():
    from jinchengtuo.defs import automation
    from jinchengtuo.defs.partitions import FIRST_YEAR, current_year, year_partitions

    keys = year_partitions.get_partition_keys()
    # every past year and the current one, computed when asked: a new year needs no code reload
    assert keys[0] == str(FIRST_YEAR) and keys[-1] == str(current_year()) and "2017" in keys
    assert automation.range_tags(["2021", "2017"]) == {"dagster/asset_partition_range_start": "2017",
                                                       "dagster/asset_partition_range_end": "2021"}
    # a refresh of a year that has not come is refused with its reason, never run over the others
    with pytest.raises(ValueError, match=rf"{current_year() + 1} is after the current year {current_year()}"):
        automation.range_tags(["2020", str(current_year() + 1)])
    with pytest.raises(ValueError, match=r"year\(s\) 1999 not in the sources"):
        automation.range_tags(["1999", "2020"])
    with pytest.raises(ValueError, match="no year to refresh"):
        automation.range_tags([])


def test_one_rule_for_the_years_published():
    from jinchengtuo.defs.partitions import current_year, publishable_years

    now = current_year()
    assert publishable_years([2017, 2020, now + 1]) == ([2017, 2020], {now + 1: publishable_years([], [now + 1])[1][now + 1]})
    years, refused = publishable_years([2017, 2020], [2020, 2019, now + 2])
    assert years == [2020] and set(refused) == {2019, now + 2}
    assert "no document reports on it" in refused[2019] and "after the current year" in refused[now + 2]


def test_sources_sensor_requests_the_years_of_changed_files(tmp_path, monkeypatch):
    from jinchengtuo.defs import automation

    sources = tmp_path / "sources"
    (sources / "documents" / "2021").mkdir(parents=True)
    (sources / "documents" / "2022").mkdir(parents=True)
    (sources / "documents" / "2021" / "a.pdf").write_bytes(b"%PDF-1.4 a")
    monkeypatch.setenv("JCT_SOURCES", str(sources))
    keys = automation.year_partitions.get_partition_keys()

    ctx = dg.build_sensor_context(cursor=None)
    first = automation.sources_sensor(ctx)
    assert isinstance(first, dg.SkipReason) and "remembered" in first.skip_message
    cursor = ctx.cursor

    ctx = dg.build_sensor_context(cursor=cursor)
    assert isinstance(automation.sources_sensor(ctx), dg.SkipReason)  # nothing changed

    (sources / "documents" / "2022" / "b.html").write_text("<html>新文件</html>", encoding="utf-8")
    ctx = dg.build_sensor_context(cursor=cursor)
    request = automation.sources_sensor(ctx)
    assert isinstance(request, dg.RunRequest)
    assert request.tags["dagster/asset_partition_range_start"] == "2022"
    assert request.tags["dagster/asset_partition_range_end"] == "2022"

    (sources / "census").mkdir()
    (sources / "census" / "x.csv").write_text("街道,常住人口\n", encoding="utf-8")
    request = automation.sources_sensor(dg.build_sensor_context(cursor=ctx.cursor))
    assert request.tags["dagster/asset_partition_range_start"] == keys[0]  # census touches every year
    assert request.tags["dagster/asset_partition_range_end"] == keys[-1]
    assert request.tags["jinchengtuo/sources"] == str(sources.resolve())  # the run says what it works on

    # a new year's folder is requested at once (no reload); a year that has not come is never requested
    from jinchengtuo.defs.partitions import current_year

    (sources / "documents" / "2017").mkdir()
    (sources / "documents" / "2017" / "c.html").write_text("<html>2017</html>", encoding="utf-8")
    future = sources / "documents" / str(current_year() + 1)
    future.mkdir()
    (future / "d.html").write_text("<html>future</html>", encoding="utf-8")
    ctx2 = dg.build_sensor_context(cursor=json.dumps({k: v for k, v in json.loads(ctx.cursor).items()}))
    automation.sources_sensor(ctx2)  # census change again (cursor above): refreshes everything
    ctx3 = dg.build_sensor_context(cursor=ctx2.cursor)
    (sources / "documents" / "2017" / "e.html").write_text("<html>2017 e</html>", encoding="utf-8")
    (future / "f.html").write_text("<html>future f</html>", encoding="utf-8")
    request = automation.sources_sensor(ctx3)
    assert request.tags["dagster/asset_partition_range_start"] == "2017"
    assert request.tags["dagster/asset_partition_range_end"] == "2017"


def test_dagster_state_follows_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("JCT_WAREHOUSE", raising=False)
    assert config.dagster_home() == config.PROJECT_DIR / ".dagster_home"  # the default warehouse: as the README says
    monkeypatch.setenv("JCT_WAREHOUSE", str(tmp_path / "w" / "variant.duckdb"))
    assert config.dagster_home() == tmp_path / "w" / "variant.dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "explicit"))
    assert config.dagster_home() == tmp_path / "explicit"  # set explicitly: always that one
