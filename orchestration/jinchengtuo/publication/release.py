"""Releases are records: each publication of a year is a numbered revision that is never overwritten.

Layout of `reports/<year>/`:

    ranking.csv ranking.parquet ranking.xlsx report.html streets/<code>.html   the current release
    manifest.json                                                            its manifest
    latest.json                                                              pointer: current revision
    revisions/<n>/ (the same files and manifest.json)                        every release, kept
    revisions/index.json                                                     one line per revision

A publication first computes the fingerprint of its inputs (the marts' rows for the year, the
framework, quality results, the publication code version). Equal to the current release's:
nothing is written. Otherwise revision n+1 is built in `revisions/.tmp-*` and renamed into
place in one step; then the current files are replaced one by one (write aside, rename) and
`latest.json` last. A crash leaves either the old release current or a complete new revision
that the next run finishes promoting; never a half-written revision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from jinchengtuo import config
from jinchengtuo.publication import html, tables
from jinchengtuo.publication.data import PublicationInputError, YearData, connect, load_year, panel_frame, published_years

CURRENT_FILES = ("ranking.csv", "ranking.parquet", "ranking.xlsx", "report.html")


@dataclass
class PublishResult:
    year: int
    revision: int
    changed: bool  # a new revision was written
    year_dir: Path
    manifest: dict
    repaired: bool = False  # current files were re-synchronised with an existing revision
    files: list[str] = field(default_factory=list)

    @property
    def ranking_path(self) -> Path:
        return self.year_dir / "ranking.csv"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8"))


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _revisions(rev_dir: Path) -> dict[int, dict]:
    """Complete revisions (a directory named by its number holding a readable manifest)."""
    out = {}
    if rev_dir.is_dir():
        for p in rev_dir.iterdir():
            if p.is_dir() and p.name.isdigit():
                m = _read_json(p / "manifest.json")
                if m is not None:
                    out[int(p.name)] = m
    return out


def code_hash() -> str:
    """A hash of the publication code and templates: a new layout or chart is a change worth a revision."""
    h = hashlib.sha256()
    pkg = Path(__file__).parent
    for p in sorted([*pkg.glob("*.py"), *pkg.glob("templates/*.j2")]):
        h.update(p.relative_to(pkg).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _fingerprint(data: YearData, documents_root: Path | None) -> str:
    h = hashlib.sha256()
    h.update(html.PUBLICATION_VERSION.encode())
    h.update(code_hash().encode())
    h.update(data.fingerprint().encode())
    # which source files exist decides the profiles' links
    for p in sorted(str(x) for x in data.inventory.get("source_path", pd.Series(dtype=str)).dropna()):
        h.update(f"{p}:{html.source_href(p, documents_root) is not None}".encode())
    return h.hexdigest()


# the parts of a year's inputs (YearData frames), with what to call them in a change list
INPUT_PARTS = {"ranking": "scores and ranks", "composite": "scores and ranks", "capacity": "capacity scores",
               "indicators": "indicator values", "inventory": "documents of the year", "street_year": "street context (population, area)",
               "history": "earlier years' scores", "streets": "street directory", "dim_capacity": "framework",
               "dim_indicator": "framework", "quality": "quality results", "release": "coverage gates", "inputs": "sample/synthetic inputs",
               "methodology": "method (scoring options)", "indicator_year": "goalposts, coverage and weights per indicator"}
# parts that are source data rather than method or code (what the change note lists as "in source data")
SOURCE_DATA_PARTS = ("inventory", "street_year", "streets", "inputs")


def _raw_values_hash(data: YearData) -> str:
    """A hash of the year's raw indicator values alone (what the documents say, before any method step)."""
    cols = [c for c in ("street_code", "indicator_id", "raw_value") if c in data.indicators]
    lines = data.indicators[cols].to_csv(index=False, float_format="%.9g").split("\n") if cols else []
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()[:16]


