"""Release the run's warehouse build: replace the published file atomically.

Downstream of every warehouse asset, so a failed step or a failed blocking check anywhere
upstream stops it, and the published warehouse stays the last good one.
"""


import dagster as dg
import duckdb

from jinchengtuo.defs.resources import WRITER_POOL, WarehouseResource
from jinchengtuo.warehouse.fingerprint import inputs_fingerprint

FINGERPRINT_TAG = "jinchengtuo/inputs_fingerprint"  # set by `jinchengtuo refresh` before the run starts


def _table_counts(path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_schema in ('raw','marts') order by 1, 2"
        ).fetchall()
        return {f"{s}.{t}": int(con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]) for s, t in tables}
    finally:
        con.close()


def build_release_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The release asset, downstream of every asset that writes the warehouse (`upstream`)."""

    @dg.asset(
        key="warehouse_release",
        deps=sorted(set(upstream), key=lambda k: k.to_user_string()),
        group_name="publication",
        pool=WRITER_POOL,
        kinds={"duckdb"},
        description="Atomically replaces the published warehouse with this run's build, once every upstream asset and blocking check succeeded.",
    )
    def warehouse_release(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        build_file = warehouse.build_file(context.run.run_id)
        fingerprint = context.run.tags.get(FINGERPRINT_TAG) or inputs_fingerprint()
        con = duckdb.connect(str(build_file))
        try:
            con.execute("create schema if not exists meta")
            con.execute(
                "create table if not exists meta.refresh_log (run_id varchar, released_at timestamp, inputs_fingerprint varchar)"
            )
            con.execute("insert into meta.refresh_log values (?, now()::timestamp, ?)", [context.run.run_id, fingerprint])
        finally:
            con.close()
        counts = _table_counts(build_file)
        published = warehouse.promote(context.run.run_id)
        context.log.info(f"published warehouse {published}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(published)),
                "size_mb": round(published.stat().st_size / 1e6, 2),
                "inputs_fingerprint": fingerprint,
                "tables": dg.MetadataValue.md("| table | rows |\n|---|---|\n" + "\n".join(f"| {t} | {n} |" for t, n in counts.items())),
            }
        )

    return warehouse_release
