"""The sample corpus generator: layout, determinism, coherent figures, the mess of real folders."""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SAMPLE_SEED, SAMPLE_YEARS
from jinchengtuo.cli import app
from jinchengtuo.corpus import generate as gen


def _truth(out: Path):
    files = [json.loads(ln) for ln in (out / "truth" / "files.jsonl").read_text(encoding="utf-8").splitlines()]
    values = [json.loads(ln) for ln in (out / "truth" / "values.jsonl").read_text(encoding="utf-8").splitlines()]
    return files, values


def _by_file(values):
    out = defaultdict(dict)
    for v in values:
        out[v["file"]][v["field_id"]] = v["value"]
    return out


def test_every_file_is_in_the_truth_and_laid_out_by_year_district_street(sample_corpus):
    out, corpus = sample_corpus
    files, _ = _truth(out)
    on_disk = sorted(p.relative_to(out / "documents").as_posix() for p in (out / "documents").rglob("*") if p.is_file())
    assert on_disk == sorted(f["file"] for f in files)
    districts = {"福田区", "罗湖区", "盐田区", "南山区", "宝安区", "龙岗区", "龙华区", "坪山区", "光明区", "大鹏新区"}
    for rel in on_disk:
        year, district, street, name = rel.split("/")
        assert int(year) in SAMPLE_YEARS and district in districts and street.endswith("街道"), rel
    # file names look downloaded: many do not say what they are
    assert sum(1 for r in on_disk if r.split("/")[-1].startswith(("P0", "t2", "content_"))) > len(on_disk) / 4


def test_every_street_year_and_type_is_there_except_the_deliberate_gaps(sample_corpus):
    out, _ = sample_corpus
    files, _ = _truth(out)
    present = {(f["intended"]["street_code"], f["intended"]["year"], f["intended"]["doc_type"]) for f in files}
    meta = json.loads((out / "truth" / "corpus.json").read_text(encoding="utf-8"))
    gaps = {(g["street_code"], g["year"], g["doc_type"]) for g in meta["not_published"]}
    from jinchengtuo.reference.streets import StreetDirectory

    everything = {(s.street_code, y, t) for s in StreetDirectory.load() for y in SAMPLE_YEARS for t in gen.DOC_TYPES}
    assert present.isdisjoint(gaps) and present | gaps == everything
    street_years = {(c, y) for c, y, _ in gaps}
    assert 0.04 * 74 * len(SAMPLE_YEARS) <= len(street_years) <= 0.12 * 74 * len(SAMPLE_YEARS)  # 5–10% miss one


# the issuer as documents print it: …街道, …街道办(事处), or 大鹏新区's …办事处 (traditional: 辦事處)
ISSUER_WORDS = ("街道", "办事处", "辦事處")


def test_documents_open_in_their_own_formats(sample_corpus):
    """PDF text is extractable, DOCX opens, HTML decodes in the charset it declares."""
    import re

    import docx
    import pymupdf

    out, _ = sample_corpus
    files, _ = _truth(out)
    n = Counter()
    for f in files:
        if f["expected_status"] == "failed":
            continue
        path = out / "documents" / f["file"]
        data = path.read_bytes()
        if f["format"] == "pdf":
            with pymupdf.open(stream=data, filetype="pdf") as doc:
                assert any(w in doc[0].get_text() for w in ISSUER_WORDS) and doc.page_count >= 1, f["file"]
        elif f["format"] == "docx":
            d = docx.Document(str(path))
            assert any(w in p.text for p in d.paragraphs for w in ISSUER_WORDS), f["file"]
        elif f["format"] == "html":
            charset = re.search(rb"charset=\"?([A-Za-z0-9-]+)", data[:800]).group(1).decode()
            text = data.decode(charset)
            assert "<html" in text.lower() and any(w in text for w in ISSUER_WORDS), f["file"]
        n[f["format"]] += 1
    assert n["pdf"] > 100 and n["docx"] > 20 and n["html"] > 100


def test_the_mess_of_real_folders_is_there_and_labelled(sample_corpus):
    out, _ = sample_corpus
    files, _ = _truth(out)
    status = Counter(f["expected_status"] for f in files)
    assert status["duplicate"] >= 2 and status["superseded"] >= 2 and status["failed"] >= 4
    formats = Counter(f["format"] for f in files)
    for kind in ("truncated_pdf", "empty", "not_found", "scanned_pdf", "pdf", "html", "docx"):
        assert formats[kind] >= 1, kind
    misfiled = [f for f in files if f["misfiled"]]
    assert misfiled
    for f in misfiled:
        folder_street = f["file"].split("/")[2]
        from jinchengtuo.reference.streets import StreetDirectory

        assert StreetDirectory.load().resolve(folder_street) != f["street_code"]
    # duplicates have the bytes of the file they copy
    by_sha = defaultdict(list)
    for f in files:
        by_sha[f["sha256"]].append(f)
    for f in files:
        if f["expected_status"] == "duplicate":
            assert len(by_sha[f["sha256"]]) >= 2
    # every corrected re-publication says so in its title and supersedes a first publication
    corrected = [f for f in files if f["corrected"] and f["expected_status"] != "duplicate"]
    assert corrected and all("更正" in f["file"] for f in corrected)
    # broken files state no figures and no identity
    for f in files:
        if f["expected_status"] == "failed":
            assert f["street_code"] is None and f["year"] is None
    # some HTML pages are GBK-encoded and say so
    gbk = [p for p in (out / "documents").rglob("*.html") if b"charset=gbk" in p.read_bytes()[:600]]
    assert gbk
    text = gbk[0].read_bytes().decode("gbk")
    assert "街道" in text


