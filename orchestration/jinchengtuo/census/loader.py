"""Read census extracts the way real users have them.

A street extract is an XLSX or CSV (one per district, or one for the city) with a Chinese header
row: 街道, 常住人口, 家庭户, 0-14岁, 60岁及以上 … Street names may be written in any usual form
(园岭街道办事处, 福田区园岭街道, 园岭). Percent columns accept 12.3, 12.3% or 0.123.

`district_population.csv` gives resident population by district and year; years other than 2020
scale the 2020 street shares by it (done in dbt, flagged as estimated).

Every problem is collected with its file, row and reason; `load_census_dir` raises `CensusError`
listing all of them rather than loading a partial census.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from jinchengtuo.reference.streets import StreetDirectory, normalise_name

# canonical column -> header spellings seen in census tables (compared after normalisation)
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("街道", "街道名称", "街道办事处", "街道(镇)", "乡镇街道", "地区", "名称", "单位", "street", "street_name"),
    "street_code": ("区划代码", "统计用区划代码", "街道代码", "代码", "street_code"),
    "population": ("常住人口", "常住人口(人)", "常住人口数", "人口数", "总人口", "合计", "population"),
    "households": ("家庭户", "家庭户户数", "家庭户(户)", "户数", "households"),
    "pop_0_14_pct": ("0-14岁", "0—14岁", "0~14岁", "0-14岁占比", "0-14岁占比(%)", "0—14岁人口占比", "0-14岁人口占比(%)", "pop_0_14_pct"),
    "pop_60_plus_pct": ("60岁及以上", "60岁及以上占比", "60岁及以上占比(%)", "60岁及以上人口占比", "60岁及以上人口占比(%)", "pop_60_plus_pct"),
    "pop_65_plus_pct": ("65岁及以上", "65岁及以上占比", "65岁及以上占比(%)", "65岁及以上人口占比", "65岁及以上人口占比(%)", "pop_65_plus_pct"),
    "migrant_pct": ("流动人口占比", "流动人口占比(%)", "流动人口", "外省流入人口占比", "外省流入人口占比(%)", "migrant_pct"),
    "area_km2": ("面积", "面积(平方公里)", "面积(km2)", "面积(km²)", "辖区面积", "辖区面积(平方公里)", "area_km2"),
}
REQUIRED = ("name", "population")
PCT_COLUMNS = ("pop_0_14_pct", "pop_60_plus_pct", "pop_65_plus_pct", "migrant_pct")
SUMMARY_ROWS = {"合计", "总计", "全区", "全市", "小计"}


def is_total_row(raw_name: str, streets) -> bool:
    """A district or city total row of a table of streets (合计, 全区, a district's name). Only for a
    row without a unit code of its own: a unit named like a district (许昌's 东城区) comes with its
    区划代码 and is that unit's row."""
    name = normalise_name(raw_name)
    return name in SUMMARY_ROWS or name in streets.district_names


def _norm_header(h: object) -> str:
    text = normalise_name(str(h)).lower()
    return text.replace("％", "%").replace("—", "-").replace("－", "-").replace("~", "-")


_LOOKUP = {_norm_header(s): canon for canon, spellings in HEADER_SYNONYMS.items() for s in spellings}


@dataclass
class LoadIssue:
    source_file: str
    source_row: int | None
    severity: str  # error | warning
    code: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source_file}" + (f", row {self.source_row}" if self.source_row else "")
        return f"{where}: {self.message}"


class CensusError(ValueError):
    def __init__(self, issues: list[LoadIssue]):
        self.issues = issues
        lines = "\n".join(f"  - {i}" for i in issues)
        super().__init__(f"census extract rejected ({len(issues)} problem(s)):\n{lines}")


@dataclass
class CensusLoad:
    streets: pd.DataFrame  # columns of raw.census_street
    district_population: pd.DataFrame  # columns of raw.district_population
    issues: list[LoadIssue] = field(default_factory=list)  # warnings (errors raise)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(path, dtype=str, header=None)
    text = decode_text(path.read_bytes())
    if text is None:
        raise CensusError([LoadIssue(path.name, None, "error", "encoding", "not readable as UTF-8 or GBK/GB18030 text")])
    from io import StringIO

    return pd.read_csv(StringIO(text), dtype=str, header=None, keep_default_na=False)


def decode_text(raw: bytes) -> str | None:
    """A CSV's text: UTF-8 (with or without BOM), else GBK/GB18030 as Excel saves it; None when neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def cell_number(value: object) -> float | None:
    """A table cell as a number (thousands separators, full-width digits, a trailing %); None when blank."""
    if value is None:
        return None
    text = str(value).strip().replace(",", "").replace("，", "").replace("％", "%")
    if text in ("", "-", "—", "/", "nan", "NaN", "None"):
        return None
    text = text.translate(str.maketrans("０１２３４５６７８９．－", "0123456789.-"))
    text = text.rstrip("%")
    if not re.fullmatch(r"-?\d+(\.\d+)?", text):
        raise ValueError(f"{value!r} is not a number")
    return float(text)


def read_census_file(path: Path, streets: StreetDirectory, display_name: str | None = None) -> tuple[pd.DataFrame, list[LoadIssue]]:
    """Read one street census extract; return its rows and every problem found."""
    name = display_name or path.name
    issues: list[LoadIssue] = []
    try:
        table = _read_table(path)
    except CensusError as exc:
        return pd.DataFrame(), exc.issues
    except Exception as exc:  # a broken XLSX or CSV
        return pd.DataFrame(), [LoadIssue(name, None, "error", "unreadable", f"cannot be read as a table ({exc.__class__.__name__}: {exc})")]
    # the header is the first row that names a street column and a population column
    header_row = None
    for i in range(min(len(table), 10)):
        canon = {_LOOKUP.get(_norm_header(v)) for v in table.iloc[i].tolist()}
        if "name" in canon and "population" in canon:
            header_row = i
            break
        if "name" in canon:
            header_row = i
    if header_row is None:
        return pd.DataFrame(), [LoadIssue(name, 1, "error", "missing_column", "no header row with a street column (街道) found")]
    headers = [_LOOKUP.get(_norm_header(v)) for v in table.iloc[header_row].tolist()]
    missing = [c for c in REQUIRED if c not in headers]
    if missing:
        labels = {"name": "街道 (street)", "population": "常住人口 (resident population)"}
        return pd.DataFrame(), [
            LoadIssue(name, header_row + 1, "error", "missing_column", f"required column {labels[c]} is missing (header: {', '.join(map(str, table.iloc[header_row].tolist()))})")
            for c in missing
        ]
    records = []
    sha = _sha256(path)
    for i in range(header_row + 1, len(table)):
        row_no = i + 1  # 1-based line/row number as a spreadsheet shows it
        cells = {h: v for h, v in zip(headers, table.iloc[i].tolist()) if h}
        raw_name = str(cells.get("name") or "").strip()
        if not raw_name or raw_name.lower() == "nan":
            continue
        code = None
        if cells.get("street_code") and str(cells["street_code"]).strip() and streets.get(str(cells["street_code"]).strip()):
            code = str(cells["street_code"]).strip()
        if code is None and is_total_row(raw_name, streets):
            continue
        code = code or streets.resolve(raw_name)
        written_code = str(cells.get("street_code") or "").strip()
        if code is None and written_code and written_code in getattr(streets, "outside_scope", ()):
            issues.append(LoadIssue(name, row_no, "warning", "outside_scope", f"{raw_name} ({written_code}) is not a unit of the scope: skipped"))
            continue
        if code is None:
            issues.append(LoadIssue(name, row_no, "error", "unknown_street", f"street name {raw_name!r} matches none of the 74 streets" if isinstance(streets, StreetDirectory) else f"name {raw_name!r} (or its 区划代码) matches none of the {len(streets)} units of the scope"))
            continue
        rec = {"street_code": code, "name_as_written": raw_name, "source_file": name, "source_file_sha256": sha, "source_row": row_no}
        bad = False
        for col in ("population", "households", "area_km2", *PCT_COLUMNS):
            try:
                rec[col] = cell_number(cells.get(col))
            except ValueError as exc:
                issues.append(LoadIssue(name, row_no, "error", "not_a_number", f"{col}: {exc}"))
                bad = True
                continue
        if bad:
            continue
        if rec["population"] is None:
            issues.append(LoadIssue(name, row_no, "error", "missing_value", f"{raw_name}: 常住人口 (population) is empty"))
            continue
        if rec["population"] <= 0:
            issues.append(LoadIssue(name, row_no, "error", "out_of_range", f"{raw_name}: population must be positive, got {rec['population']:g}"))
            continue
        if rec.get("households") is not None and rec["households"] < 0:
            issues.append(LoadIssue(name, row_no, "error", "out_of_range", f"{raw_name}: households must not be negative, got {rec['households']:g}"))
            continue
        if rec.get("area_km2") is not None and rec["area_km2"] <= 0:
            issues.append(LoadIssue(name, row_no, "error", "out_of_range", f"{raw_name}: area must be positive, got {rec['area_km2']:g}"))
            continue
        for col in PCT_COLUMNS:
            v = rec.get(col)
            if v is not None and not 0 <= v <= 100:
                issues.append(LoadIssue(name, row_no, "error", "out_of_range", f"{raw_name}: {col} must be a share within 0–100%, got {v:g}"))
                bad = True
        if bad:
            continue
        records.append(rec)
    df = pd.DataFrame.from_records(records)
    if len(df):
        for col in ("population", "households", "area_km2", *PCT_COLUMNS):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        # shares written as fractions (0.123) rather than percentages: convert the whole column
        for col in PCT_COLUMNS:
            if col in df and df[col].notna().any() and df[col].max() <= 1:
                df[col] = df[col] * 100
        df["is_synthetic"] = "synthetic" in path.name.lower()
        df["population"] = df["population"].round().astype("Int64")
        if "households" in df:
            df["households"] = df["households"].round().astype("Int64")
    return df, issues


def _read_district_population(path: Path) -> tuple[pd.DataFrame, list[LoadIssue]]:
    issues = []
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as exc:
        return pd.DataFrame(), [LoadIssue(path.name, None, "error", "unreadable", f"cannot be read as CSV ({exc})")]
    need = {"district_name", "year", "population"}
    if not need <= set(df.columns):
        return pd.DataFrame(), [LoadIssue(path.name, 1, "error", "missing_column", f"needs columns {sorted(need)}, has {list(df.columns)}")]
    rows = []
    for i, r in df.iterrows():
        row_no = int(i) + 2
        try:
            year, pop = int(r["year"]), cell_number(r["population"])
        except ValueError as exc:
            issues.append(LoadIssue(path.name, row_no, "error", "not_a_number", str(exc)))
            continue
        if pop is None or pop <= 0:
            issues.append(LoadIssue(path.name, row_no, "error", "out_of_range", f"{r['district_name']} {year}: population must be positive"))
            continue
        rows.append({
            "district_name": r["district_name"].strip(), "year": year, "population": int(round(pop)),
            "is_sample": str(r.get("is_sample", "")).strip().lower() in ("true", "1", "yes"),
            "source": r.get("source", ""), "source_file": path.name,
        })
    return pd.DataFrame.from_records(rows), issues


DISTRICT_POPULATION_COLUMNS = ("district_name", "year", "population", "is_sample", "source", "source_file")


def load_census_dir(directory: Path, streets: StreetDirectory | None = None, district_population_required: bool = True) -> CensusLoad:
    """Load every street extract and the district-by-year table in `directory`. `streets`: what
    rows resolve against (the Shenzhen directory by default; anything with get / resolve /
    district_names, as warehouse.loaders.ScopeCensusDirectory for another scope). Without
    `district_population_required` a missing district-by-year table is no error (an empty one).

    Raises CensusError naming file, row and reason for every problem found.
    """
    streets = streets or StreetDirectory.load()
    directory = Path(directory)
    if not directory.is_dir():
        raise CensusError([LoadIssue(str(directory), None, "error", "missing", "census folder does not exist")])
    frames, issues = [], []
    district_pop = pd.DataFrame()
    files = sorted(p for p in directory.iterdir() if p.is_file() and not p.is_symlink() and p.suffix.lower() in (".csv", ".xlsx", ".xlsm"))
    for path in files:
        if path.name == "district_population.csv":
            district_pop, found = _read_district_population(path)
        else:
            df, found = read_census_file(path, streets)
            if len(df):
                frames.append(df)
        issues.extend(found)
    streets_df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not len(streets_df) and not any(i.severity == "error" for i in issues):
        issues.append(LoadIssue(str(directory), None, "error", "missing", "no street census extract (CSV or XLSX with a 街道 column) found"))
    if len(streets_df):
        dup = streets_df[streets_df.duplicated("street_code", keep=False)]
        for code, grp in dup.groupby("street_code"):
            where = "; ".join(f"{r.source_file} row {r.source_row}" for r in grp.itertuples())
            issues.append(LoadIssue(grp.iloc[0].source_file, int(grp.iloc[-1].source_row), "error", "duplicate_street", f"street {code} appears more than once ({where})"))
    if not len(district_pop) and not district_population_required and not (directory / "district_population.csv").exists():
        district_pop = pd.DataFrame({
            "district_name": pd.Series(dtype="object"), "year": pd.Series(dtype="int64"), "population": pd.Series(dtype="int64"),
            "is_sample": pd.Series(dtype="bool"), "source": pd.Series(dtype="object"), "source_file": pd.Series(dtype="object"),
        })
    elif not len(district_pop) and not any(i.code == "missing" for i in issues):
        issues.append(LoadIssue("district_population.csv", None, "error", "missing", "district-by-year population table is missing"))
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise CensusError(errors)
    return CensusLoad(streets=streets_df, district_population=district_pop, issues=[i for i in issues if i.severity != "error"])