def _input_parts(data: YearData) -> dict[str, str]:
    """A hash per part of the year's inputs (YearData.fingerprint of that part alone), so that a
    change list can say which part changed."""
    import dataclasses

    empty = {name: (dict() if name in ("release", "inputs") else pd.DataFrame()) for name in INPUT_PARTS}
    if len(data.methodology) == 0 and len(data.indicator_year) == 0:  # a YearData of an older warehouse
        empty = {k: v for k, v in empty.items() if k not in ("methodology", "indicator_year")}
    # each part alone: the chapters' frames are parts of their own, not folded into every other part
    parts = {name: dataclasses.replace(data, **{**empty, name: getattr(data, name)}, chapters={}).fingerprint()[:16]
             for name in INPUT_PARTS if name in empty}
    for cid, chapter_data in sorted((data.chapters or {}).items()):
        parts[CHAPTER_PART + cid] = dataclasses.replace(data, **empty, chapters={cid: chapter_data}).fingerprint()[:16]
    return parts


CHAPTER_PART = "chapter:"  # input_parts key of a chapter's frames


def _part_label(key: str) -> str:
    """What a change list calls an input part (a chapter by its title)."""
    if key.startswith(CHAPTER_PART):
        from jinchengtuo.publication.chapters import chapters

        cid = key[len(CHAPTER_PART):]
        title = next((f"{c.title_zh} {c.title_en}" for c in chapters() if c.id == cid), cid)
        return f"chapter {title}"
    return INPUT_PARTS.get(key, key)


def _method_records(data: YearData) -> list[dict]:
    """marts.dim_methodology as the manifest records it: step, option, value, is_default, per option."""
    m = data.methodology
    if m is None or not len(m):
        return []
    return [{"step": r["step"], "option": r["option"], "value": r["value"], "is_default": bool(r["is_default"])}
            for r in m.to_dict("records")]


def _method_diff(before: list[dict] | None, after: list[dict]) -> list[dict]:
    """The options whose value differs between two recorded option sets (an option new in one is listed too)."""
    if not before or not after:
        return []
    b = {r["option"]: r for r in before}
    a = {r["option"]: r for r in after}
    out = []
    for name in [*a, *(k for k in b if k not in a)]:
        vb, va = (b.get(name) or {}).get("value"), (a.get(name) or {}).get("value")
        if vb != va:
            out.append({"option": name, "step": (a.get(name) or b.get(name))["step"], "before": vb, "after": va})
    return out


def _rank_movement(old: pd.DataFrame, new: pd.DataFrame) -> dict:
    """How ranks moved between two rankings: streets ranked in both, mean absolute rank change,
    the largest moves, streets that entered or left the ranking."""
    o = old.set_index("street_code")["rank"]
    n = new.set_index("street_code")["rank"]
    both = o.dropna().index.intersection(n.dropna().index)
    delta = (o.loc[both].astype(float) - n.loc[both].astype(float))  # positive = up
    names = new.set_index("street_code")["street_name"].to_dict()
    moves = [{"street_code": c, "street_name": names.get(c), "rank_before": _num(o[c]), "rank_after": _num(n[c]), "change": _num(delta[c])}
             for c in delta.abs().sort_values(ascending=False, kind="stable").index[:5] if delta[c] != 0]
    return {"n_compared": int(len(both)), "mean_abs_rank_change": round(float(delta.abs().mean()), 2) if len(both) else None,
            "max_abs_rank_change": _num(delta.abs().max()) if len(both) else None,
            "n_rank_changed": int((delta != 0).sum()), "largest_moves": moves,
            "entered_ranking": sorted(set(n.dropna().index) - set(o.dropna().index)),
            "left_ranking": sorted(set(o.dropna().index) - set(n.dropna().index))}


def _plain_vintages(vintages: list[dict]) -> list[dict]:
    """The vintages as the manifest records them (paths relative to reports/<year>/, no link tokens)."""
    return [{k: v for k, v in x.items() if not k.startswith("href")} for x in vintages]


