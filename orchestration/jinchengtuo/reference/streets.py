"""The 74 street offices and the many ways documents name them.

Documents write 园岭街道办事处, 福田区园岭街道, 深圳市福田区园岭街道办事处, 园岭街道办 or just 园岭.
`StreetDirectory.resolve` maps any of these to the official 9-digit code; `find_mentions`
finds every street named in a text (longest names first, so 沙头角 is never read as 沙头).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from jinchengtuo import config

CITY_PREFIXES = ("广东省深圳市", "广东省", "深圳市")
STREET_SUFFIXES = ("街道办事处", "街道办", "街道")


@dataclass(frozen=True)
class Street:
    street_code: str
    street_name: str  # official name, e.g. 园岭街道
    district_name: str  # 福田区, … 大鹏新区
    district_code: str  # empty for 大鹏新区 (a functional area)
    area_km2: float | None
    area_source: str
    # real 2020 figures found in public sources (streets.csv, each with its source); None: not known
    population_2020: int | None = None
    population_source: str = ""
    communities: int | None = None
    communities_source: str = ""
    facts_note: str = ""

    @property
    def core(self) -> str:
        """The name without 街道: 园岭."""
        return self.street_name.removesuffix("街道")

    @property
    def district_core(self) -> str:
        return self.district_name.removesuffix("新区").removesuffix("区")

    def name_variants(self) -> list[str]:
        """Every form a document may use, longest first."""
        cores = [self.core]
        variants: set[str] = set()
        for suffix in STREET_SUFFIXES:
            name = self.core + suffix
            variants.add(name)
            variants.add(self.district_name + name)
            variants.add("深圳市" + self.district_name + name)
            variants.add("深圳市" + name)
            if self.district_name == "大鹏新区":  # its streets carry 龙岗区 codes
                variants.add("龙岗区" + name)
        if self.district_name == "大鹏新区":  # its offices sign '大鹏新区葵涌办事处', without 街道
            for name in (self.core + "办事处", self.district_name + self.core + "办事处", "深圳市" + self.district_name + self.core + "办事处"):
                variants.add(name)
        variants.update(cores)
        return sorted(variants, key=lambda v: (-len(v), v))


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _int_or_none(value: str | None) -> int | None:
    text = (value or "").strip().replace(",", "")
    return int(round(float(text))) if text else None


def load_streets(path: Path | None = None) -> list[Street]:
    path = path or config.reference_dir() / "streets.csv"
    streets = []
    for row in _read_csv(path):
        area = row.get("area_km2", "").strip()
        streets.append(
            Street(
                street_code=row["street_code"].strip(),
                street_name=row["street_name"].strip(),
                district_name=row["district_name"].strip(),
                district_code=row.get("district_code", "").strip(),
                area_km2=float(area) if area else None,
                area_source=row.get("area_source", "").strip(),
                population_2020=_int_or_none(row.get("population_2020")),
                population_source=(row.get("population_source") or "").strip(),
                communities=_int_or_none(row.get("communities")),
                communities_source=(row.get("communities_source") or "").strip(),
                facts_note=(row.get("facts_note") or "").strip(),
            )
        )
    return streets


def load_districts(path: Path | None = None) -> list[dict[str, str]]:
    return _read_csv(path or config.reference_dir() / "districts.csv")


_SPACE = re.compile(r"[\s\u3000]+")


def normalise_name(text: str) -> str:
    """Fold white space (incl. ideographic) and full-width parentheses out of a name."""
    return _SPACE.sub("", text).replace("（", "(").replace("）", ")")


@dataclass
class StreetDirectory:
    streets: list[Street]
    _by_code: dict[str, Street] = field(init=False)
    _by_core: dict[str, Street] = field(init=False)
    _districts: set[str] = field(init=False)
    _pattern: re.Pattern[str] = field(init=False)
    _variant_to_code: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self._by_code = {s.street_code: s for s in self.streets}
        self._by_core = {s.core: s for s in self.streets}
        self._districts = {s.district_name for s in self.streets} | {"龙岗区"}
        self._variant_to_code = {}
        for s in self.streets:
            for v in s.name_variants():
                self._variant_to_code.setdefault(v, s.street_code)
        # In running text a bare core (园岭) is too weak a signal, and for streets named like
        # their district (南山街道 / 南山区) it is wrong: mentions need a street suffix.
        names = [v for v in self._variant_to_code if v.endswith(STREET_SUFFIXES + ("办事处",))]
        names.sort(key=lambda v: (-len(v), v))
        self._pattern = re.compile("|".join(re.escape(n) for n in names))

    @classmethod
    def load(cls, path: Path | None = None) -> "StreetDirectory":
        return cls(load_streets(path))

    def __len__(self) -> int:
        return len(self.streets)

    def __iter__(self):
        return iter(self.streets)

    def get(self, street_code: str) -> Street | None:
        return self._by_code.get(street_code)

    @property
    def district_names(self) -> set[str]:
        return set(self._districts)

    def resolve(self, name: str, district_hint: str | None = None) -> str | None:
        """Resolve one name, in any usual form, to its street code; None when unknown.

        Accepts 园岭街道办事处, 福田区园岭街道, 深圳市福田区园岭街道办事处, 园岭街道办, 园岭.
        A district prefix that contradicts the street (罗湖区园岭街道) does not resolve.
        """
        text = normalise_name(name)
        if not text:
            return None
        if text in self._variant_to_code:
            return self._variant_to_code[text]
        for prefix in CITY_PREFIXES:
            text = text.removeprefix(prefix)
        district = None
        for d in sorted(self._districts, key=len, reverse=True):
            if text.startswith(d) and len(text) > len(d):
                district, text = d, text[len(d):]
                break
        for suffix in STREET_SUFFIXES:
            if text.endswith(suffix):
                text = text[: -len(suffix)]
                break
        street = self._by_core.get(text)
        if street is None:
            return None
        district = district or district_hint
        if district and district not in (street.district_name, "龙岗区" if street.district_name == "大鹏新区" else street.district_name):
            return None
        return street.street_code

    def find_mentions(self, text: str) -> list[tuple[int, str, str]]:
        """Every street named in `text` with a street suffix: (offset, matched text, code)."""
        text = text.replace("\u3000", "")
        return [(m.start(), m.group(0), self._variant_to_code[m.group(0)]) for m in self._pattern.finditer(text)]
