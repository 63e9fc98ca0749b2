"""Read resident surveys and 12345 hotline summaries (source type `resident_survey`).

Files live in `sources/surveys/` as CSV (UTF-8 or GBK) or XLSX, one header row (Chinese or English
headers, any usual street-name form: 园岭街道办事处, 福田区园岭街道, 园岭). Two shapes, told apart by
their headers (sources/README.md documents both):

satisfaction survey (one row per street, year and capacity surveyed)
    街道 street | 年度 year | 能力 capacity | 满意率 satisfied_pct | 样本量 n
    [| 调查机构 surveyor | 调查方式 method | 示例 is_synthetic | 说明 note]
    capacity: EXE SRV DLB EMG SAF (or their Chinese names), or 总体 ALL for overall satisfaction;
    satisfied_pct: the share of respondents satisfied, 0–100 (86.5, 86.5% or 0.865).

12345 hotline summary (one row per street and year)
    街道 street | 年度 year | 受理量 requests_received | 办结量 requests_closed | 满意率 satisfaction_pct
    [| 回访样本量 n_rated | 示例 is_synthetic | 说明 note]
    n_rated: callers asked for their satisfaction; when absent, every closed request is taken as rated.

Every problem is a LoadIssue naming the file, the row (as a spreadsheet shows it), the column and the
reason. Unlike the census, a bad row never rejects the file: it is reported (severity error,
raw.load_issue) and skipped, and the other rows load. A row whose sample is smaller than
MIN_PUBLISHABLE_N is kept with `is_publishable` false and its reason (a warning): it is loaded
but never published as a score.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import pandas as pd

from jinchengtuo.census.loader import cell_number, decode_text, is_total_row
from jinchengtuo.reference.streets import StreetDirectory, normalise_name

MIN_PUBLISHABLE_N = 100  # respondents below which a satisfaction share is not published (MOE > ±9.8 points)
CAPACITY_CODES = ("EXE", "SRV", "DLB", "EMG", "SAF")
OVERALL = "ALL"
CAPACITY_NAMES = {
    "EXE": ("行政执行能力", "行政执行", "administrative execution", "execution"),
    "SRV": ("为民服务能力", "为民服务", "公共服务", "public service", "service"),
    "DLB": ("议事协商能力", "议事协商", "deliberation", "deliberation and consultation"),
    "EMG": ("应急管理能力", "应急管理", "emergency management", "emergency"),
    "SAF": ("平安建设能力", "平安建设", "社会治安", "safety", "safety and security"),
    OVERALL: ("总体", "总体满意度", "综合", "整体", "overall", "composite", "all"),
}

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("街道", "街道名称", "街道办事处", "街道(镇)", "乡镇街道", "单位", "street", "street_name"),
    "street_code": ("区划代码", "统计用区划代码", "街道代码", "street_code"),
    "year": ("年度", "年份", "调查年度", "year"),
    "capacity": ("能力", "能力维度", "评价维度", "维度", "capacity", "dimension"),
    "satisfied_pct": ("满意率", "满意率(%)", "满意度", "满意度(%)", "满意比例", "满意比例(%)", "satisfied_pct", "satisfied_share", "satisfaction_share"),
    "n": ("样本量", "样本数", "有效样本", "有效样本量", "有效问卷", "有效问卷数", "n", "sample_size", "respondents"),
    "surveyor": ("调查机构", "实施机构", "surveyor"),
    "method": ("调查方式", "调查方法", "method"),
    "requests_received": ("受理量", "受理数", "受理件数", "诉求受理量", "来电量", "requests_received", "received"),
    "requests_closed": ("办结量", "办结数", "办结件数", "requests_closed", "closed"),
    "satisfaction_pct": ("热线满意率", "热线满意率(%)", "回访满意率", "回访满意率(%)", "满意率", "满意率(%)", "satisfaction_pct", "satisfaction_rate"),
    "n_rated": ("回访样本量", "回访数", "回访量", "评价数", "n_rated", "rated"),
    "is_synthetic": ("示例", "示例数据", "是否示例", "合成数据", "is_synthetic", "synthetic"),
    "note": ("说明", "备注", "note"),
}
SURVEY_REQUIRED = ("name", "year", "capacity", "satisfied_pct", "n")
HOTLINE_REQUIRED = ("name", "year", "requests_received", "requests_closed", "satisfaction_pct")
LABELS = {
    "name": "街道 (street)", "year": "年度 (year)", "capacity": "能力 (capacity)", "satisfied_pct": "满意率 (satisfied_pct)",
    "n": "样本量 (n)", "requests_received": "受理量 (requests_received)", "requests_closed": "办结量 (requests_closed)",
    "satisfaction_pct": "满意率 (satisfaction_pct)", "n_rated": "回访样本量 (n_rated)",
}
SURVEY_COLUMNS = ["street_code", "name_as_written", "year", "capacity", "satisfied_pct", "n", "surveyor", "method",
                  "is_publishable", "not_published_reason", "is_synthetic", "note", "source_file", "source_file_sha256", "source_row"]
HOTLINE_COLUMNS = ["street_code", "name_as_written", "year", "requests_received", "requests_closed", "satisfaction_pct", "n_rated",
                   "is_publishable", "not_published_reason", "is_synthetic", "note", "source_file", "source_file_sha256", "source_row"]
SOURCE_PREFIX = "surveys/"  # raw.load_issue.source_file of survey files starts with it


def _norm_header(h: object) -> str:
    text = normalise_name(str(h)).lower()
    return text.replace("％", "%").replace("（", "(").replace("）", ")").replace(" ", "")


def _lookup(kind: str) -> dict[str, str]:
    """Header -> canonical column for one file shape (满意率 means satisfied_pct in a survey,
    satisfaction_pct in a hotline summary)."""
    skip = {"survey": {"requests_received", "requests_closed", "satisfaction_pct", "n_rated"},
            "hotline": {"capacity", "satisfied_pct", "n", "surveyor", "method"}}[kind]
    return {_norm_header(s): canon for canon, spellings in HEADER_SYNONYMS.items() if canon not in skip for s in spellings}


_CAPACITY_LOOKUP = {normalise_name(s).lower(): code for code, names in CAPACITY_NAMES.items() for s in (code, *names)}


@dataclass
class LoadIssue:
    source_file: str
    source_row: int | None
    severity: str  # error (row or file skipped) | warning (loaded, flagged)
    code: str
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = self.source_file + (f", row {self.source_row}" if self.source_row else "") + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"

    def as_row(self) -> dict:
        """A raw.load_issue row: the column is named in the message."""
        msg = self.message if not self.column else f"column {self.column}: {self.message}"
        return {"source_file": self.source_file, "source_row": self.source_row, "severity": self.severity, "code": self.code, "message": msg}


@dataclass
class SurveyLoad:
    surveys: pd.DataFrame  # SURVEY_COLUMNS (raw.resident_survey)
    hotline: pd.DataFrame  # HOTLINE_COLUMNS (raw.hotline_summary)
    issues: list[LoadIssue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[LoadIssue]:
        return [i for i in self.issues if i.severity == "error"]


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return pd.read_excel(path, dtype=str, header=None, keep_default_na=False)
    text = decode_text(path.read_bytes())
    if text is None:
        raise ValueError("not readable as UTF-8 or GBK/GB18030 text")
    return pd.read_csv(StringIO(text), dtype=str, header=None, keep_default_na=False)


def _number(value: object) -> float | None:
    """The census reader's cell number, with white space allowed before the percent sign ("12 %")."""
    if value is None:
        return None
    return cell_number(re.sub(r"\s+(?=[%％]+\s*$)", "", str(value)))


