"""Load the reference and census files of sources/ into the warehouse's raw schema."""


import dagster as dg

from jinchengtuo import config
from jinchengtuo.census import CensusError
from jinchengtuo.defs.resources import WRITER_POOL, WarehouseResource
from jinchengtuo.warehouse import loaders


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", "street"], description="The 74 street offices with official codes (sources/reference/streets.csv).", group_name="sources", kinds={"duckdb"}),
        dg.AssetSpec(["raw", "district"], description="The 10 districts: area and 2020 census population (sources/reference/districts.csv).", group_name="sources", kinds={"duckdb"}),
    ],
    pool=WRITER_POOL,
)
def raw_reference(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.write(context.run.run_id) as con:
        counts = loaders.load_reference(con, config.reference_dir())
    for table, n in counts.items():
        yield dg.MaterializeResult(asset_key=["raw", table], metadata={"dagster/row_count": n, "source": str(config.reference_dir())})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", "census_street"], description="2020 census per street from the extracts in sources/census/.", group_name="sources", kinds={"duckdb"}, deps=[dg.AssetKey(["raw", "street"])]),
        dg.AssetSpec(["raw", "district_population"], description="Resident population by district and year (sources/census/district_population.csv).", group_name="sources", kinds={"duckdb"}),
        dg.AssetSpec(["raw", "load_issue"], description="Warnings met while loading census files.", group_name="sources", kinds={"duckdb"}),
    ],
    pool=WRITER_POOL,
)
def raw_census(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    try:
        with warehouse.write(context.run.run_id) as con:
            result = loaders.load_census(con, config.census_dir(), config.reference_dir())
    except CensusError as exc:
        # fail the step: nothing downstream runs and the published warehouse stays as it was
        raise dg.Failure(description=str(exc), metadata={"problems": dg.MetadataValue.md("\n".join(f"- {i}" for i in exc.issues))}) from exc
    for w in result["warnings"]:
        context.log.warning(w)
    files = dg.MetadataValue.md("\n".join(f"- {f}" for f in result["files"]))
    yield dg.MaterializeResult(asset_key=["raw", "census_street"], metadata={"dagster/row_count": result["census_street"], "files": files})
    yield dg.MaterializeResult(asset_key=["raw", "district_population"], metadata={"dagster/row_count": result["district_population"]})
    yield dg.MaterializeResult(asset_key=["raw", "load_issue"], metadata={"dagster/row_count": result["load_issue"]})


defs = dg.Definitions(assets=[raw_reference, raw_census])
