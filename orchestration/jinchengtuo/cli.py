"""`jinchengtuo`: the command line, a thin layer over the same jobs and libraries."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

import typer

from jinchengtuo import config

def _option_help(name: str | None) -> str:
    """Help of a scoring option, from dbt_project/seeds/scoring_options.csv (None: the --option help)."""
    from jinchengtuo.scoring.options import SPEC_BY_OPTION, SPECS, option_text

    if name is None:
        listed = "; ".join(f"{s.option} ({s.step}, default {option_text(s.default)})" for s in SPECS)
        return ("Any scoring option as NAME=VALUE (repeatable; lists of years as 2020,2021), recorded in methodology_version "
                f"and marts.dim_methodology: {listed}. See docs/methodology.md.")
    spec = SPEC_BY_OPTION[name]
    return f"Scoring option ({spec.step}): {', '.join(spec.allowed)} (default {spec.default}). {spec.description_en}"


app = typer.Typer(help="金秤砣 street governance observatory: documents in, audited yearly rankings out.", no_args_is_help=True, add_completion=False)


@app.command()
def refresh(
    year: Optional[list[int]] = typer.Option(None, "--year", "-y", help="Year(s) to publish (default: every year the documents report on). The warehouse is rebuilt for all years."),
    force: bool = typer.Option(False, "--force", help="Rebuild even when no input, code or configuration changed since the last release."),
    normalisation: Optional[str] = typer.Option(None, help=_option_help("normalisation")),
    weighting: Optional[str] = typer.Option(None, help=_option_help("weighting")),
    aggregation: Optional[str] = typer.Option(None, help=_option_help("aggregation")),
    imputation: Optional[str] = typer.Option(None, help=_option_help("imputation")),
    option: Optional[list[str]] = typer.Option(None, "--option", "-o", metavar="NAME=VALUE", help=_option_help(None)),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Dagster's and dbt's full log instead of the short progress display."),
    scope: Optional[str] = typer.Option(None, "--scope", help="The units observed (default: JCT_SCOPE, else shenzhen): shenzhen (the 74 "
                                        "streets), national (41,352 township-level units) or province/city/county codes or names "
                                        "(44,4404 or 珠海市). Give another scope its own JCT_WAREHOUSE/JCT_REPORTS."),
) -> None:
    """Run the annual refresh job (the same job the schedule runs): load, extract, build, check, release, publish.

    Runs of earlier refreshes whose process is gone (killed, out of memory) are marked failed first,
    so that they hold no pool. Ends with a summary per year and per document."""
    from jinchengtuo.refresh import ensure_dagster_home, format_summary, run_refresh_with_summary, up_to_date

    from jinchengtuo.reference.scope import ENV, Scope, ScopeError

    try:
        chosen = Scope.parse(scope) if scope is not None else Scope.from_env()
    except ScopeError as exc:
        typer.echo(f"error: {'--scope' if scope is not None else ENV}: {exc}", err=True)
        raise typer.Exit(2)
    if scope is not None:
        os.environ[ENV] = chosen.spec  # the run executes in this process: every step reads it
    home = ensure_dagster_home()
    typer.echo(f"scope:     {chosen.label}\nsources:   {config.sources_dir()}\nwarehouse: {config.warehouse_path()}\nreports:   {config.reports_dir()}\n"
               f"dagster:   {home}", err=True)
    years = [str(y) for y in year] if year else None
    method_vars = _method_vars(normalisation, weighting, aggregation, imputation=imputation, option=option)
    if method_vars:
        typer.echo(f"scoring method: {method_vars} (recorded in methodology_version; use separate JCT_WAREHOUSE/JCT_REPORTS to keep the default ranking beside it)", err=True)
    if not force:
        fingerprint = up_to_date(years, method_vars)
        if fingerprint:
            typer.echo(f"nothing changed since the last release (inputs {fingerprint[:12]}): warehouse and reports are current; --force rebuilds", err=True)
            return
    try:
        result, summary = run_refresh_with_summary(years, method_vars=method_vars, verbose=verbose)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(format_summary(summary))
    if not result.success:
        typer.echo("refresh FAILED: what could not be done is kept as it was (see the ✘ lines above and the summary).", err=True)
        raise typer.Exit(1)


@app.command()
def doctor(
    heal: bool = typer.Option(False, "--heal", help="Mark orphaned runs failed and free their pools (a refresh does this itself)."),
) -> None:
    """The state of the warehouse's Dagster instance, warehouse and releases: orphaned runs, pools in use,
    an unfinished build, years published vs scored. Exit code 1 when something needs attention."""
    from jinchengtuo.doctor import diagnose, format_report

    report = diagnose(heal=heal)
    typer.echo(format_report(report))
    if report["problems"]:
        raise typer.Exit(1)


@app.command()
def extract(
    paths: list[Path] = typer.Argument(..., help="Document files (PDF, HTML, DOCX, text) or folders of them."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per extracted value (default: a readable table)."),
    directory: str = typer.Option("shenzhen", "--directory", help="Units to attribute issuers to: shenzhen (the 74 streets of "
                                  "sources/reference/streets.csv) or national (the 41,352 township-level units of sources/reference/national/)."),
) -> None:
    """Extract documents: one line per value, with doc_type, street, year, page and source text.

    Whoever issued a document, its figures are read: a document whose issuer is not one of the
    streets of sources/reference/streets.csv is printed with street_code null and its
    issuer_name (status unidentified, a warning on stderr). Per file, stderr says what was
    detected (type, street or issuer, year), how many figures were read (or why none) and the
    document's verification. The exit code is 1 when a file could not be read or was refused."""
    import json

    from jinchengtuo.documents import list_documents
    from jinchengtuo.documents.catalog import label
    from jinchengtuo.documents.corpus import extract_files_bounded
    from jinchengtuo.reference import StreetDirectory

    if directory == "shenzhen":
        streets = StreetDirectory.load()
    elif directory == "national":
        from jinchengtuo.reference.national import NationalDirectory

        streets = NationalDirectory.load()
    else:
        raise typer.BadParameter(f"--directory {directory!r}: use shenzhen or national")
    failed = 0
    for target in paths:
        if target.is_dir():
            root, files = target, list_documents(target)[0]
        elif target.is_file():
            root, files = target.parent, [target]
        else:
            typer.echo(f"error: {target}: no such file or folder", err=True)
            failed += 1
            continue
        # each document read in a worker under its time and memory budget: a hostile file fails, the others go on
        for path, result in zip(files, extract_files_bounded(files, documents_root=root, streets=streets)):
            for i in result.issues:
                if i["severity"] in ("error", "warning"):
                    typer.echo(f"{i['severity']}: {i['message']}", err=True)
            who = result.street_code and f"{result.issuer_name or ''} ({result.street_code})" or (
                f"issuer {result.issuer_name} (not in the directory)" if result.issuer_name else "no issuer found")
            typer.echo(f"{path.name}: {result.doc_type or 'unknown type'}, {who}, year {result.year or '?'}, {result.file_format.upper()}; "
                       f"{result.status}, {len(result.values)} figure(s)" + ("" if result.values else f" ({result.reason})")
                       + (f"; verification {result.verification} ({result.checks_passed} check(s) passed, {result.checks_failed} failed)"
                          if result.values else ""), err=True)
            if result.status == "failed":
                failed += 1
                continue
            for v in result.values:
                row = {"doc_type": result.doc_type, "street_code": result.street_code, "issuer_name": result.issuer_name,
                       "year": result.year, "field_id": v["field_id"], "label": label(v["field_id"]), "value": v["value"],
                       "unit": v["unit"], "page": v["source_page"], "source_text": v["source_text"], "method": v.get("method"),
                       "status": result.status, "verification": result.verification, "file_sha256": result.source_file_sha256}
                if as_json:
                    typer.echo(json.dumps(row, ensure_ascii=False))
                else:
                    typer.echo(f"{path.name}\t{row['street_code'] or '-'}\t{row['year']}\t{row['field_id']}\t{row['label']}\t"
                               f"{row['value']:g} {row['unit']}\tp.{row['page']}")
    if failed:
        raise typer.Exit(1)