def _flag(value: object) -> bool:
    return normalise_name(str(value or "")).lower() in ("true", "1", "yes", "y", "是", "合成", "示例", "synthetic", "sample")


def _rate(value: object) -> float | None:
    """A share as a percentage: 86.5, '86.5%' or 0.865 (a value ≤ 1 without % is a fraction)."""
    text = str(value or "").strip()
    v = _number(value)
    if v is None:
        return None
    if "%" not in text and "％" not in text and 0 <= v <= 1 and "." in text:
        return v * 100
    return v


def _integer(value: object) -> float | None:
    v = _number(value)
    if v is not None and v != int(v):
        raise ValueError(f"{value!r} is not a whole number")
    return v


def _find_header(table: pd.DataFrame) -> tuple[int | None, str | None]:
    """The header row and the file shape: the first row with a street column and either shape's columns."""
    fallback = None
    for i in range(min(len(table), 10)):
        cells = [_norm_header(v) for v in table.iloc[i].tolist()]
        hot = {_lookup("hotline").get(c) for c in cells}
        sur = {_lookup("survey").get(c) for c in cells}
        if "name" in sur:
            if "requests_received" in hot or "requests_closed" in hot:
                return i, "hotline"
            if "capacity" in sur or "n" in sur:
                return i, "survey"
            fallback = fallback or (i, None)
    return fallback or (None, None)


