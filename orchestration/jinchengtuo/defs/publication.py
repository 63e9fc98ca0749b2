"""Publication as Dagster assets: one release per year partition, and the multi-year panel.

Both read the published warehouse (downstream of `warehouse_release`, so only after the blocking
checks passed) and write under JCT_REPORTS through the pool `reports_writer`. A year with a
failed error of a year-scoped quality suite in the released run (`quality.check_result`) is not
published: its previous release stays as it was, the step fails naming the check, the failing
rows and the reason, and the other years are published. A year whose inputs
did not change writes nothing (the metadata says so). The refresh job runs every year in one
run (single-run backfill policy), so the asset loops over `context.partition_keys`.
"""


import json

import dagster as dg

from jinchengtuo import config
from jinchengtuo.defs.partitions import year_partitions
from jinchengtuo.defs.resources import WarehouseResource
from jinchengtuo.publication import PublicationInputError, YearNotScored, publish_panel, publish_years
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


@dg.asset(
    key=YEARLY_KEY,
    deps=[dg.AssetKey("warehouse_release")],
    partitions_def=year_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="publication",
    pool=REPORTS_POOL,
    kinds={"html", "csv", "parquet", "xlsx"},
    description="Publishes reports/<year>/: ranking.csv (UTF-8 BOM), ranking.parquet, ranking.xlsx, report.html and the "
    "street profiles, as a new revision with a manifest when the year's inputs changed; otherwise writes nothing.",
)
def yearly_release(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    years = list(context.partition_keys)
    summary, manifests, failures, skipped = [], {}, [], []
    metadata: dict = {}
    released_run, blocks = quality_blocks(warehouse.published)
    blocked_md = []
    to_publish = []
    for key in years:
        year_blocks = blocks.get(int(key), []) + blocks.get(None, [])
        if year_blocks:
            reasons = [history.describe_failure(f) for f in year_blocks]
            context.log.error(f"{key}: not published, blocked by the quality checks of run {released_run}:\n" + "\n".join(reasons))
            failures.append(f"{key}: not published (previous release kept), blocked by quality checks of run {released_run}:\n  "
                            + "\n  ".join(reasons))
            blocked_md += [f"| {key} | {f['check_name']} | {f['table_name']} | {f['expectation']} {f['column_name'] or ''} | "
                           f"{f['failing_rows'] if f['failing_rows'] is not None else ''} |" for f in year_blocks]
            continue
        to_publish.append(key)
    released = publish_years([int(k) for k in to_publish], warehouse=warehouse.published, reports_root=config.reports_dir(),
                             documents_root=config.documents_dir())
    for year, res in released:
        key = str(year)
        if isinstance(res, YearNotScored):
            # a year partition with nothing in it (no documents of that year): nothing to publish,
            # said plainly; not a failure of the years that have data
            context.log.warning(f"{key}: nothing to publish: {res}")
            skipped.append(key)
            continue
        if isinstance(res, PublicationInputError):
            context.log.error(f"{key}: not published: {res}")
            failures.append(f"{key}: {res}")
            continue
        m = res.manifest
        state = "new revision" if res.changed else ("current files repaired" if res.repaired else "unchanged, nothing written")
        context.log.info(f"{key}: revision {res.revision} ({state})" + (f": {m['changes'].get('summary', '')}" if res.changed else ""))
        changes = (m.get("changes") or {}).get("summary", "") if res.changed else f"none since revision {res.revision}"
        summary.append(f"| {key} | {res.revision} | {state} | {m['n_ranked']} / {m['n_streets']} | {m['methodology_version']} | "
                       f"{changes.replace('|', '/')} |")
        manifests[key] = {k: m[k] for k in ("revision", "published_at", "methodology_version", "fingerprint", "n_streets", "n_ranked", "changes")}
        manifests[key]["files"] = {rel: v["sha256"][:16] for rel, v in m["files"].items() if not rel.startswith("streets/")}
        if len(years) == 1 or key == years[-1]:
            metadata["preview"] = dg.MetadataValue.md(f"**{key}** top 10\n\n" + _preview(res.ranking_path))
            metadata["report"] = dg.MetadataValue.path(str(res.year_dir / "report.html"))
    if summary:
        metadata["releases"] = dg.MetadataValue.md(
            "| year | revision | state | ranked | methodology | changes |\n|---|---|---|---|---|---|\n" + "\n".join(summary))
    metadata["manifest"] = dg.MetadataValue.json(json.loads(json.dumps(manifests, default=str)))
    metadata["dagster/row_count"] = sum(m["n_streets"] for m in manifests.values())
    metadata["reports_dir"] = dg.MetadataValue.path(str(config.reports_dir()))
    metadata["years_published"] = ", ".join(manifests)
    if skipped:
        metadata["years_without_scores"] = ", ".join(skipped)  # nothing in the sources for them
    metadata["quality_run"] = released_run or "none recorded"
    if blocked_md:
        metadata["blocked_by_quality"] = dg.MetadataValue.md(
            "| year | check | table | expectation | failing rows |\n|---|---|---|---|---|\n" + "\n".join(blocked_md))
    if failures:
        # the years that were published are materialized (yielded: events logged with log_event are
        # lost when the step fails); the step then fails for the others, visibly
        for key in manifests:
            yield dg.AssetMaterialization(asset_key=YEARLY_KEY, partition=key, metadata={
                "revision": manifests[key]["revision"], "report": dg.MetadataValue.path(str(config.reports_dir() / key / "report.html"))})
        raise dg.Failure(description="some years could not be published:\n" + "\n".join(failures), metadata=metadata)
    yield dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=PANEL_KEY,
    deps=[YEARLY_KEY, dg.AssetKey("warehouse_release")],
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
