"""The ranking files: CSV (UTF-8 with BOM, so Excel reads the Chinese), Parquet and a formatted XLSX.

Every XLSX sheet has a Chinese header row and the English column name in a second header row,
frozen panes, filters and widths; the methodology sheet says the framework and the weights.
Whether a release changed is decided on the inputs (YearData.fingerprint), not on these bytes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from jinchengtuo.publication.data import CAPACITIES, YearData

# Chinese labels of the published columns (English names are the column names themselves)
LABELS_ZH = {
    "year": "年度", "street_code": "街道代码", "street_name": "街道", "district_name": "区",
    "composite_score": "综合得分", "rank": "排名", "tier": "梯队", "score_EXE": "行政执行能力",
    "score_SRV": "为民服务能力", "score_DLB": "议事协商能力", "score_EMG": "应急管理能力", "score_SAF": "平安建设能力",
    "rank_change": "名次变化", "methodology_version": "方法版本", "capacity": "能力维度", "capacity_name_zh": "能力名称",
    "score": "得分", "n_ranked": "参评街道数", "capacity_weight": "能力权重", "composite_contribution": "对综合得分贡献",
    "n_indicators_counted": "计分指标数", "n_indicators_imputed": "插补指标数", "indicator_id": "指标代码",
    "indicator_name_zh": "指标名称", "indicator_name_en": "Indicator", "raw_value": "原始值", "is_imputed": "是否插补",
    "imputation_method": "插补方法", "imputed_from_year": "插补来源年度", "is_treated": "是否异常值处理",
    "normalised_value": "标准化值", "weight": "权重", "counts_in_score": "是否计分", "source_documents": "来源文件",
    "doc_type": "文件类型", "file_name": "文件名", "source_path": "路径", "status": "状态", "reason": "原因",
    "source_file_sha256": "SHA-256", "n_values": "提取数值数", "n_errors": "错误数", "n_warnings": "警告数",
    "is_correction": "是否更正版", "is_misfiled": "是否错放", "published_date": "发布日期", "title": "标题",
    "check_name": "检查项", "table_name": "数据表", "severity": "严重程度", "passed": "是否通过", "failing_rows": "不合格行数",
    "sample": "样例", "failed_expectations": "未通过的期望", "checked_at": "检查时间", "name_zh": "名称", "name_en": "Name", "direction": "方向",
    "weight_in_capacity": "维度内权重", "formula": "公式", "unit": "单位", "rationale": "理由", "description_zh": "说明",
    "is_scored": "是否计分", "rank_status": "排名状态", "rank_in_district": "区内排名", "data_coverage": "数据覆盖率",
    "item": "项目", "value": "内容", "rank_note": "排名说明", "n_imputed": "插补指标数", "release_status": "发布状态",
    "is_sample_data": "是否示例数据", "n_errors_failed": "未通过(错误)", "n_warnings_failed": "未通过(警告)", "n_results": "检查结果数",
    "verification": "核验结果", "checks_passed": "核验通过数", "checks_failed": "核验未通过数", "issuer_name": "发文单位",
    "direction_label": "方向说明", "goalpost_low": "目标值下限", "goalpost_high": "目标值上限", "goalpost_basis": "目标值依据",
    "is_included": "本年是否计入", "coverage": "覆盖率", "base_weight": "本年维度内权重", "step": "步骤", "option": "参数",
    "is_default": "是否默认", "default_value": "默认值", "description": "说明",
    # columns the report chapters add to the ranking (publication/chapters)
    "rank_p05": "排名区间下限(p05)", "rank_p95": "排名区间上限(p95)", "rank_change_significant": "名次变化是否显著",
    "demand_index": "治理需求指数", "staff_expected": "按需求应有人员", "staff_gap": "人员缺口", "staff_flag": "人员配置判断",
    "spending_expected": "按需求应有支出(万元)", "spending_gap": "支出缺口(万元)", "spending_flag": "支出配置判断",
}

DIRECTION_LABELS = {1: "越高越好 higher is better", -1: "越低越好 lower is better", 0: "背景 context"}


def goalposts_frame(data: YearData) -> pd.DataFrame:
    """Per scored indicator: unit, direction and the year's goalposts (marts.fct_indicator_year:
    scale_low / scale_high / scale_basis; for z-scores the year's mean and sd), so a reader sees
    why a small raw gap can become a large score gap."""
    ind = data.dim_indicator
    if "is_scored" in ind:
        ind = ind[ind["is_scored"] == True]  # noqa: E712
    else:
        ind = ind[ind["capacity"] != "CTX"]
    cols = [c for c in ("indicator_id", "capacity", "name_zh", "name_en", "unit", "direction", "formula") if c in ind]
    out = ind[cols].copy()
    if "direction" in out:
        out["direction_label"] = out["direction"].map(lambda d: DIRECTION_LABELS.get(int(d), "") if pd.notna(d) else "")
    iy = data.indicator_year
    if iy is not None and len(iy):
        g = iy[["indicator_id", "scale_low", "scale_high", "scale_basis", "is_included", "coverage", "base_weight"]].rename(
            columns={"scale_low": "goalpost_low", "scale_high": "goalpost_high", "scale_basis": "goalpost_basis"})
        out = out.merge(g, on="indicator_id", how="left")
    else:
        out = out.assign(goalpost_low=None, goalpost_high=None, goalpost_basis=None, is_included=None, coverage=None, base_weight=None)
    return out.reset_index(drop=True)


def method_options_frame(data: YearData) -> pd.DataFrame:
    """marts.dim_methodology: every scoring option of the build with its value."""
    m = data.methodology
    cols = ["step", "option", "value", "default_value", "is_default", "label_zh", "label_en", "description"]
    if m is None or not len(m):
        return pd.DataFrame(columns=cols)
    return m[[c for c in cols if c in m]].reset_index(drop=True)

HEADER_FILL = PatternFill("solid", fgColor="8B1A1A")
SUB_FILL = PatternFill("solid", fgColor="F3E3E3")
THIN = Side(style="thin", color="BBBBBB")
FIXED_TIME = dt.datetime(2000, 1, 1)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    df.to_parquet(path, index=False)


def _cell_value(v):
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        return str(v)
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return pd.Timestamp(v).to_pydatetime().replace(tzinfo=None)
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, (list, tuple, dict)):
        return str(v)
    return v


def _sheet(wb: Workbook, title: str, df: pd.DataFrame, *, title_zh: str, number_formats: dict[str, str] | None = None) -> None:
    ws = wb.create_sheet(title)
    cols = list(df.columns)
    ws.append([LABELS_ZH.get(c, c) for c in cols])
    ws.append(cols)
    for r in df.itertuples(index=False):
        ws.append([_cell_value(v) for v in r])
    for j, c in enumerate(cols, start=1):
        h = ws.cell(row=1, column=j)
        h.font, h.fill, h.alignment = Font(bold=True, color="FFFFFF"), HEADER_FILL, Alignment(horizontal="center", wrap_text=True)
        e = ws.cell(row=2, column=j)
        e.font, e.fill = Font(italic=True, color="555555", size=9), SUB_FILL
        e.border = Border(bottom=THIN)
        width = max([len(str(LABELS_ZH.get(c, c))) * 2, len(c)] + [len(str(v)) for v in df[c].head(200).tolist()] + [6])
        ws.column_dimensions[get_column_letter(j)].width = min(60, width + 2)
        fmt = (number_formats or {}).get(c)
        if fmt is None and len(df) and pd.api.types.is_float_dtype(df[c]):
            fmt = "0.00"
        if fmt:
            for row in ws.iter_rows(min_row=3, min_col=j, max_col=j):
                row[0].number_format = fmt
    ws.freeze_panes = "A3"
    if cols:
        ws.auto_filter.ref = f"A2:{get_column_letter(len(cols))}{max(2, len(df) + 2)}"
    ws.sheet_properties.tabColor = "8B1A1A"
    ws.title = title
    ws.oddHeader.center.text = title_zh


def quality_summary(data: YearData) -> pd.DataFrame:
    if data.quality is None:
        return pd.DataFrame([{"check_name": "—", "table_name": "—", "severity": "—", "passed": None,
                              "failing_rows": None, "sample": "数据质量检查未运行 (not run)"}])
    cols = [c for c in ["check_name", "table_name", "severity", "passed", "n_errors_failed", "n_warnings_failed", "failing_rows",
                        "failed_expectations", "sample", "checked_at"] if c in data.quality]
    return data.quality[cols]


def methodology_sheet(data: YearData) -> pd.DataFrame:
    rows = [
        {"item": "方法版本 methodology_version", "value": data.methodology_version},
        {"item": "年度 year", "value": data.year},
        {"item": "发布状态 release_status", "value": ("排名 ranking" if not data.is_provisional else "暂定 provisional")
                                                   + (f": {data.release.get('release_reason')}" if data.release.get("release_reason") else "")},
        {"item": "示例数据 sample data", "value": ("示例数据 SAMPLE DATA: " + str(data.inputs.get("synthetic_inputs") or ""))
                                               if data.is_sample else "否 no: every input is real"},
        {"item": "标准化 normalisation", "value": ", ".join(sorted(set(data.composite["normalisation"].dropna())))},
        {"item": "权重方法 weighting", "value": ", ".join(sorted(set(data.composite["weighting"].dropna())))},
        {"item": "合成方法 aggregation", "value": ", ".join(sorted(set(data.composite["aggregation"].dropna())))},
        {"item": "综合得分 composite", "value": "Σ 能力权重 × 能力得分 (weighted arithmetic by default); 能力得分 = Σ 指标权重 × 标准化值"},
        {"item": "梯队 tiers", "value": "第一至第五梯队: rank percentiles 20/40/60/80/100 of the ranked streets"},
    ]
    for r in method_options_frame(data).to_dict("records"):  # the full option set of the build (marts.dim_methodology)
        rows.append({"item": f"参数 option {r['step']}: {r['option']} {r.get('label_zh') or ''}",
                     "value": f"{r['value']}" + ("" if r["is_default"] else f" (默认 default {r.get('default_value')})")})
    for v in data.vintages[:-1]:  # earlier method vintages, kept downloadable
        rows.append({"item": f"早期方法版本 earlier vintage {v['vintage']}", "value": f"{v['methodology_version']}: {v['path']}"})
    for r in data.dim_capacity.itertuples():
        rows.append({"item": f"{r.capacity} {r.name_zh} {r.name_en}", "value": f"weight {r.weight:g}"})
    for k in ("min_ranked_share", "min_indicator_share", "min_capacities"):
        if k in data.release:
            rows.append({"item": f"年度门槛 year gate {k}", "value": f"{data.release[k]:g}"})
    return pd.DataFrame(rows)


def write_xlsx(data: YearData, path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    sample = " · 示例数据 SAMPLE DATA" if data.is_sample else ""
    provisional = " · 暂定 PROVISIONAL" if data.is_provisional else ""
    _sheet(wb, "ranking", data.ranking, title_zh="街道治理能力观评榜 ranking" + provisional + sample)
    cap_cols = ["street_code", "capacity", "capacity_name_zh", "score", "rank", "n_ranked", "capacity_weight",
                "composite_contribution", "n_indicators_counted", "n_indicators_imputed", "methodology_version"]
    cap = data.capacity[[c for c in cap_cols if c in data.capacity]].merge(
        data.streets[["street_code", "street_name", "district_name"]], on="street_code", how="left")
    cap = cap[["street_code", "street_name", "district_name", *[c for c in cap_cols[1:] if c in cap]]]
    _sheet(wb, "capacity_scores", cap, title_zh="能力得分 capacity scores" + provisional + sample)
    ind_cols = ["street_code", "indicator_id", "capacity", "indicator_name_zh", "indicator_name_en", "raw_value", "is_imputed",
                "imputation_method", "imputed_from_year", "is_treated", "normalised_value", "weight", "counts_in_score",
                "source_documents", "methodology_version"]
    _sheet(wb, "indicator_values", data.indicators[[c for c in ind_cols if c in data.indicators]],
           title_zh="指标值（含插补标记） indicator values with imputation flags" + provisional + sample, number_formats={"raw_value": "0.####"})
    inv_cols = ["street_code", "street_name", "district_name", "doc_type", "file_name", "source_path", "status", "reason",
                "is_correction", "is_misfiled", "n_values", "n_errors", "n_warnings", "verification", "checks_passed", "checks_failed",
                "issuer_name", "published_date", "source_file_sha256"]
    _sheet(wb, "document_inventory", data.inventory[[c for c in inv_cols if c in data.inventory]], title_zh="文件清单 document inventory" + provisional + sample)
    _sheet(wb, "data_quality", quality_summary(data), title_zh="数据质量 data quality" + provisional + sample)
    _sheet(wb, "methodology", methodology_sheet(data), title_zh="方法说明 methodology" + provisional + sample)
    fw_cols = ["indicator_id", "capacity", "name_zh", "name_en", "unit", "direction", "direction_label", "goalpost_low",
               "goalpost_high", "goalpost_basis", "is_included", "coverage", "base_weight", "weight", "weight_in_capacity",
               "is_scored", "formula", "rationale", "methodology_version"]
    fw = data.dim_indicator.copy()
    if "direction" in fw:
        fw["direction_label"] = fw["direction"].map(lambda d: DIRECTION_LABELS.get(int(d), "") if pd.notna(d) else "")
    gp = goalposts_frame(data)
    fw = fw.merge(gp[[c for c in ("indicator_id", "goalpost_low", "goalpost_high", "goalpost_basis", "is_included", "coverage",
                                  "base_weight") if c in gp]], on="indicator_id", how="left")
    # unit, direction and the year's goalposts beside each indicator (fct_indicator_year)
    _sheet(wb, "framework", fw[[c for c in fw_cols if c in fw]],
           title_zh="指标体系（单位、方向、目标值） indicator framework with units, directions and goalposts" + provisional + sample,
           number_formats={"goalpost_low": "0.####", "goalpost_high": "0.####"})
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "jinchengtuo"
    wb.save(path)
