"""Where a run's Great Expectations data docs go: reports/quality/<run_id>/ (index.html written
by GX's SiteBuilder), a `latest` pointer (latest.txt and latest/index.html redirecting to the
newest run's site), and pruning to the newest KEEP_RUNS runs.

Offline: GX's pages load Bootstrap, jQuery, bootstrap-table, Font Awesome and Vega from CDNs, and
its index is an empty shell without them. `localize_site` rewrites every page of a run's site to
local copies of the same libraries, vendored from their npm packages into
jinchengtuo/quality/static/vendor/ (VENDORED.md says which and how) and installed with the
package; they are copied once into reports/quality/_vendor/. No page loads anything from the network."""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

from jinchengtuo import config

KEEP_RUNS = 20
_RUN_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")
VENDOR_DIR = "_vendor"  # under reports/quality/: the libraries every run's pages share
VENDOR_SOURCE = Path(__file__).resolve().parent / "static" / "vendor"
# GX's CDN links (render/view/templates/*.j2) -> the vendored file; None: the tag is dropped
# (bootstrap-prefers-dark only restyles the pages in a dark theme)
CDN_ASSETS: list[tuple[re.Pattern, str | None]] = [(re.compile(p), f) for p, f in [
    (r"bootstrap-table@[\d.]+/dist/bootstrap-table\.min\.css$", "bootstrap-table/bootstrap-table.min.css"),
    (r"bootstrap-table@[\d.]+/dist/bootstrap-table\.min\.js$", "bootstrap-table/bootstrap-table.min.js"),
    (r"filter-control/bootstrap-table-filter-control(\.min)?\.css$", "bootstrap-table/bootstrap-table-filter-control.min.css"),
    (r"filter-control/bootstrap-table-filter-control(\.min)?\.js$", "bootstrap-table/bootstrap-table-filter-control.min.js"),
    (r"/bootstrap/4\.[\d.]+/css/bootstrap\.min\.css$", "bootstrap/css/bootstrap.min.css"),
    (r"/bootstrap/4\.[\d.]+/js/bootstrap\.min\.js$", "bootstrap/js/bootstrap.min.js"),
    (r"bootstrap-datepicker/[\d.]+/css/bootstrap-datepicker\.min\.css$", "bootstrap-datepicker/bootstrap-datepicker.min.css"),
    (r"bootstrap-datepicker/[\d.]+/js/bootstrap-datepicker\.min\.js$", "bootstrap-datepicker/bootstrap-datepicker.min.js"),
    (r"bootstrap-dark@[\d.]+/", None),
    (r"/npm/vega@5$", "vega/vega.min.js"),
    (r"/npm/vega-lite@5$", "vega/vega-lite.min.js"),
    (r"/npm/vega-embed@6$", "vega/vega-embed.min.js"),
    (r"font-awesome/6\.[\d.]+/css/all\.min\.css$", "fontawesome/css/all.min.css"),
    (r"jquery-3\.[\d.]+\.min\.js$", "jquery/jquery.min.js"),
    (r"popper\.js/1\.[\d.]+/umd/popper\.min\.js$", "popper/popper.min.js"),
]]
_EXTERNAL_TAG = re.compile(r"""<link\b[^>]*\bhref=["'](https?://[^"']+)["'][^>]*>"""
                           r"""|<script\b[^>]*\bsrc=["'](https?://[^"']+)["'][^>]*>\s*</script>""", re.I)


def quality_root(reports_root: Path | None = None) -> Path:
    return (reports_root or config.reports_dir()) / "quality"


def run_docs_dir(run_id: str, reports_root: Path | None = None) -> Path:
    if not _RUN_ID.fullmatch(run_id) or run_id in (".", "..", "latest", VENDOR_DIR):
        raise ValueError(f"run id {run_id!r} cannot name a data docs folder")
    return quality_root(reports_root) / run_id


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def prepare_run(run_id: str, reports_root: Path | None = None, keep: int = KEEP_RUNS) -> Path:
    """The run's data docs folder, created with the `latest` pointer on it; older runs beyond
    `keep` removed. Raises OSError (with the path) when the reports folder cannot be written."""
    root = quality_root(reports_root)
    target = run_docs_dir(run_id, reports_root)
    fresh = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    if fresh:
        _point_latest(root, run_id)
        prune(root, keep=keep, current=run_id)
    return target


