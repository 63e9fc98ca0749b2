"""Extract every document under sources/documents/ into raw.document, raw.extracted_value and
raw.extraction_issue. Extraction is a pure function of each file (its bytes and its path), cached
by both and run in a process pool (one Dagster step for the whole corpus: a step per file or street-year would
cost more in process start-up than the extraction itself)."""


import os

import dagster as dg

from jinchengtuo import config as paths
from jinchengtuo.defs.resources import WRITER_POOL, WarehouseResource
from jinchengtuo.reference import StreetDirectory
from jinchengtuo.warehouse.schema import corpus_info, replace_table


class ExtractionConfig(dg.Config):
    workers: int = 0  # 0: one per core
    use_cache: bool = True


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", "document"], description="Every file seen under sources/documents/, identified from its content, with status and reason.", group_name="sources", kinds={"duckdb"}, deps=[dg.AssetKey(["raw", "street"])]),
        dg.AssetSpec(["raw", "extracted_value"], description="Every figure extracted, with file hash, page and source sentence.", group_name="sources", kinds={"duckdb"}),
        dg.AssetSpec(["raw", "extraction_issue"], description="Every problem met while reading documents.", group_name="sources", kinds={"duckdb"}),
    ],
    pool=WRITER_POOL,
)
def raw_documents(context: dg.AssetExecutionContext, warehouse: WarehouseResource, config: ExtractionConfig):
    root = paths.documents_dir()
    streets = StreetDirectory.load(paths.reference_dir() / "streets.csv")
    if root.is_dir():
        from jinchengtuo.documents import extract_corpus

        context.log.info(f"progress: reading the documents under {root} …")
        result = extract_corpus(
            root,
            streets=streets,
            cache_dir=paths.cache_dir() / "extraction" if config.use_cache else None,
            workers=config.workers or os.cpu_count() or 1,
        )
        documents, values, issues = result.documents, result.values, result.issues
        stats = getattr(result, "stats", {}) or {}
    else:
        context.log.warning(f"no documents folder at {root}: the warehouse is built from reference and census data only")
        documents = values = issues = None
        stats = {}
    with warehouse.write(context.run.run_id) as con:
        n_docs = replace_table(con, "document", documents)
        n_values = replace_table(con, "extracted_value", values)
        n_issues = replace_table(con, "extraction_issue", issues)
        replace_table(con, "corpus", corpus_info(paths.sources_dir()))
        by_status = con.execute("select status, count(*) from raw.document group by 1 order by 2 desc").fetchall()
    if stats:
        context.log.info(f"progress: documents: {stats.get('files', n_docs)} file(s), {stats.get('cache_hits', 0)} from the cache, "
                         f"{stats.get('read', 0)} read; " + ", ".join(f"{n} {s}" for s, n in by_status))
    status_md = "\n".join(f"- {s}: {n}" for s, n in by_status) or "- (no documents)"
    yield dg.MaterializeResult(
        asset_key=["raw", "document"],
        metadata={"dagster/row_count": n_docs, "by_status": dg.MetadataValue.md(status_md), "root": dg.MetadataValue.path(str(root)),
                  **{k: v for k, v in stats.items() if isinstance(v, (int, float, str))}},
    )
    yield dg.MaterializeResult(asset_key=["raw", "extracted_value"], metadata={"dagster/row_count": n_values})
    yield dg.MaterializeResult(asset_key=["raw", "extraction_issue"], metadata={"dagster/row_count": n_issues})


defs = dg.Definitions(assets=[raw_documents])