def _vintages(revisions: dict[int, dict], current: dict | None = None) -> list[dict]:
    """The method vintages of a year: consecutive runs of revisions with one methodology version.
    Each keeps its files in revisions/<n>/ (the last revision of the vintage is its download)."""
    items = sorted({**revisions, **({current["revision"]: current} if current else {})}.items())
    out: list[dict] = []
    for n, m in items:
        version = m.get("methodology_version")
        if out and out[-1]["methodology_version"] == version:
            out[-1]["revisions"].append(n)
            out[-1]["latest_revision"] = n
            out[-1]["path"] = f"revisions/{n}/"
            out[-1]["href"], out[-1]["href_xlsx"] = f"{REVISIONS_TOKEN}{n}/report.html", f"{REVISIONS_TOKEN}{n}/ranking.xlsx"
            continue
        out.append({"vintage": len(out) + 1, "methodology_version": version, "revisions": [n], "latest_revision": n,
                    "href": f"{REVISIONS_TOKEN}{n}/report.html", "href_xlsx": f"{REVISIONS_TOKEN}{n}/ranking.xlsx",
                    "first_published_at": m.get("published_at"), "path": f"revisions/{n}/",
                    "method": [r for r in (m.get("methodology") or []) if not r.get("is_default")]})
    return out


def _source_documents(data: YearData) -> list[dict]:
    cols = ["source_path", "source_file_sha256", "street_code", "doc_type", "status"]
    inv = data.inventory[[c for c in cols if c in data.inventory]]
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in inv.to_dict("records")]


