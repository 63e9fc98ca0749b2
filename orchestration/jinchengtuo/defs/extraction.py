"""Extract every document under sources/documents/ into raw.document, raw.extracted_value and
raw.extraction_issue. Extraction is a pure function of each file (its bytes and its path), cached
by both and run in a process pool (one Dagster step for the whole corpus: a step per file or street-year would
cost more in process start-up than the extraction itself)."""


import os

import dagster as dg

from jinchengtuo import config as paths
from jinchengtuo.defs.resources import WRITER_POOL, WarehouseResource
from jinchengtuo.reference import StreetDirectory
from jinchengtuo.warehouse import lake
from jinchengtuo.warehouse.schema import corpus_info, replace_table


class ExtractionConfig(dg.Config):
    workers: int = 0  # 0: one per core
    use_cache: bool = True


def _cache_dir(config: ExtractionConfig):
    """The extraction cache of the unit directory documents are attributed against: the same bytes
    read against another directory (another JCT_SCOPE, an edited streets.csv) are attributed anew,
    so a cached result never carries a stale attribution. None when the cache is off."""
    import hashlib

    if not config.use_cache:
        return None
    ref = paths.reference_dir()
    files = [ref / "streets.csv"] if paths.scope().is_shenzhen else sorted((ref / "national").glob("*.csv"))
    h = hashlib.sha256(paths.scope().directory_name.encode())
    for f in files:
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return paths.cache_dir() / "extraction" / f"{paths.scope().directory_name}-{h.hexdigest()[:12]}"


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
    engine = paths.engine()
    if engine.kind == "dask":  # JCT_ENGINE=dask: the cluster reads, the lake holds the rows (engine/distributed.py)
        yield from _raw_documents_on_dask(context, warehouse, config, engine, root)
        return
    if paths.scope().is_shenzhen:
        streets = StreetDirectory.load(paths.reference_dir() / "streets.csv")
    else:  # another scope: issuers attributed against the national directory (as on the dask engine)
        from jinchengtuo.reference.national import NationalDirectory

        streets = NationalDirectory.load(paths.reference_dir() / "national")
    if root.is_dir():
        from jinchengtuo.documents import extract_corpus

        context.log.info(f"progress: reading the documents under {root} …")
        result = extract_corpus(
            root,
            streets=streets,
            cache_dir=_cache_dir(config),
            workers=config.workers or os.cpu_count() or 1,
        )
        documents, values, issues = result.documents, result.values, result.issues
        stats = getattr(result, "stats", {}) or {}
    else:
        context.log.warning(f"no documents folder at {root}: the warehouse is built from reference and census data only")
        documents = values = issues = None
        stats = {}
    with warehouse.write(context.run.run_id) as con:
        lake.detach(con)  # a warehouse last built on the dask engine: its lake views become tables again
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


def _raw_documents_on_dask(context, warehouse: WarehouseResource, config: ExtractionConfig, engine, root):
    """The dask engine: the documents read on the cluster (JCT_DASK_SCHEDULER, else a local cluster
    of `workers` processes on 127.0.0.1), each batch written by its worker as Parquet parts of a new
    lake snapshot; the run's warehouse build reads the snapshot through raw views. Attribution is
    against the directory of the scope (JCT_SCOPE: the Shenzhen streets, or the national directory)."""
    from jinchengtuo.engine.distributed import connect, extract_to_lake

    lake_root = paths.lake_dir()
    run_id = context.run.run_id
    snapshot = lake.new_snapshot(lake_root, run_id)
    directory = paths.scope().directory_name
    if root.is_dir():
        where = engine.scheduler or f"a local cluster of {config.workers or os.cpu_count() or 1} worker(s) on 127.0.0.1"
        context.log.info(f"progress: reading the documents under {root} on Dask ({where}) into {snapshot} …")
        with connect(engine.scheduler, workers=config.workers or os.cpu_count() or 1) as client:
            stats = extract_to_lake(root, snapshot, client=client, directory=directory, reference_dir=paths.reference_dir(),
                                    cache_dir=_cache_dir(config),
                                    batch_size=engine.batch_size, log=context.log.info)
    else:
        context.log.warning(f"no documents folder at {root}: the warehouse is built from reference and census data only")
        stats = {}
    with warehouse.write(run_id) as con:
        counts = lake.attach(con, snapshot)
        replace_table(con, "corpus", corpus_info(paths.sources_dir()))
        by_status = con.execute("select status, count(*) from raw.document group by 1 order by 2 desc").fetchall()
    # the snapshots no warehouse points at any more (the published one keeps its own until promoted)
    keep = [snapshot]
    published = warehouse.published
    if published.exists():
        import duckdb

        try:
            with duckdb.connect(str(published), read_only=True) as ro:
                keep.append(lake.attached_snapshot(ro))
        except duckdb.Error:
            keep = None  # cannot tell which snapshot the published warehouse reads: keep them all
    if keep:
        lake.prune(lake_root, keep)
    if stats:
        per_worker = "; ".join(f"{w}: {v['files']} files, peak {v['peak_rss_mib']:.0f} MiB" for w, v in stats["per_worker"].items())
        context.log.info(f"progress: documents: {stats['files']} file(s) in {stats['batches']} batches on {stats['workers']} worker(s), "
                         f"{stats['documents_per_second']:.1f}/s, {stats['cache_hits']} from the cache; " + ", ".join(f"{n} {s}" for s, n in by_status)
                         + f" ({per_worker})")
    status_md = "\n".join(f"- {s}: {n}" for s, n in by_status) or "- (no documents)"
    meta = {k: v for k, v in stats.items() if isinstance(v, (int, float, str)) and v is not None}
    yield dg.MaterializeResult(
        asset_key=["raw", "document"],
        metadata={"dagster/row_count": counts["document"], "by_status": dg.MetadataValue.md(status_md),
                  "root": dg.MetadataValue.path(str(root)), "lake_snapshot": dg.MetadataValue.path(str(snapshot)), **meta},
    )
    yield dg.MaterializeResult(asset_key=["raw", "extracted_value"], metadata={"dagster/row_count": counts["extracted_value"]})
    yield dg.MaterializeResult(asset_key=["raw", "extraction_issue"], metadata={"dagster/row_count": counts["extraction_issue"]})


defs = dg.Definitions(assets=[raw_documents])