def read_survey_file(path: Path, streets: StreetDirectory, display_name: str | None = None,
                     current_year: int | None = None) -> tuple[str | None, pd.DataFrame, list[LoadIssue]]:
    """Read one survey or hotline table (a CSV, or an XLSX's first sheet): (shape, rows, problems).
    Bad rows are reported and skipped."""
    name = display_name or f"{SOURCE_PREFIX}{path.name}"
    try:
        table = _read_table(path)
    except Exception as exc:  # a broken XLSX, an unknown encoding
        return None, pd.DataFrame(), [LoadIssue(name, None, "error", "unreadable", f"cannot be read as a table ({exc.__class__.__name__}: {exc})")]
    return _read_sheet(table, path, name, streets, current_year)


def read_survey_tables(path: Path, streets: StreetDirectory, current_year: int | None = None) -> list[tuple[str | None, pd.DataFrame, list[LoadIssue]]]:
    """Every table of a file: a CSV is one; every sheet of an XLSX with more than one sheet is one
    (named `file.xlsx[sheet]`; a sheet without a survey header is skipped with a warning)."""
    name = f"{SOURCE_PREFIX}{path.name}"
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return [read_survey_file(path, streets, current_year=current_year)]
    try:
        sheets = pd.read_excel(path, dtype=str, header=None, keep_default_na=False, sheet_name=None)
    except Exception as exc:
        return [(None, pd.DataFrame(), [LoadIssue(name, None, "error", "unreadable", f"cannot be read as a table ({exc.__class__.__name__}: {exc})")])]
    sheets = {k: v for k, v in sheets.items() if v.size and (v.astype(str).apply(lambda c: c.str.strip()) != "").any().any()}
    if len(sheets) <= 1:
        table = next(iter(sheets.values())) if sheets else pd.DataFrame()
        return [_read_sheet(table, path, name, streets, current_year)]
    out = []
    for sheet, table in sheets.items():
        kind, df, issues = _read_sheet(table, path, f"{name}[{sheet}]", streets, current_year)
        if kind is None and all(i.code == "missing_column" for i in issues):
            issues = [LoadIssue(f"{name}[{sheet}]", None, "warning", "sheet_skipped",
                                "sheet skipped: no survey or hotline header in it")]
        out.append((kind, df, issues))
    return out


