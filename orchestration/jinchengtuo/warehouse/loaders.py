"""Load reference and census files into the raw schema. Pure functions over a DuckDB connection."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jinchengtuo.census import load_census_dir
from jinchengtuo.reference.streets import StreetDirectory, load_districts
from jinchengtuo.warehouse.schema import replace_table


def load_reference(con, reference_dir: Path, scope=None) -> dict[str, int]:
    """raw.street and raw.district: the 74 Shenzhen streets and 10 districts (the default scope),
    or, for another scope (default JCT_SCOPE), the scope's township-level units and their counties
    (see `scope_street_frame`), so the same dbt models score the units of any scope."""
    from jinchengtuo.reference.scope import Scope

    scope = scope if scope is not None else Scope.from_env()
    if not scope.is_shenzhen:
        streets, districts = scope_street_frame(reference_dir, scope)
        return {"street": replace_table(con, "street", streets), "district": replace_table(con, "district", districts)}
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


def district_names(units: pd.DataFrame) -> pd.Series:
    """The district (county) name a unit is shown and grouped under: the county's name, or, where
    that name recurs in the national reference (朝阳区 of 北京 and of 长春, 市中区 …), the city's
    label before it (长春市朝阳区), so a county name stands for one county."""
    from jinchengtuo.reference.scope import national_units

    counties = national_units()[["county_code", "county_name"]].drop_duplicates()
    recurring = set(counties.loc[counties["county_name"].duplicated(keep=False), "county_name"])
    names = units["county_name"].astype(str)
    prefixed = units["city_label"].astype(str) + names
    return names.where(~names.isin(recurring), prefixed)


def scope_street_frame(reference_dir: Path, scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """raw.street and raw.district for a scope other than Shenzhen: one row a unit of the scope
    (unit_code as street_code, unit_name as street_name, its county as the district), no
    reference facts (area, population, communities come from a census extract when there is
    one); one row a county, without area or population."""
    units = scope.units(reference_dir)
    district = district_names(units)
    streets = pd.DataFrame({
        "street_code": units["unit_code"].astype(str), "street_name": units["unit_name"].astype(str),
        "district_name": district, "district_code": units["county_code"].astype(str),
        "area_km2": pd.Series([None] * len(units), dtype="float64"), "area_source": pd.Series([None] * len(units), dtype="object"),
        "name_variants": [sorted({n, d + n}, key=lambda v: (-len(v), v)) for n, d in zip(units["unit_name"].astype(str), district)],
        "population_2020": pd.Series([None] * len(units), dtype="Int64"), "population_source": pd.Series([None] * len(units), dtype="object"),
        "communities": pd.Series([None] * len(units), dtype="Int64"), "communities_source": pd.Series([None] * len(units), dtype="object"),
        "facts_note": pd.Series([None] * len(units), dtype="object"),
    })
    districts = pd.DataFrame({"district_name": district, "district_code": units["county_code"].astype(str)}).drop_duplicates("district_code")
    districts = districts.reset_index(drop=True)
    districts["area_km2"] = pd.Series([None] * len(districts), dtype="float64")
    districts["population_2020_census"] = pd.Series([None] * len(districts), dtype="Int64")
    districts["population_source"] = pd.Series([None] * len(districts), dtype="object")
    districts["area_source"] = pd.Series([None] * len(districts), dtype="object")
    return streets, districts


class ScopeCensusDirectory:
    """What the census loader resolves rows against in a scope other than Shenzhen: the scope's
    units, by 区划代码 (the unit code) or by a name unique in the scope (as written, or after its
    county's name)."""

    def __init__(self, streets: pd.DataFrame, outside_scope: set[str] | frozenset[str] = frozenset()):
        self._codes = set(streets["street_code"])
        self.outside_scope = outside_scope  # units of the national reference outside the scope (their rows are skipped, with a warning)
        by_name: dict[str, set[str]] = {}
        for code, variants in zip(streets["street_code"], streets["name_variants"]):
            for v in variants:
                by_name.setdefault(v, set()).add(code)
        self._by_name = {k: next(iter(v)) for k, v in by_name.items() if len(v) == 1}
        self._districts = set(streets["district_name"])

    def __len__(self) -> int:
        return len(self._codes)

    def get(self, street_code: str):
        return street_code if street_code in self._codes else None

    @property
    def district_names(self) -> set[str]:
        return set(self._districts)

    def resolve(self, name: str, district_hint: str | None = None) -> str | None:
        from jinchengtuo.reference.streets import normalise_name

        return self._by_name.get(normalise_name(name))


def national_census_dir(census_dir: Path) -> Path:
    """sources/census/national/: the census extracts of scopes other than Shenzhen (a row a
    township-level unit, its 9-digit 区划代码 beside the name; optionally a district_population.csv
    by county name). The Shenzhen extracts stay in sources/census/ itself and are read only for
    the Shenzhen scope; the national sample corpus writes its synthetic stand-in here."""
    return Path(census_dir) / "national"


def load_census(con, census_dir: Path, reference_dir: Path, scope=None) -> dict[str, object]:
    """Load the census extracts; raises CensusError (file, row, reason) before writing anything.
    Outside the Shenzhen scope the extracts are those of census/national/, rows resolve against
    the scope's units (rows of units outside it are skipped with a warning), and the district-by-year
    table is optional (without it other years carry the 2020 figure, flagged; see
    int_street_year__population)."""
    from jinchengtuo.reference.scope import Scope

    scope = scope if scope is not None else Scope.from_env()
    if not scope.is_shenzhen:
        from jinchengtuo.reference.scope import national_units

        streets, _ = scope_street_frame(reference_dir, scope)
        outside = set(national_units()["unit_code"].astype(str)) - set(streets["street_code"])
        census = load_census_dir(national_census_dir(census_dir), ScopeCensusDirectory(streets, outside), district_population_required=False)
    else:
        census = load_census_dir(census_dir, StreetDirectory.load(reference_dir / "streets.csv"))
    issues = pd.DataFrame([i.__dict__ for i in census.issues], columns=["source_file", "source_row", "severity", "code", "message"])
    return {
        "census_street": replace_table(con, "census_street", census.streets),
        "district_population": replace_table(con, "district_population", census.district_population),
        "load_issue": replace_table(con, "load_issue", issues),
        "files": sorted(census.streets["source_file"].unique().tolist()) if len(census.streets) else [],
        "warnings": [str(i) for i in census.issues],
    }
