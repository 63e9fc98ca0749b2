"""The national directory of township-level units (sources/reference/national/, 41,352 街道, 镇,
乡 … of the 2022 statistical division codes), for attributing documents issued anywhere in China.

It answers the same questions as `StreetDirectory` (`find_mentions`, `resolve`, `get`), so the
extractor attributes an issuer against either. Unit names repeat across the country (there are
dozens of 青山镇): a name is attributed only when the province, city or county named around it
leaves one unit; otherwise the mention is ambiguous and not attributed (the document keeps its
figures, unidentified, with its printed issuer).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinchengtuo import config

# the endings of township-level unit names, longest first
# ('园岭街道办事处' is found at its 街道: the unit is 园岭街道)
UNIT_SUFFIXES = ("办事处", "街道", "苏木", "镇", "乡")
_SUFFIX = re.compile("|".join(UNIT_SUFFIXES))
_MAX_NAME = 12


@dataclass(frozen=True)
class Unit:
    street_code: str  # the 9-digit statistical division code (as dim_street's street_code)
    street_name: str
    district_name: str  # county / district
    city_name: str
    province_name: str


def _core(name: str) -> str:
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "特别行政区", "省", "市", "县", "区", "盟", "旗"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


_PLACE_ENDINGS = "省市区县州盟旗"


def _named(name: str, context: str) -> bool:
    """The place is named in the text: in full, or by its core (濮阳 of 濮阳县) where the core is
    not the start of another place's name (濮阳市 names the city, not 濮阳县)."""
    if name in context:
        return True
    core = _core(name)
    if core == name:
        return False
    start = context.find(core)
    while start >= 0:
        after = context[start + len(core): start + len(core) + 1]
        if not after or after not in _PLACE_ENDINGS:
            return True
        start = context.find(core, start + 1)
    return False


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class NationalDirectory:
    source = "sources/reference/national/streets.csv"

    def __init__(self, units: list[Unit]):
        self.units = units
        self._by_code = {u.street_code: u for u in units}
        self._by_name: dict[str, list[Unit]] = {}
        for u in units:
            self._by_name.setdefault(u.street_name, []).append(u)

    @classmethod
    def load(cls, folder: Path | None = None) -> "NationalDirectory":
        return _load(str(folder or config.reference_dir() / "national"))

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self):
        return iter(self.units)

    def get(self, code: str) -> Unit | None:
        return self._by_code.get(code)

    def _pick(self, candidates: list[Unit], context: str) -> Unit | None:
        if len(candidates) == 1:
            return candidates[0]

        def score(u: Unit) -> int:
            s = 0
            for name, w in ((u.district_name, 4), (u.city_name, 2), (u.province_name, 1)):
                if name and name not in ("市辖区", "县", "省直辖县级行政区划") and _named(name, context):
                    s += w
            return s

        scored = sorted(((score(u), u) for u in candidates), key=lambda t: -t[0])
        if scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
            return scored[0][1]
        return None  # ambiguous: the places named around it do not single one out

    def find_mentions(self, text: str) -> list[tuple[int, str, str]]:
        """Every unit named in `text` that the places around it single out: (offset, name, code)."""
        text = text.replace("\u3000", "")
        found: list[tuple[int, str, str]] = []
        taken_until = -1
        for m in _SUFFIX.finditer(text):
            end = m.end()
            best = None
            for start in range(max(0, end - _MAX_NAME), end - len(m.group(0))):
                if start <= taken_until:
                    continue
                name = text[start:end]
                if name in self._by_name:
                    best = (start, name)
                    break  # the longest name ending here
            if best is None:
                continue
            start, name = best
            # the places around the name, the name itself masked wherever it recurs there
            # (双塔街道 does not name 双塔区)
            context = text[max(0, start - 40): end + 40].replace(name, "\u3000" * len(name))
            unit = self._pick(self._by_name[name], context)
            if unit is not None:
                found.append((start, name, unit.street_code))
                taken_until = end - 1
        return found

    def resolve(self, name: str, district_hint: str | None = None) -> str | None:
        if name.isdigit() and len(name) == 9:  # a folder named by the unit's code (the national corpus layout)
            return name if name in self._by_code else None
        mentions = self.find_mentions(name)
        return mentions[0][2] if len(mentions) == 1 else None


@lru_cache(maxsize=2)
def _load(folder: str) -> NationalDirectory:
    root = Path(folder)
    provinces = {r["code"]: r["name"] for r in _read(root / "provinces.csv")}
    cities = {r["code"]: r["name"] for r in _read(root / "cities.csv")}
    areas = {r["code"]: r["name"] for r in _read(root / "areas.csv")}
    units = [Unit(r["code"], r["name"], areas.get(r["areaCode"], ""), cities.get(r["cityCode"], ""), provinces.get(r["provinceCode"], ""))
             for r in _read(root / "streets.csv")]
    return NationalDirectory(units)