def _read_sheet(table: pd.DataFrame, path: Path, name: str, streets: StreetDirectory,
                current_year: int | None) -> tuple[str | None, pd.DataFrame, list[LoadIssue]]:
    import datetime as dt

    current_year = current_year or dt.date.today().year
    header_row, kind = _find_header(table) if len(table) else (None, None)
    if header_row is None:
        return None, pd.DataFrame(), [LoadIssue(name, 1, "error", "missing_column", "no header row with a street column (街道 street) found", "街道")]
    raw_headers = [str(v) for v in table.iloc[header_row].tolist()]
    if kind is None:
        return None, pd.DataFrame(), [LoadIssue(
            name, header_row + 1, "error", "missing_column",
            "neither a satisfaction survey (needs 能力 capacity, 满意率 satisfied_pct, 样本量 n) nor a 12345 hotline summary "
            f"(needs 受理量 requests_received, 办结量 requests_closed, 满意率 satisfaction_pct); header: {', '.join(raw_headers)}")]
    lookup = _lookup(kind)
    headers = [lookup.get(_norm_header(v)) for v in raw_headers]
    required = SURVEY_REQUIRED if kind == "survey" else HOTLINE_REQUIRED
    missing = [c for c in required if c not in headers]
    if missing:
        return kind, pd.DataFrame(), [
            LoadIssue(name, header_row + 1, "error", "missing_column",
                      f"required column {LABELS[c]} is missing (header: {', '.join(raw_headers)})", LABELS[c])
            for c in missing
        ]
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    synthetic_file = "synthetic" in path.name.lower()
    issues: list[LoadIssue] = []
    records = []
    seen: dict[tuple, int] = {}
    for i in range(header_row + 1, len(table)):
        row_no = i + 1
        cells = {}
        for h, v in zip(headers, table.iloc[i].tolist()):
            if h and h not in cells:
                cells[h] = v
        raw_name = str(cells.get("name") or "").strip()
        if not raw_name or raw_name.lower() == "nan":
            if any(str(v).strip() for v in table.iloc[i].tolist()):
                issues.append(LoadIssue(name, row_no, "error", "missing_value", "the street is empty; row skipped", LABELS["name"]))
            continue
        code = None
        given = str(cells.get("street_code") or "").strip()
        if given and streets.get(given):
            code = given
        if code is None and is_total_row(raw_name, streets):
            continue
        code = code or streets.resolve(raw_name)
        if code is None:
            issues.append(LoadIssue(name, row_no, "error", "unknown_street", f"street name {raw_name!r} matches none of the 74 streets; row skipped", LABELS["name"]))
            continue
        rec: dict = {"street_code": code, "name_as_written": raw_name, "source_file": name, "source_file_sha256": sha,
                     "source_row": row_no, "note": str(cells.get("note") or "").strip() or None,
                     "is_synthetic": synthetic_file or _flag(cells.get("is_synthetic"))}
        problem = _read_row(kind, cells, rec, current_year)
        if problem:
            col, code_, msg = problem
            issues.append(LoadIssue(name, row_no, "error", code_, f"{raw_name}: {msg}; row skipped", LABELS.get(col, col)))
            continue
        key = (code, rec["year"], rec.get("capacity"))
        if key in seen:
            what = f"{rec['year']}" + (f" {rec['capacity']}" if rec.get("capacity") else "")
            issues.append(LoadIssue(name, row_no, "error", "duplicate_row",
                                    f"{raw_name} {what} is already given in row {seen[key]}; row skipped"))
            continue
        seen[key] = row_no
        n = rec["n"] if kind == "survey" else (rec["n_rated"] if rec["n_rated"] is not None else rec["requests_closed"])
        if n < MIN_PUBLISHABLE_N:
            what = "respondents" if kind == "survey" else "rated requests"
            rec["is_publishable"] = False
            rec["not_published_reason"] = f"样本量不足 sample too small: n = {int(n)} {what} < {MIN_PUBLISHABLE_N}"
            issues.append(LoadIssue(name, row_no, "warning", "sample_too_small",
                                    f"{raw_name} {rec['year']}{' ' + rec['capacity'] if kind == 'survey' else ''}: n = {int(n)} < "
                                    f"{MIN_PUBLISHABLE_N}, loaded but not published", LABELS["n" if kind == "survey" else "n_rated"]))
        else:
            rec["is_publishable"] = True
            rec["not_published_reason"] = None
        records.append(rec)
    cols = SURVEY_COLUMNS if kind == "survey" else HOTLINE_COLUMNS
    df = pd.DataFrame.from_records(records, columns=cols)
    for c in ("n", "requests_received", "requests_closed", "n_rated"):
        if c in df:
            df[c] = pd.to_numeric(df[c]).astype("Int64")
    for c in ("satisfied_pct", "satisfaction_pct"):
        if c in df:
            df[c] = pd.to_numeric(df[c]).astype("float64")
    if len(df):
        df["year"] = df["year"].astype("int64")
    return kind, df, issues


