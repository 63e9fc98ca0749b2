"""The whole pipeline on the sample corpus: documents in, inventory, scores and published years
out; a corrected document republishes its year only, as a new revision listing the change."""

from __future__ import annotations

import json
import re
import shutil

import dagster as dg
import duckdb
import pytest

from conftest import SAMPLE_YEARS
from jinchengtuo import config
from jinchengtuo.corpus.evaluate import evaluate, read_truth

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(sample_corpus, tmp_path_factory):
    corpus_dir, _ = sample_corpus
    root = tmp_path_factory.mktemp("pipeline")
    sources = root / "sources"
    shutil.copytree(config.reference_dir(), sources / "reference")
    shutil.copytree(config.census_dir(), sources / "census")
    shutil.copytree(corpus_dir / "documents", sources / "documents")
    mp = pytest.MonkeyPatch()
    mp.setenv("JCT_SOURCES", str(sources))
    mp.setenv("JCT_WAREHOUSE", str(root / "warehouse" / "jct.duckdb"))
    mp.setenv("JCT_REPORTS", str(root / "reports"))
    mp.setenv("JCT_CACHE", str(root / "cache"))
    from jinchengtuo.refresh import run_refresh

    first = run_refresh([str(y) for y in SAMPLE_YEARS], instance=dg.DagsterInstance.ephemeral(), quiet=True)
    yield root, corpus_dir, first
    mp.undo()


def _con():
    return duckdb.connect(str(config.warehouse_path()), read_only=True)


def test_the_refresh_succeeds_and_every_file_ends_with_the_status_the_truth_expects(env):
    _, corpus_dir, first = env
    assert first.success
    con = _con()
    try:
        docs = con.execute("select * from raw.document").df()
        values = con.execute("select * from raw.extracted_value").df()
        inventory = con.execute("select source_path, status, reason from marts.fct_document_inventory").df()
    finally:
        con.close()
    files, _ = read_truth(corpus_dir / "truth")
    assert sorted(inventory.source_path) == sorted(files.file)  # nothing lost, nothing invented
    ev = evaluate(corpus_dir / "truth", docs, values, inventory)
    assert ev.recall >= 0.99 and ev.precision >= 0.99, ev.summary()
    assert ev.status_mismatches == [], ev.status_mismatches[:10]
    assert inventory.reason.notna().all()


def test_scores_and_ranks_for_every_street_and_year(env):
    _, corpus_dir, _ = env
    _, truth_values = read_truth(corpus_dir / "truth")
    # street-years whose final accounts state their staff (some templates have no staffing paragraph)
    with_staff = truth_values[(truth_values.field_id == "fa_actual_staff") & truth_values.year.isin(SAMPLE_YEARS)]
    n_staff = len(set(zip(with_staff.street_code, with_staff.year)))
    con = _con()
    try:
        rows = con.execute("""
            select year, count(*), count(composite_score), min(rank), max(rank), count(distinct tier)
            from marts.fct_composite_score group by 1 order by 1""").fetchall()
        per_capacity = con.execute("select year, capacity, count(score) from marts.fct_capacity_score group by 1, 2").fetchall()
        measures = con.execute("""
            select count(*) filter (where ctx_spending_per_capita is not null),
                   count(*) filter (where ctx_staff_per_10k is not null)
            from marts.fct_street_year where year in (select unnest(?))""", [list(SAMPLE_YEARS)]).fetchone()
    finally:
        con.close()
    assert [r[0] for r in rows] == list(SAMPLE_YEARS)
    for year, n, scored, lo, hi, tiers in rows:
        assert n == 74 and scored >= 70 and lo == 1 and hi <= 74 and tiers >= 3, (year, n, scored, lo, hi, tiers)
    assert all(n >= 70 for _, _, n in per_capacity) and len(per_capacity) == 5 * len(SAMPLE_YEARS)
    assert measures[0] >= 0.9 * 74 * len(SAMPLE_YEARS) and n_staff >= 0.6 * 74 * len(SAMPLE_YEARS)
    assert measures[1] >= 0.97 * n_staff, (measures[1], n_staff)


def test_every_year_is_published(env):
    # a year between the sample's years has no documents: nothing is published for it, and that
    # does not fail the years that have data
    between = [y for y in range(min(SAMPLE_YEARS), max(SAMPLE_YEARS)) if y not in SAMPLE_YEARS]
    for year in between:
        assert not (config.reports_dir() / str(year) / "ranking.csv").exists()
    for year in SAMPLE_YEARS:
        d = config.reports_dir() / str(year)
        raw = (d / "ranking.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and "街道" in raw.decode("utf-8-sig")
        assert len(raw.decode("utf-8-sig").strip().splitlines()) == 75
        page = (d / "report.html").read_text(encoding="utf-8")
        # the quality results of the run are summarised per check (not one row per expectation)
        assert "gx_dim_street" in page and "gx_final_accounts_identities" in page and "项通过" in page
        assert page.count("gx_dim_street<") == 1
        assert json.loads((d / "latest.json").read_text(encoding="utf-8"))["revision"] == 1


def test_a_corrected_document_makes_a_new_revision_of_its_year_only(env):
    root, corpus_dir, _ = env
    from jinchengtuo.refresh import run_refresh

    changed_year = max(SAMPLE_YEARS)  # outside the goalpost reference years: the other year cannot move
    files, _ = read_truth(corpus_dir / "truth")
    # the first such page that states the figure in this wording (the corpus varies its wordings by family)
    for target in (f for f in files.itertuples() if f.year == changed_year and f.doc_type == "info_disclosure"
                   and f.expected_status == "extracted" and f.file.endswith(".html")):
        path = root / "sources" / "documents" / target.file
        raw = path.read_bytes()
        m = re.search(rb"charset=[\"']?([\w-]+)", raw[:1000])
        encoding = m.group(1).decode() if m else "utf-8"
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            n = 0
            continue
        new_text, n = re.subn(r"主动公开政府信息(\d+)条", lambda m: f"主动公开政府信息{int(m.group(1)) + 250}条", text, count=1)
        if n == 1:
            break
    assert n == 1, "no disclosure page of the sample states 主动公开政府信息N条"
    path.write_bytes(new_text.encode(encoding))
    before = {y: json.loads((config.reports_dir() / str(y) / "manifest.json").read_text(encoding="utf-8")) for y in SAMPLE_YEARS}

    second = run_refresh([str(y) for y in SAMPLE_YEARS], instance=dg.DagsterInstance.ephemeral(), quiet=True)
    assert second.success
    for year in SAMPLE_YEARS:
        latest = json.loads((config.reports_dir() / str(year) / "latest.json").read_text(encoding="utf-8"))
        manifest = json.loads((config.reports_dir() / str(year) / "manifest.json").read_text(encoding="utf-8"))
        if year == changed_year:
            assert latest["revision"] == 2
            assert manifest["changes"]["documents_changed"] == [target.file]
            assert "1 document(s) changed" in manifest["changes"]["summary"]
            # the first revision is kept as it was
            kept = config.reports_dir() / str(year) / "revisions" / "1"
            assert (kept / "ranking.csv").exists()
            assert json.loads((kept / "manifest.json").read_text(encoding="utf-8"))["fingerprint"] == before[year]["fingerprint"]
        else:
            assert latest["revision"] == 1 and manifest == before[year]