def _changes(previous: dict | None, prev_dir: Path | None, data: YearData, documents: list[dict]) -> dict:
    """What changed since the previous revision of the year: documents, ranking, methodology."""
    if previous is None:
        return {"summary": "first release of this year"}
    before = {d["source_path"]: d for d in previous.get("source_documents", [])}
    now = {d["source_path"]: d for d in documents}
    added = sorted(set(now) - set(before))
    removed = sorted(set(before) - set(now))
    modified = sorted(p for p in set(now) & set(before) if now[p].get("source_file_sha256") != before[p].get("source_file_sha256"))
    status = sorted(p for p in set(now) & set(before) if p not in modified and now[p].get("status") != before[p].get("status"))
    changes: dict = {
        "documents_added": added, "documents_removed": removed, "documents_changed": modified,
        "documents_status_changed": [{"source_path": p, "before": before[p].get("status"), "after": now[p].get("status")} for p in status],
    }
    if previous.get("publication_code_sha256") != code_hash():
        changes["publication_code"] = "the publication code or templates changed"
    if previous.get("methodology_version") != data.methodology_version:
        changes["methodology_version"] = {"before": previous.get("methodology_version"), "after": data.methodology_version}
    method_changes = _method_diff(previous.get("methodology"), _method_records(data))
    if method_changes:
        changes["method_changed"] = method_changes
    ranking_changes = []
    old_path = prev_dir / "ranking.parquet" if prev_dir else None
    if old_path is not None and old_path.exists():
        old = pd.read_parquet(old_path).set_index("street_code")
        for r in data.ranking.itertuples():
            if r.street_code not in old.index:
                ranking_changes.append({"street_code": r.street_code, "street_name": r.street_name, "before": None, "after": _num(r.rank)})
                continue
            o = old.loc[r.street_code]
            if _num(o["rank"]) != _num(r.rank) or not _close(o["composite_score"], r.composite_score):
                ranking_changes.append({"street_code": r.street_code, "street_name": r.street_name,
                                        "rank_before": _num(o["rank"]), "rank_after": _num(r.rank),
                                        "score_before": _num(o["composite_score"]), "score_after": _num(r.composite_score)})
    changes["ranking_changed"] = ranking_changes
    if old_path is not None and old_path.exists():
        changes["rank_movement"] = _rank_movement(pd.read_parquet(old_path), data.ranking)
    parts = []
    for key, label in (("documents_added", "added"), ("documents_removed", "removed"), ("documents_changed", "changed"),
                       ("documents_status_changed", "status changed")):
        if changes[key]:
            parts.append(f"{len(changes[key])} document(s) {label}")
    if "methodology_version" in changes:
        parts.append(f"methodology {changes['methodology_version']['before']} → {changes['methodology_version']['after']}")
    if method_changes:
        parts.append("method changed 方法变更: " + ", ".join(f"{c['option']} {c['before']} → {c['after']}" for c in method_changes))
    if "publication_code" in changes:
        parts.append(changes["publication_code"])
    parts.append(f"{len(ranking_changes)} street(s) with a new score or rank")
    mv = changes.get("rank_movement")
    if mv and mv["n_rank_changed"]:
        top = mv["largest_moves"][0]
        parts.append(f"ranks moved 名次变动: {mv['n_rank_changed']} of {mv['n_compared']} streets, mean |change| "
                     f"{mv['mean_abs_rank_change']:g}, largest {top['street_name'] or top['street_code']} "
                     f"{top['rank_before']} → {top['rank_after']}")
    if not any(changes[k] for k in ("documents_added", "documents_removed", "documents_changed", "documents_status_changed")) \
            and "methodology_version" not in changes and "publication_code" not in changes and not ranking_changes:
        parts = ["ranking unchanged"]
    before_parts = previous.get("input_parts") or {}
    now_parts = _input_parts(data)
    changed_parts = sorted({_part_label(k) for k, v in now_parts.items() if before_parts.get(k, v) != v}
                           | {_part_label(k) for k in (set(now_parts) ^ set(before_parts) if before_parts else ())
                              if k.startswith(CHAPTER_PART)})  # a chapter that appeared or went
    if changed_parts:
        changes["inputs_changed"] = changed_parts
        parts.append("inputs changed: " + ", ".join(changed_parts))
    elif parts == ["ranking unchanged"]:
        parts.append("inputs changed (no per-part record in the previous revision)")
    source_parts = sorted({INPUT_PARTS[k] for k in SOURCE_DATA_PARTS if k in before_parts and k in now_parts
                           and before_parts[k] != now_parts[k]})
    if previous.get("raw_values_sha256") and previous["raw_values_sha256"] != _raw_values_hash(data):
        source_parts = sorted({*source_parts, "raw indicator values"})
    changes["source_data_changed"] = source_parts  # in source data: documents, raw values, context, inputs
    if changes["source_data_changed"] or any(changes[k] for k in ("documents_added", "documents_removed", "documents_changed")):
        parts.append("source data changed 源数据变更: " + (", ".join(changes["source_data_changed"]) or "documents"))
    elif method_changes:
        parts.append("source data unchanged 源数据未变")
    changes["summary"] = "; ".join(parts)
    return changes


def _num(v):
    if v is None or pd.isna(v):
        return None
    f = float(v)
    return int(f) if f.is_integer() else round(f, 4)


def _close(a, b) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    return abs(float(a) - float(b)) < 5e-3


def _render(data: YearData, revision: int, published_at: str, documents_root: Path | None, out_dir: Path) -> dict[str, bytes]:
    """Every file of the release, relative path -> bytes, with profile links valid from out_dir."""
    out: dict[str, bytes] = {}
    tmp = out_dir / ".render"
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        tables.write_csv(data.ranking, tmp / "ranking.csv")
        tables.write_parquet(data.ranking, tmp / "ranking.parquet")
        tables.write_xlsx(data, tmp / "ranking.xlsx")
        for name in ("ranking.csv", "ranking.parquet", "ranking.xlsx"):
            out[name] = (tmp / name).read_bytes()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    from jinchengtuo.publication import chapters

    for ch in chapters.chapters():  # files a chapter publishes beside the ranking (two_way.csv, …)
        if ch.id in data.chapters:
            for rel, blob in ch.files(data, data.chapters[ch.id]).items():
                if rel in out or rel.startswith(("streets/", "revisions/", "/")) or ".." in rel:
                    raise ValueError(f"chapter {ch.id}: file name {rel!r} is taken or not a plain release file")
                out[rel] = blob
    out["report.html"] = html.render_report(data, revision=revision, published_at=published_at).encode("utf-8")
    for code, page in html.render_profiles(data, revision=revision, published_at=published_at, documents_root=documents_root).items():
        out[f"streets/{code}.html"] = page.encode("utf-8")
    return out


