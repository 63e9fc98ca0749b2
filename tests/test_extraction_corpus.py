"""Extraction judged against the sample corpus's ground truth (issue: ≥ 99% recall and precision).

These tests are what the extractor is tuned against, so the recall/precision thresholds judge
only the documents of the *tuned* layout families: files whose truth has no family of
`corpus/families.py` HELD_OUT. The held-out families are judged apart, by
`benchmarks/bench_extraction.py` (per family, tuned and held-out figures side by side), so that
figure says how the extractor does on layouts it was not tuned to."""

from __future__ import annotations

from collections import Counter

import pytest

from jinchengtuo.corpus.evaluate import evaluate
from jinchengtuo.documents import extract_corpus
from jinchengtuo.reference.streets import StreetDirectory


@pytest.fixture(scope="module")
def extraction(sample_corpus, tmp_path_factory):
    out, _ = sample_corpus
    cache = tmp_path_factory.mktemp("extraction_cache")
    result = extract_corpus(out / "documents", streets=StreetDirectory.load(), cache_dir=cache, workers=2)
    return out, result, cache


def test_field_recall_and_precision_are_at_least_99_percent(extraction):
    """On the tuned families only (held-out documents are left to the benchmark)."""
    out, result, _ = extraction
    ev = evaluate(out / "truth", result.documents, result.values, held_out=False)
    assert 0 < ev.n_truth < evaluate(out / "truth", result.documents, result.values).n_truth  # held-out files exist and are left out
    worst = ev.by_field.sort_values("recall").head(5).to_string()
    assert ev.recall >= 0.99, f"{ev.summary()}\nworst fields:\n{worst}\nmissed e.g. {ev.missed[:5]}"
    assert ev.precision >= 0.99, f"{ev.summary()}\nwrong e.g. {ev.wrong[:5]}\nspurious e.g. {ev.spurious[:5]}"
    # every document type is read, not only the easy ones
    per_type = Counter(v.split("_")[0] for v in ev.by_field.field_id)
    assert {"fa", "bu", "od", "rq", "rl", "ws"} <= set(per_type)
    for prefix in ("fa_", "bu_", "rq_", "rl_", "ws_"):
        rows = ev.by_field[ev.by_field.field_id.str.startswith(prefix)]
        assert rows.correct.sum() / rows.truth.sum() >= 0.97, rows.to_string()


def test_every_file_ends_with_the_status_the_truth_expects(extraction):
    out, result, _ = extraction
    ev = evaluate(out / "truth", result.documents, result.values)
    n_files = len(result.documents)
    assert len(ev.status_mismatches) <= 0.01 * n_files, ev.status_mismatches[:10]
    # the deliberately broken files all fail, each with a reason naming the file
    from jinchengtuo.corpus.evaluate import read_truth

    files, _ = read_truth(out / "truth")
    docs = result.documents.set_index("source_path")
    for f in files.itertuples():
        if f.expected_status == "failed":
            row = docs.loc[f.file]
            assert row.status == "failed", (f.file, f.note, row.status, row.reason)
            assert f.file in row.reason and row.reason.strip() != f.file
        if f.misfiled:
            row = docs.loc[f.file]
            assert row.street_code == f.street_code and row.folder_street_code != f.street_code
            assert (result.issues.query("source_path == @f.file").code == "misfiled").any()


def test_deliberate_inconsistencies_are_flagged_with_both_numbers(extraction):
    out, result, _ = extraction
    from jinchengtuo.corpus.evaluate import read_truth

    files, _ = read_truth(out / "truth")
    slips = files[files.deliberately_inconsistent & files.expected_status.isin(["extracted", "superseded", "duplicate"])]
    assert len(slips) >= 2
    for f in slips.itertuples():
        issues = result.issues[(result.issues.source_path == f.file) & (result.issues.code == "identity_failed")]
        assert len(issues), (f.file, f.note)
        # the message states both sides of the identity
        assert any(sum(ch.isdigit() for ch in m) >= 2 and ("≠" in m or " but " in m or "vs" in m or "=" in m) for m in issues.message)
    # and documents without a slip raise no identity warning
    clean = set(files[~files.deliberately_inconsistent].file)
    false_alarms = result.issues[(result.issues.code == "identity_failed") & result.issues.source_path.isin(clean)]
    assert len(false_alarms) <= 0.01 * len(clean), false_alarms.message.head().tolist()


def test_a_second_run_reads_nothing_again(extraction):
    out, first, cache = extraction
    again = extract_corpus(out / "documents", streets=StreetDirectory.load(), cache_dir=cache, workers=2)
    assert again.stats["read"] == 0 and again.stats["cache_hits"] == len(again.documents)
    assert sorted(again.values.itertuples(index=False)) == sorted(first.values.itertuples(index=False))