def _method_vars(normalisation: str | None, weighting: str | None, aggregation: str | None, *,
                 imputation: str | None = None, option: list[str] | None = None) -> str:
    """The dbt vars (JSON) of a non-default scoring method; '' for the default. A value that cannot
    be applied is refused naming the option."""
    import json

    from jinchengtuo.scoring.options import ScoringOptions

    chosen = {k: v for k, v in {"normalisation": normalisation, "weighting": weighting, "aggregation": aggregation,
                                "imputation": imputation}.items() if v}
    for item in option or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"--option {item!r}: write NAME=VALUE")
        chosen[name.strip()] = value.strip()
    try:
        options = ScoringOptions.from_dbt_vars(chosen)
    except ValueError as exc:
        raise typer.BadParameter(str(exc))
    dbt_vars = options.dbt_vars()
    return json.dumps(dbt_vars, sort_keys=True) if dbt_vars else ""


@app.command()
def docs(out: Path = typer.Option(None, help="Folder for the dbt documentation site (default: reports/dbt_docs).")) -> None:
    """Build the dbt documentation site (lineage, every model and column) offline, as one static page."""
    published = config.warehouse_path()
    out = out or config.reports_dir() / "dbt_docs"
    dbt = Path(sys.executable).with_name("dbt")
    with tempfile.TemporaryDirectory() as tmp:
        # dbt opens the database read-write: give it a copy so analysts' readers are never blocked
        db = Path(tmp) / "warehouse.duckdb"
        if published.exists():
            shutil.copyfile(published, db)
        env = {**os.environ, "JCT_WAREHOUSE": str(db), "DBT_TARGET_PATH": str(Path(tmp) / "target")}
        cmd = [str(dbt if dbt.exists() else "dbt"), "docs", "generate", "--static", "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            typer.echo(proc.stdout[-3000:] + proc.stderr[-3000:], err=True)
            raise typer.Exit(proc.returncode)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("static_index.html", "index.html", "manifest.json", "catalog.json"):
            src = Path(tmp) / "target" / name
            if src.exists():
                shutil.copyfile(src, out / name)
    typer.echo(f"dbt docs: {out / 'static_index.html'} (open it in a browser; works offline)")


@app.command()
def publish(
    year: Optional[list[int]] = typer.Option(None, "--year", "-y", help="Year(s) to publish (default: every year the documents report on, as the refresh)."),
) -> None:
    """Publish reports/<year>/ and the panel from the published warehouse (no rebuild). A year whose
    inputs did not change writes nothing; a changed year becomes a new revision. Which years are
    published is the refresh's rule (defs/partitions.publishable_years)."""
    from jinchengtuo.defs.partitions import publishable_years
    from jinchengtuo.publication import PublicationInputError, publish_panel, publish_years
    from jinchengtuo.publication.data import connect, published_years

    failed = 0
    try:
        con = connect(config.warehouse_path())
        try:
            years, refused = publishable_years(published_years(con), list(year) if year else None)
        finally:
            con.close()
    except PublicationInputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2)
    for y, why in refused.items():
        typer.echo(f"error: {y}: not published: {why}", err=True)
        failed += 1
    for y, res in publish_years(years):
        if isinstance(res, PublicationInputError):
            typer.echo(f"error: {y}: {res}", err=True)
            failed += 1
            continue
        state = "new revision" if res.changed else ("repaired" if res.repaired else "unchanged, nothing written")
        summary = f": {res.manifest['changes'].get('summary', '')}" if res.changed else ""
        status = res.manifest.get("release_status")
        status = f", {status}" if status and status != "ranking" else ""
        typer.echo(f"{y}: revision {res.revision} ({state}{status}){summary} → {res.year_dir}")
    panel = publish_panel()
    typer.echo(f"panel: {'written' if panel.changed else 'unchanged'} ({panel.n_rows} rows) → {panel.csv_path}")
    if failed:
        raise typer.Exit(1)