def _localise(files: dict[str, bytes], dest: Path, documents_root: Path | None) -> dict[str, bytes]:
    """Replace the sources token in profiles by the relative path from their place under dest."""
    if documents_root is None:
        return files
    token = html.SOURCES_TOKEN.encode()
    out = {}
    for rel, data in files.items():
        if token in data:
            prefix = os.path.relpath(documents_root.resolve(), (dest / rel).parent.resolve()).replace(os.sep, "/")
            data = data.replace(token, prefix.encode())
        out[rel] = data
    return out


REVISIONS_TOKEN = "JCT-REVISIONS-PREFIX/"  # in links to earlier revisions; resolved per place of the file


REPORTS_ROOT_TOKEN = "JCT-REPORTS-ROOT/"  # in links to the reports folder (reports/quality/…); resolved per place too


def _localise_revisions(files: dict[str, bytes], in_revision: bool) -> dict[str, bytes]:
    """Links to revisions/<n>/ and to the reports folder, from the current files (reports/<year>/)
    or from a revision's own copy (reports/<year>/revisions/<n>/)."""
    tokens = ((REVISIONS_TOKEN.encode(), b"../" if in_revision else b"revisions/"),
              (REPORTS_ROOT_TOKEN.encode(), b"../../../" if in_revision else b"../"))
    out = {}
    for rel, b in files.items():
        for token, prefix in tokens:
            if token in b:
                b = b.replace(token, prefix)
        out[rel] = b
    return out


def _checksums(files: dict[str, bytes]) -> dict[str, dict]:
    return {rel: {"sha256": hashlib.sha256(b).hexdigest(), "bytes": len(b)} for rel, b in sorted(files.items())}


def _sync_current(year_dir: Path, files: dict[str, bytes], manifest: dict) -> None:
    """Replace the current files one by one (write aside, rename), drop stale profiles, then point latest."""
    for rel, data in files.items():
        atomic_write_bytes(year_dir / rel, data)
    streets_dir = year_dir / "streets"
    wanted = {rel.split("/", 1)[1] for rel in files if rel.startswith("streets/")}
    if streets_dir.is_dir():
        for p in streets_dir.iterdir():
            if p.is_file() and p.name.endswith(".html") and p.name not in wanted:
                p.unlink()
    atomic_write_json(year_dir / "manifest.json", manifest)
    atomic_write_json(year_dir / "latest.json", {
        "year": manifest["year"], "revision": manifest["revision"], "path": f"revisions/{manifest['revision']}",
        "fingerprint": manifest["fingerprint"], "published_at": manifest["published_at"],
        "methodology_version": manifest["methodology_version"],
    })


def _current_ok(year_dir: Path, manifest: dict) -> bool:
    latest = _read_json(year_dir / "latest.json")
    if not latest or latest.get("revision") != manifest["revision"]:
        return False
    for rel, meta in manifest.get("current_files", {}).items():
        p = year_dir / rel
        if not p.exists() or p.stat().st_size != meta["bytes"] or sha256_file(p) != meta["sha256"]:
            return False
    return True


