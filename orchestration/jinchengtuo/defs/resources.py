"""Resources: the warehouse (build aside, publish atomically) and dbt."""


import contextlib
import os
from pathlib import Path

import dagster as dg
import duckdb

from jinchengtuo import config
from jinchengtuo.warehouse import build

WRITER_POOL = "warehouse_writer"  # every step that writes the warehouse runs in this pool


def path_tags(warehouse: Path | None = None) -> dict[str, str]:
    """The sources, warehouse and reports a run works on (run tags, shown in the UI)."""
    return {"jinchengtuo/sources": str(config.sources_dir()), "jinchengtuo/warehouse": str(warehouse or config.warehouse_path()),
            "jinchengtuo/reports": str(config.reports_dir())}


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse. Writers work on their run's build copy, never the published file."""

    published_path: str = ""  # empty: JCT_WAREHOUSE or warehouse/jinchengtuo.duckdb

    @property
    def published(self) -> Path:
        return Path(self.published_path).resolve() if self.published_path else config.warehouse_path()

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Every run that uses the warehouse says which paths it worked on (a run launched from the
        UI's asset graph has no job tags): run tags added once, at the start."""
        run, instance = context.run, context.instance
        if run is None or instance is None:
            return
        missing = {k: v for k, v in path_tags(self.published).items() if run.tags.get(k) != v}
        if missing:
            try:
                instance.add_run_tags(run.run_id, missing)
            except Exception as exc:  # tags are information: never fail a run for them
                context.log.warning(f"run tags not added: {exc}")

    def build_file(self, run_id: str) -> Path:
        return build.ensure_build(self.published, run_id)

    def read_file(self, run_id: str) -> Path:
        """What a check in this run should read: the run's build if it has one, else the published file."""
        return build.run_build(self.published, run_id) or self.published

    @contextlib.contextmanager
    def write(self, run_id: str):
        con = duckdb.connect(str(self.build_file(run_id)))
        try:
            yield con
        finally:
            con.close()

    @contextlib.contextmanager
    def read(self, run_id: str):
        path = self.read_file(run_id)
        if not path.exists():
            raise FileNotFoundError(f"no warehouse at {path}: run the refresh first")
        con = duckdb.connect(str(path), read_only=True)
        try:
            yield con
        finally:
            con.close()

    def promote(self, run_id: str) -> Path:
        return build.promote(self.published, run_id)


@contextlib.contextmanager
def environment(**values: str):
    """Set environment variables for a subprocess started inside the block (dbt)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