def _read_row(kind: str, cells: dict, rec: dict, current_year: int) -> tuple[str, str, str] | None:
    """Fill rec from the cells; (column, code, reason) of the first problem, or None."""
    try:
        year = _integer(cells.get("year"))
    except ValueError as exc:
        return "year", "not_a_number", str(exc)
    if year is None:
        return "year", "missing_value", "the year is empty"
    if not 2000 <= year <= current_year:
        return "year", "out_of_range", f"year {int(year)} is outside 2000–{current_year}"
    rec["year"] = int(year)
    if kind == "survey":
        cap_text = normalise_name(str(cells.get("capacity") or "")).lower()
        cap = _CAPACITY_LOOKUP.get(cap_text) or _CAPACITY_LOOKUP.get(cap_text.upper().lower())
        if not cap:
            return "capacity", "unknown_capacity", (f"capacity {cells.get('capacity')!r} is none of EXE SRV DLB EMG SAF "
                                                    "(or their Chinese names) nor 总体 ALL")
        rec["capacity"] = cap
        for col, parse in (("satisfied_pct", _rate), ("n", _integer)):
            try:
                rec[col] = parse(cells.get(col))
            except ValueError as exc:
                return col, "not_a_number", str(exc)
            if rec[col] is None:
                return col, "missing_value", f"{LABELS[col]} is empty"
        if not 0 <= rec["satisfied_pct"] <= 100:
            return "satisfied_pct", "impossible_rate", f"a satisfied share must be within 0–100%, got {rec['satisfied_pct']:g}"
        if rec["n"] <= 0:
            return "n", "out_of_range", f"the sample size must be positive, got {rec['n']:g}"
        rec["surveyor"] = str(cells.get("surveyor") or "").strip() or None
        rec["method"] = str(cells.get("method") or "").strip() or None
        return None
    for col, parse in (("requests_received", _integer), ("requests_closed", _integer), ("satisfaction_pct", _rate), ("n_rated", _integer)):
        try:
            rec[col] = parse(cells.get(col))
        except ValueError as exc:
            return col, "not_a_number", str(exc)
        if rec[col] is None and col != "n_rated":
            return col, "missing_value", f"{LABELS[col]} is empty"
    for col in ("requests_received", "requests_closed", "n_rated"):
        if rec[col] is not None and rec[col] < 0:
            return col, "out_of_range", f"{LABELS[col]} must not be negative, got {rec[col]:g}"
    if rec["requests_closed"] > rec["requests_received"]:
        return "requests_closed", "impossible_rate", (f"more requests closed ({rec['requests_closed']:g}) than received "
                                                      f"({rec['requests_received']:g})")
    if not 0 <= rec["satisfaction_pct"] <= 100:
        return "satisfaction_pct", "impossible_rate", f"a satisfaction rate must be within 0–100%, got {rec['satisfaction_pct']:g}"
    if rec["n_rated"] is not None and rec["n_rated"] > rec["requests_closed"]:
        return "n_rated", "impossible_rate", (f"more requests rated ({rec['n_rated']:g}) than closed ({rec['requests_closed']:g})")
    if rec["n_rated"] is None and rec["requests_closed"] <= 0:
        return "requests_closed", "out_of_range", "no request closed and no 回访样本量 n_rated: the satisfaction rate rests on nobody"
    if rec["n_rated"] is not None and rec["n_rated"] <= 0:
        return "n_rated", "out_of_range", "n_rated must be positive"
    return None


def load_survey_dir(directory: Path, streets: StreetDirectory | None = None, current_year: int | None = None) -> SurveyLoad:
    """Every survey and hotline file in `directory` (none, or no folder, is fine: no resident data).

    Never raises for bad content: every problem is in `issues` (errors: the row or file skipped)."""
    streets = streets or StreetDirectory.load()
    directory = Path(directory)
    surveys, hotline, issues, files = [], [], [], []
    if directory.is_dir():
        paths = sorted(p for p in directory.iterdir() if p.is_file() and not p.is_symlink() and not p.name.startswith((".", "~$"))
                       and p.suffix.lower() in (".csv", ".xlsx", ".xlsm"))
        for path in paths:
            for kind, df, found in read_survey_tables(path, streets, current_year=current_year):
                issues.extend(found)
                if len(df):
                    if path.name not in files:
                        files.append(path.name)
                    (surveys if kind == "survey" else hotline).append(df)
    # the same street-year-capacity in two files: the later file's rows are skipped, named
    survey_df = _dedupe(surveys, SURVEY_COLUMNS, ["street_code", "year", "capacity"], issues)
    hotline_df = _dedupe(hotline, HOTLINE_COLUMNS, ["street_code", "year"], issues)
    return SurveyLoad(surveys=survey_df, hotline=hotline_df, issues=issues, files=files)


def _dedupe(frames: list[pd.DataFrame], columns: list[str], key: list[str], issues: list[LoadIssue]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=columns)
    df = pd.concat(frames, ignore_index=True)
    dup = df.duplicated(key, keep="first")
    for r in df[dup].itertuples():
        first = df[(df[key] == pd.Series({k: getattr(r, k) for k in key})).all(axis=1)].iloc[0]
        issues.append(LoadIssue(r.source_file, int(r.source_row), "error", "duplicate_row",
                                f"{r.name_as_written} {r.year}{' ' + r.capacity if 'capacity' in key else ''} is already given in "
                                f"{first.source_file} row {first.source_row}; row skipped"))
    return df[~dup].reset_index(drop=True)


def moe(p_pct: float, n: int, population: int | None = None) -> float:
    """The 95% margin of error of a satisfied share in percentage points: 1.96·sqrt(p(1−p)/n)·100,
    times the finite-population correction sqrt((N−n)/(N−1)) when the population N is given.
    The same formula as dbt's fct_resident_score (the test compares them)."""
    import math

    p = p_pct / 100.0
    m = 1.96 * math.sqrt(p * (1 - p) / n) * 100
    if population is not None and population > 1:
        m *= math.sqrt(max(population - n, 0) / (population - 1))
    return m