def publish_year(year: int, *, warehouse: Path | str | None = None, reports_root: Path | None = None,
                 documents_root: Path | None = None, now: dt.datetime | None = None) -> PublishResult:
    """Publish one year from the warehouse marts. Writes nothing when its inputs did not change."""
    warehouse = Path(warehouse or config.warehouse_path())
    reports_root = Path(reports_root or config.reports_dir())
    documents_root = Path(documents_root) if documents_root else config.documents_dir()
    con = connect(warehouse)
    try:
        data = load_year(con, int(year), warehouse=str(warehouse))
    finally:
        con.close()
    return publish_data(data, reports_root=reports_root, documents_root=documents_root, now=now)


def _publish_one(year: int, warehouse, reports_root, documents_root, now) -> PublishResult | PublicationInputError:
    try:
        return publish_year(year, warehouse=warehouse, reports_root=reports_root, documents_root=documents_root, now=now)
    except PublicationInputError as exc:  # this year cannot be published; the others can
        return exc


def publish_years(years: Iterable[int], *, warehouse: Path | str | None = None, reports_root: Path | None = None,
                  documents_root: Path | None = None, now: dt.datetime | None = None,
                  workers: int | None = None) -> Iterator[tuple[int, PublishResult | PublicationInputError]]:
    """Publish several years. Each year is independent (its own folder, the warehouse read-only),
    so they are rendered in parallel processes, one per core (the charts dominate: ~9 s a year).

    Yields (year, PublishResult or the PublicationInputError that stopped that year) in the order
    given. Any other error (a full disk, a permission error) is raised when its year comes, after
    the earlier years were yielded; the years already published stay published."""
    years = [int(y) for y in years]
    warehouse = Path(warehouse or config.warehouse_path())
    reports_root = Path(reports_root or config.reports_dir())
    documents_root = Path(documents_root) if documents_root else config.documents_dir()
    workers = max(1, min(len(years), workers or os.cpu_count() or 1))
    if workers == 1:
        for y in years:
            yield y, _publish_one(y, warehouse, reports_root, documents_root, now)
        return
    # spawn, not fork: the caller may be a threaded process (the Dagster executor)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [(y, pool.submit(_publish_one, y, warehouse, reports_root, documents_root, now)) for y in years]
        for y, fut in futures:
            yield y, fut.result()


