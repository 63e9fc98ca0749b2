"""Great Expectations suites from expectations/ as Dagster asset checks.

Every suite file becomes a check `gx_<name>` on the asset its meta names. What a failure stops is
the suite's `scope` (expectations/README.md):

- scope "all": a failed error fails the check with ERROR severity; the check is blocking, so
  nothing downstream of the asset runs (the warehouse is not released, nothing is published).
- scope "year": a failed error whose rows belong to given years fails the check with WARN
  severity (the warehouse is still released) and is recorded with its years; the yearly
  publication then refuses exactly those years. A failed error that belongs to no year blocks
  like scope "all".
- warnings never block; they are recorded and shown.

Every check is declared `blocking` so that downstream assets wait for it: its outcome must be in
`quality.check_result` of the run's build before the warehouse is released. Only ERROR
severity actually stops anything.

Each run's validations are rendered as GX data docs under reports/quality/<run_id>/, linked
from the check's metadata.
"""

import dagster as dg

from jinchengtuo import config
from jinchengtuo.defs.resources import WRITER_POOL, WarehouseResource
from jinchengtuo.quality import Suite, load_suites, run_suite
from jinchengtuo.quality import docs as quality_docs
from jinchengtuo.quality import history
from jinchengtuo.warehouse import build


def _markdown_rows(rows: list[dict]) -> str:
    if not rows:
        return ""
    cols = list(dict.fromkeys(k for r in rows for k in r))
    esc = lambda v: str(v).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(esc(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def _years_text(years) -> str:
    named = sorted(y for y in years if y is not None)
    return ", ".join(map(str, named)) + (" and rows without a year" if None in years else "")


def build_suite_check(suite: Suite) -> dg.AssetChecksDefinition:
    scope_text = ("a failed error blocks the publication of the years it concerns" if suite.scope == "year"
                  else "a failed error blocks the release of the warehouse")

    @dg.asset_check(
        asset=dg.AssetKey(suite.asset.split("/")),
        name=f"gx_{suite.name}",
        description=f"Great Expectations suite expectations/{suite.layer}/{suite.name}.json (scope {suite.scope}: "
        f"{scope_text if suite.has_errors else 'warnings only, never blocks'}): {suite.description}",
        blocking=True,  # downstream waits for every check; only ERROR severity stops it (see module doc)
        pool=WRITER_POOL,  # it appends to quality.check_result in the run's build
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        run_id = context.op_execution_context.run_id
        with warehouse.read(run_id) as con:
            df = con.execute(suite.sql).df()
        metadata: dict = {}
        docs_dir = None
        try:
            docs_dir = quality_docs.prepare_run(run_id, config.reports_dir())
        except OSError as exc:  # a full disk or a read-only reports folder must not hide the results
            context.log.warning(f"data docs not written: {exc}")
            metadata["data_docs"] = f"not written: {exc}"
        try:
            result = run_suite(suite, df, docs_dir=docs_dir)
        except OSError as exc:
            if docs_dir is None:
                raise
            context.log.warning(f"data docs not written to {docs_dir}: {exc}")
            metadata["data_docs"] = f"not written to {docs_dir}: {exc}"
            result = run_suite(suite, df)
        if result.docs_page is not None:
            metadata["data_docs"] = dg.MetadataValue.path(str(result.docs_page))
        if result.docs_index is not None:
            metadata["data_docs_index"] = dg.MetadataValue.path(str(result.docs_index))

        blocked = result.blocked_years
        blocks_release = bool(result.failures) and (suite.scope == "all" or None in blocked)
        rows = history.result_rows(result, run_id=run_id, check_name=f"gx_{suite.name}")
        if build.run_build(warehouse.published, run_id) is not None:
            with warehouse.write(run_id) as con:
                metadata["history_rows"] = history.record(con, rows)
        else:
            # no build of this run (a check-only run on the published file): never write the published file
            metadata["history_rows"] = dg.MetadataValue.text("not recorded: this run has no warehouse build")

        metadata.update({
            "suite": dg.MetadataValue.path(str(suite.path)),
            "scope": suite.scope,
            "rows_checked": result.n_rows,
            "expectations": len(result.outcomes),
            "failed_errors": len(result.failures),
            "failed_warnings": len(result.warnings),
            "summary": dg.MetadataValue.md(result.summary().replace("\n", "\n\n")),
        })
        if result.failures and not blocks_release:
            metadata["blocked_years"] = _years_text(blocked)
        failing = result.failures + result.warnings
        sample = [dict(severity=o.severity, expectation=o.expectation, column=o.column or "", **row)
                  for o in failing for row in o.failing_rows[:10]]
        if sample:
            metadata["failing_rows"] = dg.MetadataValue.md(_markdown_rows(sample))

        description = result.summary()
        if blocks_release:
            context.log.error(description)
        elif result.failures:
            description = f"publication of {_years_text(blocked)} blocked by failed errors\n" + description
            context.log.error(description)
        elif result.warnings:
            context.log.warning(description)
        return dg.AssetCheckResult(
            passed=not failing,
            severity=dg.AssetCheckSeverity.ERROR if blocks_release else dg.AssetCheckSeverity.WARN,
            metadata=metadata,
            description=description,
        )

    return _check


suite_checks = [build_suite_check(s) for s in load_suites()]

defs = dg.Definitions(asset_checks=suite_checks)
