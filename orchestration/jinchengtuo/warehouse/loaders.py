"""Load reference and census files into the raw schema. Pure functions over a DuckDB connection."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jinchengtuo.census import load_census_dir
from jinchengtuo.reference.streets import StreetDirectory, load_districts
from jinchengtuo.warehouse.schema import replace_table


def load_reference(con, reference_dir: Path) -> dict[str, int]:
    directory = StreetDirectory.load(reference_dir / "streets.csv")
    streets = pd.DataFrame(
        [
            {
                "street_code": s.street_code, "street_name": s.street_name, "district_name": s.district_name,
                "district_code": s.district_code or None, "area_km2": s.area_km2, "area_source": s.area_source or None,
                "name_variants": s.name_variants(),
                "population_2020": s.population_2020, "population_source": s.population_source or None,
                "communities": s.communities, "communities_source": s.communities_source or None,
                "facts_note": s.facts_note or None,
            }
            for s in directory
        ]
    )
    districts = pd.DataFrame(load_districts(reference_dir / "districts.csv"))
    districts["area_km2"] = pd.to_numeric(districts["area_km2"])
    districts["population_2020_census"] = pd.to_numeric(districts["population_2020_census"]).astype("int64")
    districts["district_code"] = districts["district_code"].replace("", None)
    return {
        "street": replace_table(con, "street", streets),
        "district": replace_table(con, "district", districts),
    }


def load_units(con, reference_dir: Path, scope=None) -> int:
    """raw.unit from the national reference, flagged for the scope (default JCT_SCOPE)."""
    return replace_table(con, "unit", unit_frame(reference_dir, scope))


def unit_frame(reference_dir: Path, scope=None) -> pd.DataFrame:
    """raw.unit: every township-level unit of the national reference, flagged in_scope for the
    scope (default: JCT_SCOPE, reference/scope.py)."""
    from jinchengtuo.reference.scope import Scope, national_folder, national_units

    scope = scope or Scope.from_env()
    folder = national_folder(reference_dir / "national")
    units = national_units(folder)
    units["in_scope"] = units["unit_code"].isin(set(scope.unit_codes(reference_dir)))
    units["scope"] = scope.spec
    units["source_file"] = "sources/reference/national/streets.csv"
    return units


def load_census(con, census_dir: Path, reference_dir: Path) -> dict[str, object]:
    """Load the census extracts; raises CensusError (file, row, reason) before writing anything."""
    census = load_census_dir(census_dir, StreetDirectory.load(reference_dir / "streets.csv"))
    issues = pd.DataFrame([i.__dict__ for i in census.issues], columns=["source_file", "source_row", "severity", "code", "message"])
    return {
        "census_street": replace_table(con, "census_street", census.streets),
        "district_population": replace_table(con, "district_population", census.district_population),
        "load_issue": replace_table(con, "load_issue", issues),
        "files": sorted(census.streets["source_file"].unique().tolist()) if len(census.streets) else [],
        "warnings": [str(i) for i in census.issues],
    }