def publish_data(data: YearData, *, reports_root: Path, documents_root: Path | None, now: dt.datetime | None = None) -> PublishResult:
    year_dir = reports_root / str(data.year)
    rev_dir = year_dir / "revisions"
    fingerprint = _fingerprint(data, documents_root)
    revisions = _revisions(rev_dir)
    latest_n = max(revisions) if revisions else None
    if latest_n is not None and revisions[latest_n].get("fingerprint") == fingerprint:
        manifest = revisions[latest_n]
        if _current_ok(year_dir, manifest):
            return PublishResult(data.year, latest_n, False, year_dir, manifest)
        data.vintages = manifest.get("vintages") or _vintages(revisions)
        # an interrupted promotion (or a damaged current copy): put the revision's content back
        files = _render(data, latest_n, manifest["published_at"], documents_root, year_dir)
        current = _localise_revisions(_localise(files, year_dir, documents_root), in_revision=False)
        manifest = {**manifest, "current_files": _checksums(current)}
        _sync_current(year_dir, current, manifest)
        atomic_write_json(rev_dir / str(latest_n) / "manifest.json", manifest)
        return PublishResult(data.year, latest_n, False, year_dir, manifest, repaired=True, files=sorted(current))

    n = (latest_n or 0) + 1
    published_at = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    # the method vintages, this revision included: the report links the earlier ones (revisions/<n>/)
    data.vintages = _vintages(revisions, {"revision": n, "methodology_version": data.methodology_version,
                                          "published_at": published_at, "methodology": _method_records(data)})
    rev_dir.mkdir(parents=True, exist_ok=True)
    for stale in rev_dir.glob(".tmp-*"):  # left by a crash: never a release
        shutil.rmtree(stale, ignore_errors=True)
    tmp = rev_dir / f".tmp-{n}-{uuid.uuid4().hex[:8]}"
    final = rev_dir / str(n)
    files = _render(data, n, published_at, documents_root, tmp)
    in_revision = _localise_revisions(_localise(files, final, documents_root), in_revision=True)
    current = _localise_revisions(_localise(files, year_dir, documents_root), in_revision=False)
    documents = _source_documents(data)
    previous = revisions.get(latest_n) if latest_n else None
    manifest = {
        "year": data.year, "revision": n, "published_at": published_at, "previous_revision": latest_n,
        "methodology_version": data.methodology_version, "publication_version": html.PUBLICATION_VERSION,
        "publication_code_sha256": code_hash(),
        "fingerprint": fingerprint, "warehouse": data.warehouse,
        "n_streets": int(len(data.ranking)), "n_ranked": int(data.ranking["rank"].notna().sum()),
        # what the release may claim: a full ranking or provisional (coverage gates), and whether
        # it is built on sample or synthetic inputs (marts.fct_year_coverage, marts.dim_release_inputs)
        "release_status": data.release.get("release_status"), "release_reason": data.release.get("release_reason"),
        "is_sample_data": data.is_sample, "sample_label": data.inputs.get("sample_label"),
        "synthetic_inputs": data.inputs.get("synthetic_inputs"),
        "n_insufficient_data": int((data.ranking["rank_status"] == "insufficient_data").sum()),
        # the full option set of the build (marts.dim_methodology) and the year's method vintages
        "methodology": _method_records(data), "vintages": _plain_vintages(data.vintages), "raw_values_sha256": _raw_values_hash(data),
        "changes": _changes(previous, rev_dir / str(latest_n) if latest_n else None, data, documents),
        "input_parts": _input_parts(data),  # what the next revision's change list compares
        "files": _checksums(in_revision), "current_files": _checksums(current),
        "source_documents": documents,
    }
    try:
        for rel, b in in_revision.items():
            p = tmp / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(b)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
        os.rename(tmp, final)  # the revision appears complete or not at all
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _sync_current(year_dir, current, manifest)
    index = [{"revision": k, "published_at": m.get("published_at"), "methodology_version": m.get("methodology_version"),
              "path": f"revisions/{k}/", "changes": (m.get("changes") or {}).get("summary")}
             for k, m in sorted({**revisions, n: manifest}.items())]
    atomic_write_json(rev_dir / "index.json", {"year": data.year, "current": n, "revisions": index,
                                               "vintages": _plain_vintages(data.vintages)})
    return PublishResult(data.year, n, True, year_dir, manifest, files=sorted(current))


@dataclass
class PanelResult:
    changed: bool
    csv_path: Path
    parquet_path: Path
    n_rows: int
    years: list[int]


def publish_panel(*, warehouse: Path | str | None = None, reports_root: Path | None = None) -> PanelResult:
    """reports/panel/rankings_panel.csv and .parquet: every year, long form. Unchanged: nothing written."""
    warehouse = Path(warehouse or config.warehouse_path())
    out = Path(reports_root or config.reports_dir()) / "panel"
    con = connect(warehouse)
    try:
        df = panel_frame(con)
        years = published_years(con)
    finally:
        con.close()
    csv_path, pq_path = out / "rankings_panel.csv", out / "rankings_panel.parquet"
    csv_bytes = df.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")  # BOM: Excel reads the Chinese
    if csv_path.exists() and pq_path.exists() and csv_path.read_bytes() == csv_bytes:
        return PanelResult(False, csv_path, pq_path, len(df), years)
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".rankings_panel.parquet.tmp-{uuid.uuid4().hex[:8]}"
    try:
        df.to_parquet(tmp, index=False)
        os.replace(tmp, pq_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    atomic_write_bytes(csv_path, csv_bytes)
    return PanelResult(True, csv_path, pq_path, len(df), years)
