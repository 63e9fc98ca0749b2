"""Publication as Dagster assets: one release per year partition, and the multi-year panel.

Both read the published warehouse (downstream of `warehouse_release`, so only after the blocking
checks passed) and write under JCT_REPORTS through the pool `reports_writer`. A year with a
failed error of a year-scoped quality suite in the released run (`quality.check_result`) is not
published: its previous release stays as it was, the step fails naming the check, the failing
rows and the reason, and the other years are published. A year whose inputs
did not change writes nothing (the metadata says so). The refresh job runs every year in one
run (single-run backfill policy), so the asset loops over `context.partition_keys` and records one
materialization per year published, with that year's metadata. Which years of the run are
published is `defs/partitions.publishable_years` (the rule `jinchengtuo publish` uses too).
"""


import json

import dagster as dg

from jinchengtuo import config
from jinchengtuo.defs.partitions import publishable_years, year_partitions, years_in_sources
from jinchengtuo.defs.resources import WarehouseResource
from jinchengtuo.publication import PublicationInputError, publish_panel, publish_years
from jinchengtuo.publication.data import connect, published_years
from jinchengtuo.quality import history

REPORTS_POOL = "reports_writer"
YEARLY_KEY = dg.AssetKey(["publication", "yearly_release"])
PANEL_KEY = dg.AssetKey(["publication", "rankings_panel"])


def _preview(path) -> str:
    import pandas as pd

    df = pd.read_csv(path, encoding="utf-8-sig", dtype=str).head(10)
    cols = ["rank", "street_name", "district_name", "composite_score", "tier", "rank_change"]
    df = df[[c for c in cols if c in df]].fillna("")
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def quality_blocks(published) -> tuple[str | None, dict[int | None, list[dict]]]:
    """(run id of the released warehouse, failed year-scoped errors of that run by year)."""
    import duckdb

    if not published.exists():
        return None, {}
    con = duckdb.connect(str(published), read_only=True)
    try:
        run_id = history.released_run_id(con)
        return run_id, (history.blocking_failures(con, run_id) if run_id else {})
    finally:
        con.close()


def _year_outcome(key: str, res) -> dict:
    """What happened to one year, for the metadata and the refresh summary."""
    m = res.manifest
    if res.changed:
        state = "published" if res.revision == 1 else "revised"
        why = (m.get("changes") or {}).get("summary", "")
    else:
        state = "unchanged"
        why = f"inputs unchanged since revision {res.revision}" + ("; current files repaired from it" if res.repaired else "")
    return {"year": int(key), "state": state, "revision": res.revision, "why": why,
            "release_status": m.get("release_status") or "ranking", "release_reason": m.get("release_reason") or "",
            "n_ranked": m.get("n_ranked"), "n_streets": m.get("n_streets"), "path": str(res.year_dir),
            "is_sample_data": m.get("is_sample_data")}