def test_identities_hold_except_where_the_truth_says_otherwise(sample_corpus):
    out, _ = sample_corpus
    files, values = _truth(out)
    meta = {f["file"]: f for f in files}
    checked = Counter()
    for rel, v in _by_file(values).items():
        slip = meta[rel]["deliberately_inconsistent"]
        if "fa_total_expenditure" in v:
            classes = sum(x for k, x in v.items() if k.startswith("fa_exp_"))
            assert (abs(classes - v["fa_total_expenditure"]) < 0.005) != slip, rel
            assert abs(v["fa_basic_expenditure"] + v["fa_project_expenditure"] - v["fa_total_expenditure"]) < 0.005
            parts = v["fa_three_public_travel"] + v["fa_three_public_vehicles"] + v["fa_three_public_reception"]
            assert abs(parts - v["fa_three_public_total"]) < 0.005
            if "fa_actual_staff" in v:  # some templates have no staffing paragraph
                assert v["fa_actual_staff"] <= v["fa_authorized_posts"] * 1.05
            checked["fa"] += 1
        if "bu_total_expenditure" in v:
            classes = sum(x for k, x in v.items() if k.startswith("bu_exp_"))
            assert abs(classes - v["bu_total_expenditure"]) < 0.005
            assert v["bu_gpb_expenditure"] <= v["bu_total_expenditure"]
            checked["bu"] += 1
        if "rq_new" in v:
            ok = v["rq_new"] + v["rq_carried_in"] == v["rq_total_handled"] + v["rq_carried_out"]
            assert ok != slip, rel
            checked["rq"] += 1
    assert checked["fa"] > 100 and checked["bu"] > 100 and checked["rq"] > 100


def test_figures_come_from_one_coherent_model(sample_corpus):
    """Budgets and final accounts agree, spending grows with population, and the seed's three
    findings show: sparse vs dense streets, uneven staffing, spending per resident far apart."""
    out, _ = sample_corpus
    from jinchengtuo.corpus.model import load_inputs

    streets, census, _ = load_inputs()
    files, values = _truth(out)
    current = {f["file"] for f in files if f["expected_status"] == "extracted"}
    per = defaultdict(dict)
    for v in values:
        if v["file"] in current:
            per[(v["street_code"], v["year"])][v["field_id"]] = v["value"]
    rates, per_resident, vacancy, contract_share = [], [], [], []
    for (code, year), v in per.items():
        if "fa_gpb_initial_budget" in v and "bu_gpb_expenditure" in v:
            assert v["fa_gpb_initial_budget"] == pytest.approx(v["bu_gpb_expenditure"], abs=0.005)
            rates.append(v["fa_gpb_expenditure"] / v["fa_gpb_initial_budget"])
        if "fa_total_expenditure" in v:
            per_resident.append(v["fa_total_expenditure"] * 10000 / census[code]["population"])
            if "fa_actual_staff" in v:
                vacancy.append(v["fa_actual_staff"] / v["fa_authorized_posts"])
                contract_share.append(v["fa_contract_staff"] / (v["fa_contract_staff"] + v["fa_actual_staff"]))
    assert 0.75 < min(rates) and max(rates) < 1.25 and 0.9 < statistics.median(rates) < 1.1
    assert max(per_resident) / min(per_resident) > 4  # finding 3
    assert min(vacancy) < 0.8 and max(vacancy) > 0.95  # finding 2
    assert max(contract_share) - min(contract_share) > 0.3
    density = [census[s.street_code]["population"] / census[s.street_code]["area_km2"] for s in streets]
    assert max(density) / min(density) > 20  # finding 1
    # trends are smooth: a street's total grows by a few percent a year
    changes = []
    first, last = min(SAMPLE_YEARS), max(SAMPLE_YEARS)
    for (code, year), v in per.items():
        nxt = per.get((code, last), {})
        if year == first and "fa_total_expenditure" in v and "fa_total_expenditure" in nxt:
            changes.append((nxt["fa_total_expenditure"] / v["fa_total_expenditure"]) ** (1 / (last - first)))
    assert len(changes) > 50 and 1.0 < statistics.median(changes) < 1.12
    assert sum(1 for c in changes if abs(c - statistics.median(changes)) > 0.15) < 0.2 * len(changes)


