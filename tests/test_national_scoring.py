"""The scoring chain outside the Shenzhen scope: JCT_SCOPE=4404 (珠海市, 31 township-level units:
streets, towns and other units), a national sample corpus of its units for 2021 and the synthetic
census extract the corpus writes (sources/census/national/), through the real refresh.

What it proves: raw.street / dim_street hold the scope's units (not the 74 streets), the census
stand-in gives them their synthetic 2020 population (labelled: the release is SAMPLE DATA), the
year without a district table carries the census figure (flagged sample), every unit gets a
composite row and its peer ranks (streets, towns and others in separate groups), the data tests
and GX suites follow the scope's unit count, and the release goes through.
Known answer of the light national mix (final accounts and disclosure reports only): no unit has
own data for half the framework's indicators, so none is ranked (the coverage gate holds)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCOPE = "4404"


@pytest.fixture(scope="module")
def national_build(tmp_path_factory):
    from jinchengtuo.corpus.national import generate_national
    from jinchengtuo.reference.scope import Scope

    base = tmp_path_factory.mktemp("natscore")
    sources = base / "sources"
    generate_national(sources, 30, [2021], seed=5, workers=1, scope=Scope.parse(SCOPE), mix="full")
    shutil.copytree(ROOT / "sources" / "reference", sources / "reference")
    env = {**os.environ, "JCT_SOURCES": str(sources), "JCT_WAREHOUSE": str(base / "wh" / "jct.duckdb"),
           "JCT_REPORTS": str(base / "reports"), "JCT_CACHE": str(base / "cache"), "DBT_TARGET_PATH": str(base / "target"),
           "DBT_LOG_PATH": str(base / "dbtlogs")}
    for name in ("DAGSTER_HOME", "JCT_ENGINE", "JCT_DASK_SCHEDULER", "JCT_SCOPE"):
        env.pop(name, None)
    proc = subprocess.run([str(Path(sys.executable).parent / "jinchengtuo"), "refresh", "--force", "--scope", SCOPE], env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"sources": sources, "warehouse": base / "wh" / "jct.duckdb", "units": Scope.parse(SCOPE).units(sources / "reference"),
            "truth": pd.read_csv(sources / "truth" / "units.csv", dtype={"unit_code": str})}


@pytest.mark.slow
def test_street_layer_is_the_scope(national_build):
    units, truth = national_build["units"], national_build["truth"]
    with duckdb.connect(str(national_build["warehouse"]), read_only=True) as con:
        dim = con.execute("select street_code, street_name, district_name, population_2020, area_km2, is_census_synthetic, "
                          "is_population_real from marts.dim_street order by street_code").df()
    assert len(units) == 31 and dim["street_code"].tolist() == units["unit_code"].tolist()
    assert set(dim["district_name"]) == {"香洲区", "斗门区", "金湾区"}
    with_census = dim.dropna(subset=["population_2020"])
    assert sorted(with_census["street_code"]) == sorted(truth["unit_code"])  # the 25 sampled units
    merged = with_census.merge(truth, left_on="street_code", right_on="unit_code")
    assert (merged["population_2020_x"] == merged["population_2020_y"]).all()
    assert (merged["area_km2_x"].round(2) == merged["area_km2_y"].round(2)).all()
    assert with_census["is_census_synthetic"].all() and not with_census["is_population_real"].any()


@pytest.mark.slow
def test_scored_and_peer_ranked_and_labelled_sample(national_build):
    with duckdb.connect(str(national_build["warehouse"]), read_only=True) as con:
        release = con.execute("select year, is_sample_data, is_census_synthetic, is_population_sample, sample_label from marts.dim_release_inputs").fetchall()
        pop = con.execute("select count(*), count(population) from marts.fct_street_year where year = 2021").fetchone()
        scores = con.execute("select street_code, n_indicators_with_own_data, n_counting_documents, composite_score, rank_status "
                             "from marts.fct_composite_score where year = 2021").df()
        docs = {r[0] for r in con.execute("select distinct street_code from raw.document where street_code is not null").fetchall()}
        peers = con.execute("select unit_code, peer_kind, peer_level, peer_group, rank, n_in_group, n_units_in_group "
                            "from marts.fct_peer_rank where year = 2021").df()
    assert release == [(2021, True, True, True, "示例数据 SAMPLE DATA")]
    assert pop == (31, 25)  # 2021 carries the synthetic 2020 figure (no district table outside Shenzhen)
    assert len(scores) == 31 and len(docs) >= 20
    assert (scores.loc[scores["street_code"].isin(docs), "n_indicators_with_own_data"] > 0).all()
    # the full national mix (final accounts, disclosure, rule-of-law report, work summary) passes the
    # own-data gate for the units with documents; the units without documents have no score
    ranked = scores.dropna(subset=["composite_score"])
    assert len(ranked) >= 20 and set(ranked["street_code"]) <= docs
    assert set(scores.loc[~scores["street_code"].isin(docs), "rank_status"]) == {"insufficient_data"}
    assert scores.loc[~scores["street_code"].isin(docs), "composite_score"].isna().all()
    assert len(peers) == 31 * 3 and set(peers["peer_level"]) == {"city", "province", "national"}
    city = peers.loc[peers["peer_level"] == "city"]
    units = national_build["units"]
    for kind in ("street", "town", "other"):
        groups = set(city.loc[city["peer_kind"] == kind, "peer_group"])
        assert groups == {f"{kind}:city:4404"}
        assert (city.loc[city["peer_kind"] == kind, "n_units_in_group"] == int((units["peer_kind"] == kind).sum())).all()
    # streets and towns are ranked apart: in every group the ranks of its scored units run from 1
    for group, g in peers.dropna(subset=["rank"]).groupby("peer_group"):
        assert g["rank"].min() == 1 and g["rank"].max() <= len(g) and (g["n_in_group"] == len(g)).all(), group
    assert {"street", "town"} <= set(peers.dropna(subset=["rank"])["peer_kind"])


def test_suites_follow_the_scope(monkeypatch):
    from jinchengtuo import config
    from jinchengtuo.quality.suites import load_suite

    path = config.EXPECTATIONS_DIR / "marts" / "dim_street.json"
    monkeypatch.setenv("JCT_SCOPE", "shenzhen")
    shenzhen = load_suite(path).expectations
    assert shenzhen[0]["kwargs"] == {"value": 74} and len(shenzhen) == 8
    monkeypatch.setenv("JCT_SCOPE", SCOPE)
    scoped = load_suite(path).expectations
    assert scoped[0]["kwargs"] == {"value": 31}
    assert len(scoped) == 4 and not any("4403" in str(e["kwargs"]) for e in scoped)
    census = load_suite(config.EXPECTATIONS_DIR / "raw" / "census_street.json").expectations
    assert all(e["kwargs"].get("value") != 74 for e in census)


def test_census_outside_scope_is_skipped_with_a_warning(tmp_path):
    from jinchengtuo import config
    from jinchengtuo.census.loader import load_census_dir
    from jinchengtuo.reference.scope import Scope, national_units
    from jinchengtuo.warehouse.loaders import ScopeCensusDirectory, scope_street_frame

    streets, districts = scope_street_frame(config.reference_dir(), Scope.parse(SCOPE))
    assert len(streets) == 31 and len(districts) == 3
    outside = set(national_units()["unit_code"]) - set(streets["street_code"])
    (tmp_path / "x_SYNTHETIC.csv").write_text("区划代码,乡镇街道,常住人口\n440402001,翠香街道,5000\n440305001,南头街道,9000\n,井岸镇,700\n", encoding="utf-8")
    load = load_census_dir(tmp_path, ScopeCensusDirectory(streets, outside), district_population_required=False)
    assert load.streets["street_code"].tolist() == ["440402001", "440403107"]  # 井岸镇 by its name, unique in the scope
    assert load.streets["is_synthetic"].all() and len(load.district_population) == 0
    assert [i.code for i in load.issues] == ["outside_scope"]


def test_a_unit_named_like_a_district_is_read_by_its_code_not_taken_for_a_total(tmp_path):
    """许昌's 东城区 (411002570) shares its name with Beijing's district 东城区: with its 区划代码 it is a
    unit's row, not a district total (it was dropped without a word); without a code it stays a total row."""
    from jinchengtuo import config
    from jinchengtuo.census.loader import load_census_dir
    from jinchengtuo.reference.scope import Scope
    from jinchengtuo.warehouse.loaders import ScopeCensusDirectory, scope_street_frame

    streets, _ = scope_street_frame(config.reference_dir(), Scope.parse("4110,11"))
    assert "东城区" in set(streets["district_name"]) and "411002570" in set(streets["street_code"])
    (tmp_path / "x_SYNTHETIC.csv").write_text("区划代码,乡镇街道,常住人口\n411002570,东城区,5000\n,东城区,700000\n",
                                              encoding="utf-8")
    load = load_census_dir(tmp_path, ScopeCensusDirectory(streets), district_population_required=False)
    assert load.streets["street_code"].tolist() == ["411002570"] and load.streets["population"].tolist() == [5000]
