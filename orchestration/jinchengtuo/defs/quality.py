"""Great Expectations suites from expectations/ as Dagster asset checks.

Every suite file becomes a check `gx_<name>` on the asset its meta names. A suite with any
error-severity expectation is blocking: when it fails, nothing downstream of the asset runs in
that run (so the warehouse is not released and nothing is published). Warnings are recorded in
the check's metadata and do not stop anything.
"""


import dagster as dg

from jinchengtuo.defs.resources import WarehouseResource
from jinchengtuo.quality import Suite, load_suites, run_suite


def _markdown_rows(rows: list[dict]) -> str:
    if not rows:
        return ""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    esc = lambda v: str(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(esc(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def build_suite_check(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(suite.asset.split("/")),
        name=f"gx_{suite.name}",
        description=f"Great Expectations suite expectations/{suite.layer}/{suite.name}.json: {suite.description}",
        blocking=suite.blocking,
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.read(context.op_execution_context.run_id) as con:
            df = con.execute(suite.sql).df()
        result = run_suite(suite, df)
        failing = result.failures + result.warnings
        metadata = {
            "suite": dg.MetadataValue.path(str(suite.path)),
            "rows_checked": result.n_rows,
            "expectations": len(result.outcomes),
            "failed_errors": len(result.failures),
            "failed_warnings": len(result.warnings),
            "summary": dg.MetadataValue.md(result.summary().replace("\n", "\n\n")),
        }
        sample = [dict(expectation=o.expectation, column=o.column or "", **row) for o in failing for row in o.failing_rows[:10]]
        if sample:
            metadata["failing_rows"] = dg.MetadataValue.md(_markdown_rows(sample))
        if not result.passed:
            context.log.error(result.summary())
        elif result.warnings:
            context.log.warning(result.summary())
        return dg.AssetCheckResult(
            passed=result.passed if result.failures else not result.warnings,
            severity=dg.AssetCheckSeverity.ERROR if result.failures else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
            description=result.summary(),
        )

    return _check


suite_checks = [build_suite_check(s) for s in load_suites()]

defs = dg.Definitions(asset_checks=suite_checks)
