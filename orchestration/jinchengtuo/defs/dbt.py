"""dbt models as Dagster assets: staging → intermediate → marts, dbt tests as asset checks.

Asset keys follow the warehouse: `raw/<table>` for sources, `<schema>/<model>` for models, so the
UI graph reads like the architecture. dbt always writes the run's build copy of the warehouse.
"""


import contextlib
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from jinchengtuo import config as paths
from jinchengtuo.defs.resources import WRITER_POOL, WarehouseResource, environment

def _dbt_executable() -> str:
    """The venv's dbt (next to this interpreter), so the UI and the CLI work without PATH set up."""
    local = Path(sys.executable).with_name("dbt")
    if local.exists():
        # dagster-dbt's project preparation looks dbt up on PATH
        os.environ["PATH"] = f"{local.parent}{os.pathsep}{os.environ.get('PATH', '')}"
        return str(local)
    return shutil.which("dbt") or "dbt"


DBT_EXECUTABLE = _dbt_executable()
dbt_project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, profiles_dir=paths.DBT_PROJECT_DIR)


def _manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest is missing or older than any model, seed, macro or YAML file."""
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for folder in ("models", "seeds", "macros", "tests", "snapshots"):
        for f in (project.project_dir / folder).rglob("*"):
            if f.is_file() and f.stat().st_mtime > built:
                return True
    return any((project.project_dir / f).stat().st_mtime > built for f in ("dbt_project.yml", "profiles.yml"))


if _manifest_is_stale(dbt_project):  # a fresh clone, or the dbt project changed: parse once
    dbt_project.preparer.prepare(dbt_project)

DBT_LOG_DIR_TAG = "jinchengtuo/dbt_log_dir"  # set by `jinchengtuo refresh` (without --verbose)

GROUP_BY_FOLDER = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


class JinchengtuoTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "framework"
        parts = dbt_resource_props.get("fqn", [])
        for part in parts[1:-1]:
            if part in GROUP_BY_FOLDER:
                return GROUP_BY_FOLDER[part]
        return "sources" if dbt_resource_props["resource_type"] == "source" else "marts"


translator = JinchengtuoTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _run_config_class() -> type[dg.Config]:
    """The launchpad's config of the dbt build: one typed field per scoring option, generated from
    dbt_project/seeds/scoring_options.csv (a choice is a dropdown, a list of years a list of
    integers; defaults and descriptions from the file). Ranges are checked by ScoringOptions."""
    import enum

    import pydantic

    from jinchengtuo.scoring.options import SPECS

    fields: dict[str, Any] = {}
    for spec in SPECS:
        doc = f"{spec.label_en} ({spec.step}; dbt var {spec.dbt_var}): {spec.description_en}"
        if spec.type == "choice":
            choice = enum.Enum("".join(p.title() for p in spec.option.split("_")), {a: a for a in spec.allowed}, type=str)
            choice.__module__ = __name__
            globals()[choice.__name__] = choice
            fields[spec.option] = (choice, pydantic.Field(default=choice(spec.default), description=doc))
        elif spec.type == "int_list":
            fields[spec.option] = (list[int], pydantic.Field(default=list(spec.default), description=doc))
        else:
            fields[spec.option] = ({"float": float, "int": int}[spec.type], pydantic.Field(default=spec.default, description=doc))
    model = pydantic.create_model("DbtRunConfig", __base__=dg.Config, **fields)
    model.__doc__ = "The scoring method of the dbt build, one field per option of dbt_project/seeds/scoring_options.csv."
    model.__module__ = __name__
    return model


DbtRunConfig = _run_config_class()


def scoring_options_of(config: dg.Config):
    """The ScoringOptions of a run config (ValueError naming an option that cannot be applied)."""
    from jinchengtuo.scoring.options import SPECS, ScoringOptions

    values = {}
    for spec in SPECS:
        value = getattr(config, spec.option)
        values[spec.option] = value.value if hasattr(value, "value") else value
    return ScoringOptions(**values)


def run_config_of(options) -> dict:
    """The run config of the dbt asset for ScoringOptions (only the options that differ from their default)."""
    from jinchengtuo.scoring.options import SPEC_BY_VAR

    return {"ops": {"dbt_warehouse": {"config": {SPEC_BY_VAR[k].option: v for k, v in options.dbt_vars().items()}}}}


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=translator, pool=WRITER_POOL, name="dbt_warehouse")
def dbt_warehouse(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, config: DbtRunConfig):
    import json

    path = warehouse.build_file(context.run.run_id)
    options = scoring_options_of(config)  # refuses a value that cannot be applied, naming the option
    args = ["build"]
    if options.dbt_vars():
        args += ["--vars", json.dumps(options.dbt_vars(), sort_keys=True)]
        context.log.info(f"scoring method: {options.dbt_vars()} ({options.variant_suffix()})")
    log_dir = context.run.tags.get(DBT_LOG_DIR_TAG)
    with environment(JCT_WAREHOUSE=str(path)), contextlib.ExitStack() as stack:
        if log_dir:
            # the command line's short progress display: dbt's own log goes to a file, not the terminal
            log_file = Path(log_dir) / f"dbt-{context.run.run_id[:8]}.log"
            log_file.parent.mkdir(parents=True, exist_ok=True)
            context.log.info(f"progress: dbt build: log in {log_file}")
            stack.enter_context(contextlib.redirect_stdout(stack.enter_context(log_file.open("w", encoding="utf-8"))))
        # DBT_TARGET_PATH (as dbt itself reads it) gives concurrent refreshes, e.g. parallel test
        # workers, their own artifacts; without it the project's target folder
        target = Path(os.environ.get("DBT_TARGET_PATH") or dbt_project.target_path)
        yield from dbt.cli(args, context=context, target_path=target).stream()


dbt_resource = DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)

defs = dg.Definitions(assets=[dbt_warehouse])
