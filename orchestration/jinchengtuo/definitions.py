"""The Dagster code location `orchestration`: every stage's definitions merged. Nothing imports this."""


import dagster as dg

from jinchengtuo.defs import audit, automation, dbt, extraction, publication, quality, sources
from jinchengtuo.defs.release import build_release_asset
from jinchengtuo.defs.resources import WarehouseResource

_stages = [sources.defs, extraction.defs, dbt.defs, audit.defs, quality.defs]
_writers = [key for d in _stages for a in (d.assets or []) for key in a.keys]

defs = dg.Definitions.merge(
    *_stages,
    dg.Definitions(assets=[build_release_asset(_writers)]),
    publication.defs,  # reads the released warehouse; writes reports/ through its own pool
    automation.defs,
    dg.Definitions(resources={"warehouse": WarehouseResource(), "dbt": dbt.dbt_resource}),
)