@dg.asset(
    key=YEARLY_KEY,
    deps=[dg.AssetKey("warehouse_release")],
    partitions_def=year_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="publication",
    pool=REPORTS_POOL,
    kinds={"html", "csv", "parquet", "xlsx"},
    output_required=False,  # one materialization per year published, each with its own metadata
    description="Publishes reports/<year>/: ranking.csv (UTF-8 BOM), ranking.parquet, ranking.xlsx, report.html and the "
    "street profiles, as a new revision with a manifest when the year's inputs changed; otherwise writes nothing. "
    "Of the years of the run, those the documents report on are published (defs/partitions.publishable_years).",
)
def yearly_release(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    years = list(context.partition_keys)
    outcomes: dict[str, dict] = {}
    failures: list[str] = []
    released_run, blocks = quality_blocks(warehouse.published)
    con = connect(warehouse.published)
    try:
        scored = published_years(con)
    finally:
        con.close()
    to_publish, refused = publishable_years(scored, [int(k) for k in years])
    # a year asked for by name, or with a year folder of documents, that cannot be published is said;
    # the other empty partitions of the range are years no document reports on
    named = set(filter(None, context.run.tags.get("jinchengtuo/years", "").split(","))) | set(years_in_sources())
    for year, why in refused.items():
        if str(year) in named:
            context.log.warning(f"{year}: nothing to publish: {why}")
            outcomes[str(year)] = {"year": year, "state": "not published", "why": why}
    publish_now = []
    for year in to_publish:
        key = str(year)
        year_blocks = blocks.get(year, []) + blocks.get(None, [])
        if year_blocks:
            reasons = [history.describe_failure(f) for f in year_blocks]
            context.log.error(f"{key}: not published, blocked by the quality checks of run {released_run}:\n" + "\n".join(reasons))
            failures.append(f"{key}: not published (previous release kept), blocked by quality checks of run {released_run}:\n  "
                            + "\n  ".join(reasons))
            outcomes[key] = {"year": year, "state": "blocked", "why": "; ".join(
                f"{f['check_name']} on {f['table_name']}: {f['expectation']} {f['column_name'] or ''}".strip() for f in year_blocks),
                "blocked_by": [{"check": f["check_name"], "table": f["table_name"], "expectation": f["expectation"],
                                "column": f["column_name"], "failing_rows": f["failing_rows"]} for f in year_blocks]}
            continue
        publish_now.append(year)
    released = publish_years(publish_now, warehouse=warehouse.published, reports_root=config.reports_dir(),
                             documents_root=config.documents_dir())
    for year, res in released:
        key = str(year)
        if isinstance(res, PublicationInputError):
            context.log.error(f"{key}: not published: {res}")
            failures.append(f"{key}: {res}")
            outcomes[key] = {"year": year, "state": "failed", "why": str(res)}
            continue
        out = outcomes[key] = _year_outcome(key, res)
        m = res.manifest
        context.log.info(f"progress: {key}: revision {res.revision} ({out['state']}" + (
            f", {out['release_status']}" if out["release_status"] != "ranking" else "") + f"): {out['why']}")
        state = "new revision" if res.changed else ("current files repaired" if res.repaired else "unchanged, nothing written")
        changes = (m.get("changes") or {}).get("summary", "") if res.changed else f"none since revision {res.revision}"
        manifest = {k: m.get(k) for k in ("revision", "published_at", "methodology_version", "fingerprint", "n_streets", "n_ranked",
                                          "release_status", "release_reason", "changes")}
        manifest["files"] = {rel: v["sha256"][:16] for rel, v in m["files"].items() if not rel.startswith("streets/")}
        yield dg.AssetMaterialization(asset_key=YEARLY_KEY, partition=key, metadata={
            "revision": res.revision,
            "state": out["state"],
            "release_status": out["release_status"],
            "releases": dg.MetadataValue.md("| year | revision | state | ranked | methodology | changes |\n|---|---|---|---|---|---|\n"
                                            f"| {key} | {res.revision} | {state} | {m['n_ranked']} / {m['n_streets']} | "
                                            f"{m['methodology_version']} | {changes.replace('|', '/')} |"),
            "manifest": dg.MetadataValue.json(json.loads(json.dumps({key: manifest}, default=str))),
            "dagster/row_count": m["n_streets"],
            "preview": dg.MetadataValue.md(f"**{key}** top 10\n\n" + _preview(res.ranking_path)),
            "report": dg.MetadataValue.path(str(res.year_dir / "report.html")),
            "reports_dir": dg.MetadataValue.path(str(config.reports_dir())),
            "quality_run": released_run or "none recorded",
        })
    # the outcome of every year, for the refresh summary (the run's log keeps it)
    context.log.info("year outcomes: " + json.dumps(outcomes, ensure_ascii=False, default=str))
    if failures:
        raise dg.Failure(description="some years could not be published:\n" + "\n".join(failures),
                         metadata={"outcomes": dg.MetadataValue.json(json.loads(json.dumps(outcomes, default=str)))})


@dg.asset(
    key=PANEL_KEY,
    # reads the released warehouse only (not the yearly files), so it runs whichever years were published
    deps=[dg.AssetKey("warehouse_release")],
    group_name="publication",
    pool=REPORTS_POOL,
    kinds={"csv", "parquet"},
    description="reports/panel/rankings_panel.csv and .parquet: every year in long form (street, year, measure, score, "
    "rank, tier, methodology version). Rewritten only when its content changed.",
)
def rankings_panel(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    res = publish_panel(warehouse=warehouse.published, reports_root=config.reports_dir())
    context.log.info(f"panel {'written' if res.changed else 'unchanged'}: {res.n_rows} rows, years {res.years}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": res.n_rows, "changed": res.changed, "years": ", ".join(map(str, res.years)),
        "csv": dg.MetadataValue.path(str(res.csv_path)), "parquet": dg.MetadataValue.path(str(res.parquet_path)),
    })


defs = dg.Definitions(assets=[yearly_release, rankings_panel])