def test_the_same_seed_gives_the_same_bytes(sample_corpus):
    out, _ = sample_corpus
    from jinchengtuo.corpus.model import load_inputs

    streets, _, _ = load_inputs()
    plans = gen.plan_corpus(streets, list(SAMPLE_YEARS), SAMPLE_SEED)
    gen._init_worker(SAMPLE_SEED, list(SAMPLE_YEARS), None)
    from jinchengtuo.corpus.families import ordered as ordered_families

    truth_families = {f["file"]: f["families"] for f in _truth(out)[0]}
    picked = {}
    for p in plans:  # one plan of every document type and format
        if p.copy_of is None:
            picked.setdefault((p.doc_type, p.fmt), p)
    assert len(picked) >= 10
    for p in picked.values():
        _, data, _, families = gen._render_task(p)
        assert data == (out / "documents" / p.rel).read_bytes(), p.rel
        assert ordered_families(families) == truth_families.get(p.rel, ordered_families(families)), p.rel
    other = gen.plan_corpus(streets, list(SAMPLE_YEARS), SAMPLE_SEED + 1)
    assert [p.rel for p in other] != [p.rel for p in plans]


def test_cli_checks_its_arguments_and_never_overwrites_real_documents(tmp_path):
    runner = CliRunner(env={"COLUMNS": "250", "NO_COLOR": "1"})
    res = runner.invoke(app, ["sample-corpus", "--out", str(tmp_path), "--years", "2023-2019"])
    assert res.exit_code != 0 and "lowest first" in res.output
    (tmp_path / "documents" / "2022").mkdir(parents=True)
    real = tmp_path / "documents" / "2022" / "downloaded.pdf"
    real.write_bytes(b"%PDF-1.4 a real document")
    res = runner.invoke(app, ["sample-corpus", "--out", str(tmp_path), "--years", "2022"])
    assert res.exit_code == 2
    assert "was not written by sample-corpus" in res.output
    assert real.read_bytes() == b"%PDF-1.4 a real document"


def test_every_layout_family_of_the_real_documents_is_in_the_corpus(sample_corpus):
    """Each family of corpus/families.py (one per layout family and wording of real-documents.md)
    is reproduced by some readable document of the sample, tagged in the truth, on a document
    type the family is meant for; held_out says whether a held-out family is among them."""
    from jinchengtuo.corpus.families import BY_ID, FAMILY_IDS, HELD_OUT

    out, _ = sample_corpus
    files, values = _truth(out)
    seen: Counter = Counter()
    stating = {v["file"] for v in values}
    for f in files:
        assert f["families"] == [x for x in FAMILY_IDS if x in f["families"]], f["file"]  # catalogue order, no repeats
        assert (f["family"] is None) == (not f["families"]) and (f["family"] in f["families"] or f["family"] is None)
        assert f["held_out"] == any(x in HELD_OUT for x in f["families"]), f["file"]
        if f["doc_type"] in ("final_accounts", "budget"):
            assert f["families"], f"{f['file']}: a finance document without its layout families"
        for fam in f["families"]:
            assert f["intended"]["doc_type"] in BY_ID[fam].doc_types, (f["file"], fam)
            if f["file"] in stating or f["expected_status"] == "unidentified":  # a blank template states nothing
                seen[fam] += 1
    from jinchengtuo.corpus.families import BEFORE_YEAR

    years = {f["intended"]["year"] for f in files}
    absent = [fam for fam in FAMILY_IDS if not seen[fam] and not (fam in BEFORE_YEAR and min(years) >= BEFORE_YEAR[fam])]
    assert not absent, f"families of real-documents.md missing from the sample corpus: {absent}"
    assert HELD_OUT <= set(FAMILY_IDS) and len(HELD_OUT) >= 2
    # held-out documents exist and are a minority, so the tuned figure still covers most documents
    n_held = sum(1 for f in files if f["held_out"] and f["file"] in stating)
    assert 10 <= n_held < 0.5 * len(stating)


def test_early_year_families_appear_for_early_years():
    """Families only reports about early years have (families.BEFORE_YEAR, e.g. the 2017/2018
    disclosure layout) are generated for those years."""
    import random

    from jinchengtuo.corpus import documents as builders
    from jinchengtuo.corpus.families import BEFORE_YEAR, BY_ID
    from jinchengtuo.corpus.model import build_model, load_inputs

    streets, census, growth = load_inputs(None)
    for fam, before in BEFORE_YEAR.items():
        model = build_model(streets, census, growth, [before - 1], 7)
        sy = next(iter(model.values()))
        for doc_type in BY_ID[fam].doc_types:
            built = builders.BUILDERS[doc_type](sy, random.Random(1))
            assert fam in built.families and built.values, (fam, doc_type)
