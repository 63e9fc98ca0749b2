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


@dg.asset(key=["raw", "unit"], group_name="sources", kinds={"duckdb"}, pool=WRITER_POOL,
          description="Every township-level unit of China (sources/reference/national/, 41,352 units), in_scope for "
                      "the warehouse's scope (JCT_SCOPE: shenzhen by default, national, or province/city codes).")
def raw_unit(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from jinchengtuo.reference.scope import Scope

    scope = Scope.from_env()
    with warehouse.write(context.run.run_id) as con:
        n = loaders.load_units(con, config.reference_dir(), scope)
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "scope": scope.spec, "source": str(config.reference_dir() / "national")})


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


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw", "resident_survey"], description="Resident satisfaction surveys per street, year and capacity (sources/surveys/; source type resident_survey). Rows with too small a sample are kept, marked not publishable.", group_name="sources", kinds={"duckdb"},
                     deps=[dg.AssetKey(["raw", "street"]), dg.AssetKey(["raw", "load_issue"])]),
        dg.AssetSpec(["raw", "hotline_summary"], description="12345 hotline summaries per street and year: requests received, closed, satisfaction (sources/surveys/).", group_name="sources", kinds={"duckdb"},
                     deps=[dg.AssetKey(["raw", "street"]), dg.AssetKey(["raw", "load_issue"])]),
    ],
    pool=WRITER_POOL,
)
def raw_surveys(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    # after raw_census (it replaces raw.load_issue); bad rows are reported in raw.load_issue and skipped, the run goes on
    from jinchengtuo.surveys.load import load_surveys

    with warehouse.write(context.run.run_id) as con:
        result = load_surveys(con, config.surveys_dir(), config.reference_dir())
    # the command line shows the skipped rows (the first ten) and one line for the unpublished samples;
    # every one of them is in raw.load_issue and the step's metadata
    for line in result["errors"][:10]:
        context.log.warning(line)
    if len(result["errors"]) > 10:
        context.log.warning(f"surveys: {len(result['errors']) - 10} more rows skipped (raw.load_issue)")
    if result["warnings"]:
        context.log.warning(f"surveys: {len(result['warnings'])} rows loaded but not published (sample below the minimum; raw.load_issue)")
    for line in result["warnings"]:
        context.log.info(line)
    problems = dg.MetadataValue.md("\n".join(f"- {p}" for p in result["errors"] + result["warnings"]) or "none")
    files = dg.MetadataValue.md("\n".join(f"- {f}" for f in result["files"]) or "no survey file")
    yield dg.MaterializeResult(asset_key=["raw", "resident_survey"], metadata={"dagster/row_count": result["resident_survey"], "files": files, "problems": problems})
    yield dg.MaterializeResult(asset_key=["raw", "hotline_summary"], metadata={"dagster/row_count": result["hotline_summary"], "files": files})


defs = dg.Definitions(assets=[raw_reference, raw_unit, raw_census, raw_surveys])