def _years(spec: str) -> list[int]:
    """'2019-2023' or '2019,2021' or '2022' -> years."""
    years: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            raise typer.BadParameter(f"{spec!r}: give years as 2019-2023 or 2019,2021")
        a, b = int(lo), int(hi or lo)
        if not (2000 <= a <= b <= 2100):
            raise typer.BadParameter(f"{spec!r}: years must be between 2000 and 2100, lowest first")
        years.update(range(a, b + 1))
    if not years:
        raise typer.BadParameter("no year given")
    return sorted(years)


@app.command("sample-corpus")
def sample_corpus(
    out: Path = typer.Option(..., "--out", help="Folder to write DIR/documents/… and DIR/truth/… into (e.g. sources)."),
    years: str = typer.Option("2019-2023", "--years", help="Years, e.g. 2019-2023 or 2019,2021."),
    seed: int = typer.Option(2026, "--seed", help="Random seed: the same seed gives the same files, byte for byte."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Processes (default: one per core)."),
    force: bool = typer.Option(False, "--force", help="Replace DIR/documents even if it was not generated by this command."),
    scope: str = typer.Option("shenzhen", "--scope", help="shenzhen (the 74 streets, every document type, the mess of real "
                              "folders), national (N township-level units drawn across China: final accounts and "
                              "disclosure reports, DIR/documents/<year>/<province>/<county>/<unit>/…) or province/city "
                              "codes (44,3301: N units drawn among theirs)."),
    units: int = typer.Option(1000, "--units", help="With --scope national: how many units to draw (seeded)."),
    mix: str = typer.Option("light", "--mix", help="With --scope national: light (final accounts and disclosure reports; "
                            "too few indicators for a unit to pass the coverage gates, so nothing is ranked) or full "
                            "(plus rule-of-law reports and work summaries: units are scored and ranked)."),
) -> None:
    """Write the sample document corpus (synthetic documents of every street, year and type, with
    the mess of real folders) and its ground truth."""
    from jinchengtuo.corpus.generate import generate, is_generated

    year_list = _years(years)
    if (out / "documents").exists() and not is_generated(out) and not force:
        typer.echo(f"error: {out / 'documents'} exists and was not written by sample-corpus (real documents?); "
                   "choose another --out or pass --force", err=True)
        raise typer.Exit(2)
    out.mkdir(parents=True, exist_ok=True)
    if scope != "shenzhen":
        from jinchengtuo.corpus.national import generate_national
        from jinchengtuo.reference.scope import Scope, ScopeError

        try:
            parsed = Scope.parse(scope)
        except ScopeError as exc:
            raise typer.BadParameter(str(exc))
        if units < 1:
            raise typer.BadParameter("--units must be at least 1")
        if mix not in ("light", "full"):
            raise typer.BadParameter(f"--mix {mix!r}: use light or full")
        national = generate_national(out, units, year_list, seed=seed, workers=workers, scope=parsed, mix=mix,
                                     progress=lambda m: typer.echo(m, err=True))
        typer.echo(f"national sample corpus: {national.n_units} units, {national.n_files} files, {national.n_values} figures, "
                   f"years {year_list[0]}–{year_list[-1]}, seed {seed}, {national.seconds:.1f} s "
                   f"({national.n_files / max(national.seconds, 1e-9):.0f} files/s) → {out / 'documents'} (truth: {out / 'truth'})")
        typer.echo("expected statuses: " + ", ".join(f"{k} {v}" for k, v in sorted((national.statuses or {}).items())))
        return
    corpus = generate(out, years=year_list, seed=seed, workers=workers)
    statuses: dict[str, int] = {}
    for f in corpus.files:
        statuses[f["expected_status"]] = statuses.get(f["expected_status"], 0) + 1
    typer.echo(f"sample corpus: {len(corpus.files)} files, {len(corpus.values)} figures, years {year_list[0]}–{year_list[-1]}, "
               f"seed {seed}, {corpus.seconds:.1f} s → {out / 'documents'} (truth: {out / 'truth'})")
    typer.echo("expected statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    # the resident survey and 12345 hotline sample (SYNTHETIC), from the same model and seed
    from jinchengtuo.surveys.sample import write_sample

    survey_files = write_sample(out, year_list, seed=seed)
    typer.echo("sample resident surveys (SYNTHETIC): " + ", ".join(str(p) for p in survey_files))



@app.command("sample-surveys")
def sample_surveys(
    out: Path = typer.Option(..., "--out", help="Sources folder to write DIR/surveys/ into (e.g. sources)."),
    years: Optional[str] = typer.Option(None, "--years", help="Years (default: those of the generated corpus in DIR/truth, else 2019-2023)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed (default: the generated corpus's, else 2026)."),
) -> None:
    """Write the SYNTHETIC resident survey and 12345 hotline sample (sample-corpus does it too) from the
    model of the sample corpus, without regenerating the documents."""
    import json

    from jinchengtuo.surveys.sample import write_sample

    meta = {}
    try:
        meta = json.loads((out / "truth" / "corpus.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    if meta.get("units") or meta.get("scope", "shenzhen") != "shenzhen":
        # the survey sample follows the Shenzhen corpus model; a national sample corpus has no resident survey
        typer.echo(f"no survey sample: the sample corpus in {out} is not the Shenzhen one (scope {meta.get('scope')!r})")
        return
    year_list = _years(years) if years else sorted(int(y) for y in meta.get("years") or range(2019, 2024))
    files = write_sample(out, year_list, seed=seed if seed is not None else int(meta.get("seed") or 2026))
    typer.echo("sample resident surveys (SYNTHETIC): " + ", ".join(str(p) for p in files))

if __name__ == "__main__":
    app()
