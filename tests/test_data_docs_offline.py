"""GX data docs work offline (issue 15): every stylesheet and script a page of a run's site loads
is a local file (the vendored libraries), never a CDN."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pandas as pd

from jinchengtuo.quality import docs, load_suites, run_suite

TAGS = re.compile(r"""<link\b[^>]*\bhref=["']([^"']+)["'][^>]*>|<script\b[^>]*\bsrc=["']([^"']+)["']""", re.I)


def assets(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    out = []
    for m in TAGS.finditer(text):
        if m.group(1) is not None and "stylesheet" not in m.group(0).lower():
            continue
        out.append(m.group(1) or m.group(2))
    return out


def test_data_docs_load_no_stylesheet_or_script_from_the_network(tmp_path):
    suite = next(s for s in load_suites() if s.name == "fct_document_inventory")
    df = pd.DataFrame({"source_path": ["a.pdf"], "status": ["failed"], "reason": ["a.pdf: empty"], "is_misfiled": [False]})
    site = docs.prepare_run("run-offline", tmp_path)
    result = run_suite(suite, df, docs_dir=site)
    pages = [result.docs_index, result.docs_page, *sorted(site.rglob("expectations/**/*.html"))]
    assert len(pages) >= 3
    for page in pages:
        found = assets(page)
        assert found, f"{page}: no stylesheet or script at all"
        remote = [a for a in found if re.match(r"(https?:)?//", a)]
        assert not remote, f"{page}: loads {remote}"
        for a in found:  # every local one is there
            assert (page.parent / unquote(a)).resolve().is_file(), f"{page}: {a} missing"
    index = result.docs_index.read_text(encoding="utf-8")
    for lib in ("jquery.min.js", "bootstrap.min.js", "bootstrap-table.min.js", "bootstrap.min.css", "all.min.css"):
        assert lib in index  # the index's table is built by bootstrap-table: without it the page is empty
    assert "integrity=" not in index  # browsers refuse integrity-checked scripts on file:// pages
    vendor = tmp_path / "quality" / docs.VENDOR_DIR
    assert (vendor / "VENDORED.md").is_file() and (vendor / "fontawesome" / "webfonts" / "fa-solid-900.woff2").is_file()
    # the shared copy is no run: never pruned, never the latest
    assert [d.name for d in docs.run_dirs(tmp_path / "quality")] == ["run-offline"]


def test_localize_page_rewrites_gx_cdn_tags_and_drops_unknown_ones(tmp_path):
    page_dir = tmp_path / "quality" / "run" / "validations" / "x"
    vendor = tmp_path / "quality" / docs.VENDOR_DIR
    text = ('<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>'
            '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" integrity="sha384-x" crossorigin="anonymous"></script>'
            '<script src="https://example.org/tracker.js"></script>'
            '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css" />'
            '<a href="https://greatexpectations.io">GX</a>')
    out = docs.localize_page(text, vendor, page_dir)
    assert out == ('<link rel="stylesheet" href="../../../_vendor/bootstrap/css/bootstrap.min.css">'
                   '<script src="../../../_vendor/bootstrap/js/bootstrap.min.js"></script>'
                   '<a href="https://greatexpectations.io">GX</a>')  # a plain link stays a link
