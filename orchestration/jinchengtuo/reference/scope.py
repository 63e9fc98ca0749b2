"""Which township-level units a run observes: the scope.

A scope is configuration (env `JCT_SCOPE`, the CLI's `--scope`, a Dagster run config value), a
string of one of these forms:

  shenzhen            the 74 street offices of sources/reference/streets.csv (the default: every
                      output of the Shenzhen warehouse is unchanged)
  national            all 41,352 township-level units of sources/reference/national/streets.csv
  44,4401,440305 …    any set of provinces (2-digit codes), cities (4 digits) and counties/districts
                      (6 digits), comma separated; exact province/city names (广东省, 深圳市) are
                      accepted where the name is unique

`Scope.units()` is the unit hierarchy of the scope as a DataFrame (one row a unit): unit_code (the
9-digit statistical division code, = street_code), unit_name, unit_kind (street 街道 / town 镇 /
township 乡 (乡, 民族乡, 苏木) / other (开发区, 农场, 管理处 …)), peer_kind (the kind units are
ranked among: street / town (镇 and 乡 together) / other), and the county, city and province codes
and names. The national reference names municipalities' cities '市辖区' (北京市's 1101) and the
counties directly under a province '省直辖县级行政区划'; `city_label` is the name to print (the
province's name in those cases).

The kind is read from the name's ending (…街道, …镇, …乡, …苏木); a unit whose name has none of
them is a street when its code's last three digits are below 100 (NBS: 001–099 街道-level, as
北京's 地区 offices) and `other` otherwise.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from jinchengtuo import config

ENV = "JCT_SCOPE"
DEFAULT = "shenzhen"
SHENZHEN_CITY_CODE = "4403"

UNIT_KINDS = ("street", "town", "township", "other")
UNIT_KIND_LABELS = {"street": "街道 street", "town": "镇 town", "township": "乡 township", "other": "其他 other"}
PEER_KIND = {"street": "street", "town": "town", "township": "town", "other": "other"}
PEER_KIND_LABELS = {"street": "街道 streets", "town": "镇乡 towns", "other": "其他 other units"}

UNIT_COLUMNS = [
    "unit_code", "unit_name", "unit_kind", "peer_kind",
    "county_code", "county_name", "city_code", "city_name", "city_label",
    "province_code", "province_name",
]

_PLACEHOLDER_CITIES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


def unit_kind(name: str, code: str) -> str:
    """street / town / township / other (see the module doc)."""
    if name.endswith("街道"):
        return "street"
    if name.endswith("镇"):
        return "town"
    if name.endswith("乡") or name.endswith("苏木"):
        return "township"
    if name.endswith("直辖村级区划"):
        return "other"
    try:
        return "street" if int(code[6:9]) < 100 else "other"
    except ValueError:
        return "other"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=4)
def _national_units(folder: str) -> pd.DataFrame:
    root = Path(folder)
    provinces = {r["code"]: r["name"] for r in _read(root / "provinces.csv")}
    cities = {r["code"]: r["name"] for r in _read(root / "cities.csv")}
    areas = {r["code"]: r["name"] for r in _read(root / "areas.csv")}
    rows = []
    for r in _read(root / "streets.csv"):
        code, name = r["code"].strip(), r["name"].strip()
        kind = unit_kind(name, code)
        province_name = provinces.get(r["provinceCode"], "")
        city_name = cities.get(r["cityCode"], "")
        rows.append((
            code, name, kind, PEER_KIND[kind],
            r["areaCode"], areas.get(r["areaCode"], ""),
            r["cityCode"], city_name, province_name if city_name in _PLACEHOLDER_CITIES else city_name,
            r["provinceCode"], province_name,
        ))
    frame = pd.DataFrame(rows, columns=UNIT_COLUMNS, dtype="string")
    return frame.sort_values("unit_code", kind="stable").reset_index(drop=True)


def national_folder(folder: Path | None = None) -> Path:
    """sources/reference/national/ (the project's copy when the sources folder in use has none:
    it is reference data of the project, like the indicator framework)."""
    folder = Path(folder) if folder else config.reference_dir() / "national"
    if not (folder / "streets.csv").exists():
        folder = config.PROJECT_DIR / "sources" / "reference" / "national"
    return folder


def national_units(folder: Path | None = None) -> pd.DataFrame:
    """All township-level units of the national reference (a copy: callers may change it)."""
    return _national_units(str(national_folder(folder))).copy()


@lru_cache(maxsize=4)
def _shenzhen_codes(path: str) -> tuple[str, ...]:
    return tuple(r["street_code"].strip() for r in _read(Path(path)))


def shenzhen_codes(path: Path | None = None) -> tuple[str, ...]:
    """The 74 street codes of sources/reference/streets.csv, in its order."""
    return _shenzhen_codes(str(path or config.reference_dir() / "streets.csv"))


class ScopeError(ValueError):
    pass


@dataclass(frozen=True)
class Scope:
    """A parsed scope. `kind` is 'shenzhen', 'national' or 'areas' (with `codes`)."""

    kind: str
    codes: tuple[str, ...] = ()

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str | None) -> "Scope":
        spec = (text or "").strip()
        if not spec or spec.lower() == DEFAULT:
            return cls("shenzhen")
        if spec.lower() in ("national", "china", "全国"):
            return cls("national")
        codes: list[str] = []
        for part in (p.strip() for p in spec.replace("，", ",").split(",")):
            if not part:
                continue
            if part.isdigit():
                if len(part) not in (2, 4, 6):
                    raise ScopeError(f"scope {spec!r}: {part!r} is not a province (2 digits), city (4) or county (6) code")
                codes.append(part)
            else:
                codes.append(_code_of_name(part, spec))
        if not codes:
            raise ScopeError(f"scope {spec!r}: no province, city or county code")
        # a code inside another code of the scope adds nothing
        unique = sorted(set(codes))
        kept = tuple(c for c in unique if not any(c != o and c.startswith(o) for o in unique))
        scope = cls("areas", kept)
        unknown = [c for c in kept if not _known_code(c)]
        if unknown:
            raise ScopeError(f"scope {spec!r}: no township-level unit in the national reference under {', '.join(unknown)}")
        return scope

    @classmethod
    def from_env(cls) -> "Scope":
        """The scope of this process: `JCT_SCOPE` (default shenzhen)."""
        return cls.parse(os.environ.get(ENV, DEFAULT))

    # -- description ----------------------------------------------------------------------------
    @property
    def spec(self) -> str:
        """The canonical string (parse(spec) == self)."""
        return self.kind if self.kind != "areas" else ",".join(self.codes)

    def __str__(self) -> str:
        return self.spec

    @property
    def is_shenzhen(self) -> bool:
        return self.kind == "shenzhen"

    @property
    def is_national(self) -> bool:
        return self.kind == "national"

    @property
    def slug(self) -> str:
        """A file-name-safe name: shenzhen, national, areas-44-4401."""
        return self.kind if self.kind != "areas" else "areas-" + "-".join(self.codes)

    @property
    def label(self) -> str:
        if self.is_shenzhen:
            return "深圳市 Shenzhen (74 streets)"
        if self.is_national:
            return "全国 national"
        units = national_units()
        names = []
        for code in self.codes:
            column = {2: "province", 4: "city", 6: "county"}[len(code)]
            match = units.loc[units[f"{column}_code"] == code]
            names.append(str(match.iloc[0][f"{column}_name" if column != "city" else "city_label"]) if len(match) else code)
        return "、".join(names)

    # -- membership -----------------------------------------------------------------------------
    def units(self, reference: Path | None = None) -> pd.DataFrame:
        """The scope's units (columns UNIT_COLUMNS, sorted by unit_code). `reference`: the
        sources/reference folder (default: the one of JCT_SOURCES)."""
        reference = Path(reference) if reference else config.reference_dir()
        units = national_units(reference / "national")
        if self.is_national:
            return units
        if self.is_shenzhen:
            streets = reference / "streets.csv"
            if not streets.exists():
                streets = config.PROJECT_DIR / "sources" / "reference" / "streets.csv"
            mask = units["unit_code"].isin(shenzhen_codes(streets))
        else:
            mask = pd.Series(False, index=units.index)
            for code in self.codes:
                column = {2: "province_code", 4: "city_code", 6: "county_code"}[len(code)]
                mask |= units[column] == code
        return units.loc[mask].reset_index(drop=True)

    def unit_codes(self, reference: Path | None = None) -> list[str]:
        return self.units(reference)["unit_code"].astype(str).tolist()

    def contains(self, unit_code: str) -> bool:
        code = str(unit_code)
        if self.is_national:
            return True
        if self.is_shenzhen:
            return code in shenzhen_codes()
        return any(code.startswith(c) for c in self.codes)

    def province_codes(self, reference: Path | None = None) -> list[str]:
        """The provinces the scope touches (for partitioning storage by province)."""
        return sorted(self.units(reference)["province_code"].astype(str).unique().tolist())

    def directory(self):
        """The directory documents of this scope are attributed against: the Shenzhen street
        directory for the Shenzhen scope, the national directory otherwise (a unit outside a
        smaller scope is still attributed, so it is reported rather than mistaken for another)."""
        if self.is_shenzhen:
            from jinchengtuo.reference.streets import StreetDirectory

            return StreetDirectory.load()
        from jinchengtuo.reference.national import NationalDirectory

        return NationalDirectory.load()

    @property
    def directory_name(self) -> str:
        """The value of `jinchengtuo extract --directory`."""
        return "shenzhen" if self.is_shenzhen else "national"


def _known_code(code: str) -> bool:
    units = national_units()
    column = {2: "province_code", 4: "city_code", 6: "county_code"}[len(code)]
    return bool((units[column] == code).any())


def _code_of_name(name: str, spec: str) -> str:
    units = national_units()
    matches: set[str] = set()
    for level in ("province", "city", "county"):
        for column in (f"{level}_name",) + (("city_label",) if level == "city" else ()):
            hits = units.loc[units[column] == name, f"{level}_code"].unique().tolist()
            matches.update(str(h) for h in hits)
    if name in _PLACEHOLDER_CITIES:
        matches = set()
    # 北京市 is the province 11 and the label of its city 1101: the province
    matches = {m for m in matches if not any(o != m and m.startswith(o) for o in matches)}
    if len(matches) == 1:
        return matches.pop()
    if not matches:
        raise ScopeError(f"scope {spec!r}: {name!r} is no province, city or county name of the national reference (give its code)")
    raise ScopeError(f"scope {spec!r}: {name!r} names {len(matches)} places ({', '.join(sorted(matches)[:5])}…): give the code")


def current() -> Scope:
    """The scope of this process (`JCT_SCOPE`); the one function other modules call."""
    return Scope.from_env()