def _point_latest(root: Path, run_id: str) -> None:
    _write_atomic(root / "latest.txt", run_id + "\n")
    latest = root / "latest"
    latest.mkdir(exist_ok=True)
    rid = html.escape(run_id, quote=True)
    _write_atomic(latest / "index.html", (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<meta http-equiv='refresh' content='0; url=../{rid}/index.html'>"
        "<title>Latest data quality run</title></head>"
        f"<body><p>Latest data quality run: <a href='../{rid}/index.html'>{rid}</a></p></body></html>\n"
    ))


def run_dirs(root: Path) -> list[Path]:
    """Run folders, oldest first (by modification time)."""
    if not root.is_dir():
        return []
    dirs = [p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and p.name not in ("latest", VENDOR_DIR)
            and _RUN_ID.fullmatch(p.name)]
    return sorted(dirs, key=lambda p: (p.stat().st_mtime, p.name))


def prune(root: Path, keep: int = KEEP_RUNS, current: str | None = None) -> list[str]:
    """Remove all but the newest `keep` run folders (never `current`); the names removed."""
    dirs = [d for d in run_dirs(root) if d.name != current]
    excess = len(dirs) + (1 if current else 0) - keep
    removed = []
    for d in dirs[: max(0, excess)]:
        shutil.rmtree(d)
        removed.append(d.name)
    return removed


def _vendor(root: Path) -> Path:
    """reports/quality/_vendor/, a copy of the vendored libraries (refreshed when they change)."""
    target = root / VENDOR_DIR
    stamp = (VENDOR_SOURCE / "VENDORED.md").read_text(encoding="utf-8")
    if not target.is_dir() or not (target / "VENDORED.md").is_file() or (target / "VENDORED.md").read_text(encoding="utf-8") != stamp:
        tmp = root / f".{VENDOR_DIR}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(VENDOR_SOURCE, tmp)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    return target


def _local_tag(url: str, is_script: bool, vendor: Path, page_dir: Path) -> str:
    for pattern, local in CDN_ASSETS:
        if pattern.search(url):
            if local is None:
                return ""
            href = html.escape(os.path.relpath(vendor / local, page_dir).replace(os.sep, "/"), quote=True)
            return f'<script src="{href}"></script>' if is_script else f'<link rel="stylesheet" href="{href}">'
    return ""  # an external stylesheet or script we have no copy of: dropped, never fetched


def localize_page(text: str, vendor: Path, page_dir: Path) -> str:
    """A page with each CDN stylesheet and script replaced by the vendored copy (a relative link,
    without the integrity/crossorigin attributes that browsers refuse on file:// pages)."""
    def swap(m: re.Match) -> str:
        link_url, script_url = m.group(1), m.group(2)
        if link_url is not None and not re.search(r"""rel=["']?stylesheet""", m.group(0), re.I):
            return m.group(0)  # not a stylesheet (a canonical link, a preconnect hint): no request to a CDN for a style
        return _local_tag(link_url or script_url, script_url is not None, vendor, page_dir)

    return _EXTERNAL_TAG.sub(swap, text)


def localize_site(site_dir: Path) -> int:
    """Rewrite the pages of a run's data docs site to the vendored libraries; the pages changed.
    Pages already rewritten are left alone, so this runs after every build of the site."""
    site_dir = Path(site_dir)
    vendor = _vendor(site_dir.parent)
    changed = 0
    for page in site_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if "://" not in text:
            continue
        new = localize_page(text, vendor, page.parent)
        if new != text:
            _write_atomic(page, new)
            changed += 1
    return changed
