"""Final accounts (部门决算) and budgets (部门预算): figures from tables, staff from prose, checks."""

from __future__ import annotations

import pytest

from jinchengtuo.documents import extract_file
from jinchengtuo.documents.finance import extract_finance, layout
from jinchengtuo.documents.grids import Grid
from jinchengtuo.reference import StreetDirectory


@pytest.fixture(scope="module")
def streets():
    return StreetDirectory.load()


def grid(caption, rows, unit="万元", index=1, page=1, row_pages=None):
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    return Grid(index, rows, page, caption, unit, row_pages or [page] * len(rows))


def by_field(values):
    got = {}
    for v in values:
        assert v["field_id"] not in got, f"{v['field_id']} emitted twice"
        got[v["field_id"]] = v
    return got


def codes(issues, code):
    return [i for i in issues if i["code"] == code]


# ------------------------------------------------------------------ real-shaped HTML documents

FA_YUAN = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>深圳市福田区园岭街道办事处2022年度部门决算</title></head><body>
<h1>深圳市福田区园岭街道办事处2022年度部门决算</h1>
<h2>第一部分 部门概况</h2>
<p>一、部门职责 园岭街道办事处是福田区人民政府的派出机关。</p>
<p>二、机构设置及人员情况 本单位核定行政编制68名、事业编制38名；年末实有人数97人（行政87人、事业10人）；编外聘用人员/聘员240名。2021年末实有人数95人。</p>
<h2>第二部分 2022年度部门决算表</h2>
<p>收入支出决算总表</p><p>单位：元</p>
<table border="1">
<tr><td colspan="2">收入</td><td colspan="2">支出</td></tr>
<tr><td>项目</td><td>决算数</td><td>项目</td><td>决算数</td></tr>
<tr><td>一、一般公共预算财政拨款收入</td><td>118,000,000.00</td><td>一、一般公共服务支出</td><td>45,678,900.00</td></tr>
<tr><td>二、政府性基金预算财政拨款收入</td><td>5,000,000.00</td><td>二、社会保障和就业支出</td><td>12,345,600.50</td></tr>
<tr><td></td><td></td><td>三、城乡社区支出</td><td>60,000,000.00</td></tr>
<tr><td></td><td></td><td>四、住房保障支出</td><td>4,975,499.50</td></tr>
<tr><td>本年收入合计</td><td>123,000,000.00</td><td>本年支出合计</td><td>123,000,000.00</td></tr>
<tr><td>年初结转和结余</td><td>1,000,000.00</td><td>年末结转和结余</td><td>1,000,000.00</td></tr>
<tr><td>总计</td><td>124,000,000.00</td><td>总计</td><td>124,000,000.00</td></tr>
</table>
<p>支出决算表</p><p>单位：元</p>
<table border="1">
<tr><td>项目</td><td>本年支出合计</td><td>基本支出</td><td>项目支出</td></tr>
<tr><td>栏次</td><td>1</td><td>2</td><td>3</td></tr>
<tr><td>合计</td><td>123,000,000.00</td><td>44,975,499.50</td><td>78,024,500.50</td></tr>
<tr><td>201 一般公共服务支出</td><td>45,678,900.00</td><td>30,000,000.00</td><td>15,678,900.00</td></tr>
<tr><td>20103 政府办公厅（室）及相关机构事务</td><td>45,678,900.00</td><td>30,000,000.00</td><td>15,678,900.00</td></tr>
<tr><td>2010301 行政运行</td><td>30,000,000.00</td><td>30,000,000.00</td><td>-</td></tr>
<tr><td>2010302 一般行政管理事务</td><td>15,678,900.00</td><td>-</td><td>15,678,900.00</td></tr>
<tr><td>208 社会保障和就业支出</td><td>12,345,600.50</td><td>10,000,000.00</td><td>2,345,600.50</td></tr>
<tr><td>20805 行政事业单位养老支出</td><td>10,000,000.00</td><td>10,000,000.00</td><td></td></tr>
<tr><td>212 城乡社区支出</td><td>60,000,000.00</td><td>-</td><td>60,000,000.00</td></tr>
<tr><td>221 住房保障支出</td><td>4,975,499.50</td><td>4,975,499.50</td><td>-</td></tr>
</table>
<p>一般公共预算财政拨款支出决算表</p><p>单位：元</p>
<table border="1">
<tr><td rowspan="2">项目</td><td colspan="3">年初预算数</td><td colspan="3">决算数</td></tr>
<tr><td>合计</td><td>基本支出</td><td>项目支出</td><td>合计</td><td>基本支出</td><td>项目支出</td></tr>
<tr><td>合计</td><td>110,000,000.00</td><td>44,000,000.00</td><td>66,000,000.00</td><td>118,000,000.00</td><td>44,975,499.50</td><td>73,024,500.50</td></tr>
<tr><td>201 一般公共服务支出</td><td>40,000,000.00</td><td>30,000,000.00</td><td>10,000,000.00</td><td>45,678,900.00</td><td>30,000,000.00</td><td>15,678,900.00</td></tr>
</table>
<p>一般公共预算财政拨款"三公"经费支出决算表</p><p>单位：元</p>
<table border="1">
<tr><td colspan="6">预算数</td><td colspan="6">决算数</td></tr>
<tr><td rowspan="2">合计</td><td rowspan="2">因公出国（境）费</td><td colspan="3">公务用车购置及运行费</td><td rowspan="2">公务接待费</td>
    <td rowspan="2">合计</td><td rowspan="2">因公出国（境）费</td><td colspan="3">公务用车购置及运行费</td><td rowspan="2">公务接待费</td></tr>
<tr><td>小计</td><td>公务用车购置费</td><td>公务用车运行费</td><td>小计</td><td>公务用车购置费</td><td>公务用车运行费</td></tr>
<tr><td>300,000.00</td><td>-</td><td>250,000.00</td><td>-</td><td>250,000.00</td><td>50,000.00</td>
    <td>256,789.00</td><td>-</td><td>230,000.00</td><td>-</td><td>230,000.00</td><td>26,789.00</td></tr>
</table>
<h2>第三部分 2022年度部门决算情况说明</h2>
<p>一、收入支出决算总体情况说明：2022年度支出总计12,400万元，比上年（2021年）的11,000万元增加1,400万元。</p>
</body></html>"""

FA_WANYUAN = """<!DOCTYPE html><html><head><meta charset="gb2312">
<title>深圳市福田区南园街道办事处2021年度部门决算</title></head><body>
<h1>深圳市福田区南园街道办事处2021年度部门决算</h1>
<h2>第一部分 部门概况</h2>
<p>本单位核定编制80名，其中行政编制50名、事业编制30名；年末在职人数75人，比上年（2020年）的72人增加3人；政府购买服务人员150人。</p>
<h2>第二部分 决算表</h2>
<p>部门收支决算总表</p><p>金额单位：万元</p>
<table border="1">
<tr><td>收入项目</td><td>行次</td><td>金额</td><td>支出项目</td><td>行次</td><td>金额</td></tr>
<tr><td>一、一般公共预算财政拨款收入</td><td>1</td><td>9,800.00</td><td>一、一般公共服务支出</td><td>31</td><td>3,210.55</td></tr>
<tr><td>本年收入合计</td><td>20</td><td>9,900.00</td><td>本年支出合计</td><td>50</td><td>9,876.54</td></tr>
<tr><td>年初结转和结余</td><td>21</td><td>-</td><td>年末结转和结余</td><td>51</td><td>23.46</td></tr>
<tr><td>总计</td><td>22</td><td>9,900.00</td><td>总计</td><td>52</td><td>9,900.00</td></tr>
</table>
<p>支出决算表</p><p>金额单位：万元</p>
<table border="1">
<tr><td colspan="2">项目</td><td rowspan="2">本年支出合计</td><td rowspan="2">基本支出</td><td rowspan="2">项目支出</td></tr>
<tr><td>科目编码</td><td>科目名称</td></tr>
<tr><td>212</td><td>城乡社区支出</td><td>4,000.00</td><td>-</td><td>4,000.00</td></tr>
<tr><td>21201</td><td>城乡社区管理事务</td><td>4,000.00</td><td>-</td><td>4,000.00</td></tr>
<tr><td>201</td><td>一般公共服务支出</td><td>３，２１０．５５</td><td>2,500.00</td><td>710.55</td></tr>
<tr><td>20103</td><td>政府办公厅（室）及相关机构事务</td><td>3,210.55</td><td>2,500.00</td><td>710.55</td></tr>
<tr><td colspan="2">项目</td><td>本年支出合计</td><td>基本支出</td><td>项目支出</td></tr>
<tr><td>224</td><td>灾害防治及应急管理支出</td><td>1,665.99</td><td>265.99</td><td>1,400.00</td></tr>
<tr><td>208</td><td>社会保障和就业支出</td><td>1,000.00</td><td>900.00</td><td>100.00</td></tr>
<tr><td colspan="2">合计</td><td>9,876.54</td><td>3,665.99</td><td>6,210.55</td></tr>
</table>
<p>一般公共预算财政拨款支出决算表</p><p>金额单位：万元</p>
<table border="1">
<tr><td rowspan="2">科目编码</td><td rowspan="2">科目名称</td><td rowspan="2">年初预算数</td><td rowspan="2">全年预算数</td><td colspan="3">决算数</td></tr>
<tr><td>合计</td><td>基本支出</td><td>项目支出</td></tr>
<tr><td colspan="2">合计</td><td>9,500.00</td><td>9,900.00</td><td>9,776.54</td><td>3,665.99</td><td>6,110.55</td></tr>
</table>
<p>“三公”经费支出决算表</p><p>单位：万元</p>
<table border="1">
<tr><td>项目</td><td>年初预算数</td><td>决算数</td></tr>
<tr><td>合计</td><td>30.00</td><td>21.50</td></tr>
<tr><td>1.因公出国（境）费</td><td>-</td><td>-</td></tr>
<tr><td>2.公务用车购置及运行费</td><td>25.00</td><td>18.00</td></tr>
<tr><td>其中：公务用车购置费</td><td>-</td><td>-</td></tr>
<tr><td>公务用车运行费</td><td>25.00</td><td>18.00</td></tr>
<tr><td>3.公务接待费</td><td>5.00</td><td>3.50</td></tr>
</table>
</body></html>"""

BUDGET = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>深圳市福田区华富街道办事处2023年部门预算</title></head><body>
<h1>深圳市福田区华富街道办事处2023年部门预算</h1>
<p>部门收支总表</p><p>单位：万元</p>
<table border="1">
<tr><td colspan="2">收入</td><td colspan="2">支出</td></tr>
<tr><td>项目</td><td>预算数</td><td>项目</td><td>预算数</td></tr>
<tr><td>一般公共预算拨款</td><td>8,000.00</td><td>一般公共服务支出</td><td>3,000.00</td></tr>
<tr><td>政府性基金预算拨款</td><td>500.00</td><td>城乡社区支出</td><td>5,500.00</td></tr>
<tr><td>收入总计</td><td>8,500.00</td><td>支出总计</td><td>8,500.00</td></tr>
</table>
<p>支出预算表</p><p>单位：万元</p>
<table border="1">
<tr><td>科目编码</td><td>科目名称</td><td>合计</td><td>基本支出</td><td>项目支出</td></tr>
<tr><td></td><td>合计</td><td>8,500.00</td><td>2,800.00</td><td>5,700.00</td></tr>
<tr><td>201</td><td>一般公共服务支出</td><td>3,000.00</td><td>2,800.00</td><td>200.00</td></tr>
<tr><td>20101</td><td>人大事务</td><td>100.00</td><td>100.00</td><td></td></tr>
<tr><td>212</td><td>城乡社区支出</td><td>5,500.00</td><td></td><td>5,500.00</td></tr>
</table>
<p>一般公共预算支出表</p><p>单位：万元</p>
<table border="1">
<tr><td>科目编码</td><td>科目名称</td><td>合计</td><td>基本支出</td><td>项目支出</td></tr>
<tr><td></td><td>合计</td><td>8,000.00</td><td>2,800.00</td><td>5,200.00</td></tr>
</table>
<p>一般公共预算“三公”经费支出预算表</p><p>单位：万元</p>
<table border="1">
<tr><td>合计</td><td>因公出国（境）费</td><td>公务用车购置及运行费</td><td>公务接待费</td></tr>
<tr><td>20.00</td><td>0.00</td><td>15.00</td><td>5.00</td></tr>
</table>
</body></html>"""


def _write(tmp_path, rel, text, encoding="utf-8"):
    root = tmp_path / "documents"
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return root, path


def test_final_accounts_in_yuan_with_codes_in_the_name_column(tmp_path, streets):
    root, path = _write(tmp_path, "2022/福田区/园岭街道/2022年度部门决算.html", FA_YUAN)
    r = extract_file(path, documents_root=root, streets=streets)
    assert (r.doc_type, r.street_code, r.year) == ("final_accounts", "440304002", 2022)
    assert r.status == "extracted", r.reason
    got = by_field(r.values)
    expected = {
        "fa_total_expenditure": 12300.0,  # 本年支出合计, not 总计 12,400
        "fa_basic_expenditure": 4497.54995, "fa_project_expenditure": 7802.45005,
        "fa_exp_201": 4567.89, "fa_exp_208": 1234.56005, "fa_exp_212": 6000.0, "fa_exp_221": 497.54995,
        "fa_gpb_initial_budget": 11000.0, "fa_gpb_expenditure": 11800.0,
        "fa_three_public_total": 25.6789, "fa_three_public_travel": 0.0,
        "fa_three_public_vehicles": 23.0, "fa_three_public_reception": 2.6789,
        "fa_authorized_posts": 106, "fa_actual_staff": 97, "fa_contract_staff": 240,
    }
    assert {k: v["value"] for k, v in got.items()} == expected  # exact: 元 → 万元 keeps every digit
    assert all(got[f]["unit"] == "万元" for f in expected if not f.startswith(("fa_auth", "fa_act", "fa_con")))
    assert got["fa_actual_staff"]["unit"] == "人" and got["fa_actual_staff"]["method"] == "prose"
    assert got["fa_exp_201"]["method"] == "table"
    assert got["fa_exp_201"]["source_text"] == "支出决算表: 201 一般公共服务支出 | 45,678,900.00 | 30,000,000.00 | 15,678,900.00"
    assert got["fa_total_expenditure"]["source_page"] == 2  # the HTML section of the 决算表
    assert "fa_exp_204" not in got  # an absent class is no spending, and no value
    assert not codes(r.issues, "identity_failed") and not codes(r.issues, "conflicting_values")
    assert any(i["code"] == "posts_summed" for i in r.issues)


def test_final_accounts_in_wanyuan_with_a_code_column_and_checks(tmp_path, streets):
    root, path = _write(tmp_path, "2021/福田区/南园街道/决算.html", FA_WANYUAN, "gbk")
    r = extract_file(path, documents_root=root, streets=streets)
    assert (r.street_code, r.year, r.status) == ("440304001", 2021, "extracted"), r.reason
    got = {v["field_id"]: v["value"] for v in r.values}
    assert got["fa_total_expenditure"] == 9876.54  # 合计 at the end of the table
    assert (got["fa_basic_expenditure"], got["fa_project_expenditure"]) == (3665.99, 6210.55)
    assert (got["fa_exp_201"], got["fa_exp_212"], got["fa_exp_224"], got["fa_exp_208"]) == (3210.55, 4000.0, 1665.99, 1000.0)
    assert (got["fa_gpb_initial_budget"], got["fa_gpb_expenditure"]) == (9500.0, 9776.54)  # not 全年预算数
    assert got["fa_three_public_total"] == 21.5 and got["fa_three_public_travel"] == 0
    assert (got["fa_three_public_vehicles"], got["fa_three_public_reception"]) == (18.0, 3.5)
    # staff: the total of posts is stated; last year's 72 is a distractor
    assert (got["fa_authorized_posts"], got["fa_actual_staff"], got["fa_contract_staff"]) == (80, 75, 150)
    assert not codes(r.issues, "identity_failed"), codes(r.issues, "identity_failed")


def test_budget_document(tmp_path, streets):
    root, path = _write(tmp_path, "2023/福田区/华富街道/2023年部门预算.html", BUDGET)
    r = extract_file(path, documents_root=root, streets=streets)
    assert (r.doc_type, r.street_code, r.year, r.status) == ("budget", "440304009", 2023, "extracted"), r.reason
    got = {v["field_id"]: v["value"] for v in r.values}
    assert got == {"bu_total_expenditure": 8500.0, "bu_gpb_expenditure": 8000.0, "bu_exp_201": 3000.0,
                   "bu_exp_212": 5500.0, "bu_three_public_total": 20.0}
    assert not [i for i in r.issues if i["severity"] == "warning"], r.issues


def test_missing_three_public_table_makes_the_document_partial(tmp_path, streets):
    start = FA_YUAN.index('<p>一般公共预算财政拨款"三公"')
    end = FA_YUAN.index("<h2>第三部分")
    root, path = _write(tmp_path, "2022/福田区/园岭街道/决算.html", FA_YUAN[:start] + FA_YUAN[end:])
    r = extract_file(path, documents_root=root, streets=streets)
    assert r.status == "partial"
    assert "required field(s) not found: fa_three_public_total" in r.reason
    assert any(i["code"] == "missing_required" and "fa_three_public_total" in i["message"] for i in r.issues)
    assert "fa_total_expenditure" in {v["field_id"] for v in r.values}


def test_a_text_file_of_final_accounts_keeps_its_staff_and_says_why_it_is_partial(tmp_path, streets):
    text = "深圳市福田区园岭街道办事处2022年度部门决算\n本单位核定编制106名；年末实有人数97人。\n"
    root, path = _write(tmp_path, "2022/福田区/园岭街道/决算.txt", text)
    r = extract_file(path, documents_root=root, streets=streets)
    assert r.status == "partial" and "has no tables" in r.reason and "fa_total_expenditure" in r.reason
    assert {v["field_id"]: v["value"] for v in r.values} == {"fa_authorized_posts": 106, "fa_actual_staff": 97}


# ------------------------------------------------------------------ hand-built grids


def test_class_rows_not_kuan_or_xiang_rows_and_names_without_codes():
    g = grid("支出决算表", [
        ["科目名称", "本年支出合计", "基本支出", "项目支出"],
        ["合计", "150.00", "100.00", "50.00"],
        ["一般公共服务支出", "100.00", "100.00", ""],
        ["人大事务", "100.00", "100.00", ""],
        ["其他一般公共服务支出", "7.00", "", "7.00"],  # a 款 whose name contains a class name
        ["公共安全支出", "50.00", "", "50.00"],
    ])
    values, issues = extract_finance("final_accounts", [g], [])
    got = {v["field_id"]: v["value"] for v in values}
    assert got["fa_exp_201"] == 100.0 and got["fa_exp_204"] == 50.0
    assert not codes(issues, "identity_failed")


def test_seven_and_five_digit_codes_are_not_classes():
    g = grid("支出决算表", [
        ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
        ["2010101", "行政运行", "10.00", "10.00", ""],
        ["20101", "人大事务", "10.00", "10.00", ""],
        ["201", "一般公共服务支出", "10.00", "10.00", ""],
        ["", "合计", "10.00", "10.00", ""],
    ])
    values, issues = extract_finance("final_accounts", [g], [])
    got = {v["field_id"]: v["value"] for v in values}
    assert got["fa_exp_201"] == 10.0 and got["fa_total_expenditure"] == 10.0
    assert "fa_project_expenditure" not in got  # a blank cell is no value, not zero
    assert not codes(issues, "identity_failed")


def test_identity_that_does_not_add_up_names_table_row_and_both_numbers():
    g = grid("支出决算表", [
        ["项目", "本年支出合计", "基本支出", "项目支出"],
        ["合计", "1,000.00", "600.00", "300.00"],
        ["201 一般公共服务支出", "700.00", "500.00", "200.00"],
        ["212 城乡社区支出", "250.00", "100.00", "150.00"],
    ])
    values, issues = extract_finance("final_accounts", [g], [])
    failed = codes(issues, "identity_failed")
    assert len(failed) == 2
    msgs = " / ".join(i["message"] for i in failed)
    assert "支出决算表, row 合计" in msgs
    assert "950" in msgs and "1,000" in msgs  # class rows sum 950 vs total 1,000
    assert "900" in msgs  # basic + project = 900 vs 1,000
    assert all(i["severity"] == "warning" for i in failed)
    assert {v["field_id"]: v["value"] for v in values}["fa_total_expenditure"] == 1000.0


def test_summary_total_is_this_years_spending_not_the_grand_total_and_cross_checks():
    summary = grid("收入支出决算总表", [
        ["收入", "收入", "支出", "支出"],
        ["项目", "金额", "项目", "金额"],
        ["本年收入合计", "1,000.00", "本年支出合计", "980.00"],
        ["年初结转和结余", "10.00", "年末结转和结余", "30.00"],
        ["总计", "1,010.00", "总计", "1,010.00"],
    ])
    values, issues = extract_finance("final_accounts", [summary], [])
    assert {v["field_id"]: v["value"] for v in values}["fa_total_expenditure"] == 980.0
    assert by_field(values)["fa_total_expenditure"]["source_text"] == "收入支出决算总表: 本年收入合计 | 1,000.00 | 本年支出合计 | 980.00"
    detail = grid("支出决算表", [["项目", "合计"], ["合计", "990.00"]], index=2)
    values, issues = extract_finance("final_accounts", [summary, detail], [])
    assert {v["field_id"]: v["value"] for v in values}["fa_total_expenditure"] == 990.0  # the detail table first
    [failed] = codes(issues, "identity_failed")
    assert "990" in failed["message"] and "980" in failed["message"] and "收入支出决算总表" in failed["message"]


def test_of_two_readings_of_the_total_the_one_its_parts_add_up_to_is_kept():
    summary = grid("收入支出决算总表", [["收入", "收入", "支出", "支出"], ["项目", "金额", "项目", "金额"],
                                      ["本年收入合计", "900.00", "本年支出合计", "900.00"]])
    # the 合计 row misprinted: its class rows and its basic + project split both make 900
    detail = grid("支出决算表", [["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
                                ["", "合计", "1,900.00", "600.00", "300.00"],
                                ["201", "一般公共服务支出", "700.00", "500.00", "200.00"],
                                ["208", "社会保障和就业支出", "200.00", "100.00", "100.00"]], index=2)
    values, issues = extract_finance("final_accounts", [detail, summary], [])
    got = by_field(values)
    assert got["fa_total_expenditure"]["value"] == 900.0 and "收入支出决算总表" in got["fa_total_expenditure"]["source_text"]
    [failed] = [i for i in codes(issues, "identity_failed") if "收入支出决算总表" in i["message"]]
    assert "kept 900" in failed["message"] and "add up to" in failed["message"]
    # a summary that agrees with nothing does not replace the table's total
    values, _ = extract_finance("final_accounts", [grid("支出决算表", detail.rows[:1] + [["", "合计", "900.00", "600.00", "300.00"]] + detail.rows[2:], index=2),
                                                   grid("收入支出决算总表", summary.rows[:2] + [["本年收入合计", "950.00", "本年支出合计", "950.00"]])], [])
    assert by_field(values)["fa_total_expenditure"]["value"] == 900.0


def test_three_public_dashes_are_zero_and_the_final_block_is_taken():
    g = grid('"三公"经费支出决算表', [
        ["预算数", "预算数", "预算数", "预算数", "决算数", "决算数", "决算数", "决算数"],
        ["合计", "因公出国（境）费", "公务用车购置及运行费", "公务接待费", "合计", "因公出国（境）费", "公务用车购置及运行费", "公务接待费"],
        ["10.00", "-", "8.00", "2.00", "9.50", "—", "", "9.50"],
    ])
    values, issues = extract_finance("final_accounts", [g], [])
    got = {v["field_id"]: v["value"] for v in values}
    assert got == {"fa_three_public_total": 9.5, "fa_three_public_travel": 0.0, "fa_three_public_vehicles": 0.0,
                   "fa_three_public_reception": 9.5}
    assert not codes(issues, "identity_failed")


def test_three_public_parts_that_do_not_add_up():
    g = grid("“三公”经费支出决算表", [
        ["合计", "因公出国（境）费", "公务用车购置及运行费", "公务接待费"],
        ["12.00", "1.00", "8.00", "2.00"],
    ], unit="万元")
    _, issues = extract_finance("final_accounts", [g], [])
    [failed] = codes(issues, "identity_failed")
    assert "11" in failed["message"] and "12" in failed["message"] and failed["field_id"] == "fa_three_public_total"


def test_header_words_split_across_rows_and_a_title_row_inside_the_table():
    g = grid("", [
        ["一般公共预算财政拨款支出决算表", "一般公共预算财政拨款支出决算表", "一般公共预算财政拨款支出决算表", "一般公共预算财政拨款支出决算表"],
        ["单位：元", "单位：元", "单位：元", "单位：元"],
        ["项目", "年初预", "决算数", "决算数"],
        ["项目", "算数", "合计", "基本支出"],
        ["合计", "1,000,000.00", "2,000,000.00", "2,000,000.00"],
    ], unit=None)
    values, issues = extract_finance("final_accounts", [g], [])
    got = {v["field_id"]: v["value"] for v in values}
    assert got == {"fa_gpb_initial_budget": 100.0, "fa_gpb_expenditure": 200.0}
    assert not codes(issues, "unit_assumed")


def test_table_over_a_page_break_keeps_each_rows_page():
    rows = [["科目编码", "科目名称", "合计", "基本支出", "项目支出"],
            ["201", "一般公共服务支出", "60.00", "60.00", "-"],
            ["科目编码", "科目名称", "合计", "基本支出", "项目支出"],  # header repeated on page 5
            ["213", "农林水支出", "40.00", "-", "40.00"],
            ["", "合计", "100.00", "60.00", "40.00"]]
    g = grid("支出决算表", rows, row_pages=[4, 4, 5, 5, 5], page=4)
    values, issues = extract_finance("final_accounts", [g], [])
    got = by_field(values)
    assert (got["fa_exp_201"]["source_page"], got["fa_exp_213"]["source_page"], got["fa_total_expenditure"]["source_page"]) == (4, 5, 5)
    assert got["fa_exp_213"]["value"] == 40.0 and not codes(issues, "identity_failed")


def test_a_figure_in_two_tables_that_disagree_is_a_conflict():
    a = grid("一般公共预算财政拨款支出决算表", [["项目", "年初预算数", "决算数"], ["合计", "90.00", "100.00"]])
    b = grid("一般公共预算财政拨款支出决算表", [["项目", "年初预算数", "决算数"], ["合计", "90.00", "101.00"]], index=2, page=7)
    values, issues = extract_finance("final_accounts", [a, b], [])
    assert by_field(values)["fa_gpb_expenditure"]["value"] == 100.0
    [c] = codes(issues, "conflicting_values")
    assert "100" in c["message"] and "101" in c["message"] and c["field_id"] == "fa_gpb_expenditure" and c["source_page"] == 7


def test_undeclared_unit_takes_the_documents_unit_and_says_so():
    a = grid("支出决算表", [["项目", "合计"], ["合计", "12,345,678.00"]], unit="元")
    b = grid("“三公”经费支出决算表", [["合计", "因公出国（境）费", "公务用车购置及运行费", "公务接待费"],
                                 ["123,400.00", "0.00", "100,000.00", "23,400.00"]], unit=None, index=2)
    values, issues = extract_finance("final_accounts", [a, b], [])
    got = {v["field_id"]: v["value"] for v in values}
    assert got["fa_total_expenditure"] == 1234.5678 and got["fa_three_public_total"] == 12.34
    [u] = codes(issues, "unit_assumed")
    assert "“三公”经费支出决算表" in u["message"] and "元" in u["message"]


def test_unreadable_cell_is_reported_not_dropped():
    g = grid("支出决算表", [["项目", "合计"], ["合计", "12.3.4"]])
    values, issues = extract_finance("final_accounts", [g], [])
    assert "fa_total_expenditure" not in {v["field_id"] for v in values}
    [u] = codes(issues, "unreadable_cell")
    assert "12.3.4" in u["message"] and "支出决算表" in u["message"]


def test_other_tables_are_not_read_as_spending():
    income = grid("收入决算表", [["项目", "本年收入合计"], ["合计", "500.00"]])
    basic = grid("一般公共预算财政拨款基本支出决算表", [["项目", "合计"], ["合计", "300.00"]], index=2)
    fund = grid("政府性基金预算财政拨款收入支出决算表", [["项目", "本年支出合计"], ["合计", "50.00"]], index=3)
    values, _ = extract_finance("final_accounts", [income, basic, fund], [])
    assert values == []


def test_layout_skips_the_column_number_row():
    g = grid("支出决算表", [["项目", "合计"], ["栏次", "1"], ["合计", "5.00"]])
    lay = layout(g)
    assert lay.data == [2] and lay.headers == ["项目", "合计"]


# ------------------------------------------------------------------ staff from prose


@pytest.mark.parametrize("text, expected", [
    ("本单位核定编制106名，其中行政编制68名、事业编制38名；年末实有人数97人（行政87人、事业10人）；编外聘用人员/聘员240名。",
     {"fa_authorized_posts": 106, "fa_actual_staff": 97, "fa_contract_staff": 240}),
    ("街道办事处核定行政编制60名、事业编制40名。年末在职在编人员92人。另有临聘人员85人。",
     {"fa_authorized_posts": 100, "fa_actual_staff": 92, "fa_contract_staff": 85}),
    ("上年末实有人数90人。本年末实有人数93人，较上年增加3人。编制数为100人。",
     {"fa_authorized_posts": 100, "fa_actual_staff": 93}),
    ("机构设置及人员情况：编制总数：120名；实有人员：110人；\n政府购买服务人员300\n人。",
     {"fa_authorized_posts": 120, "fa_actual_staff": 110, "fa_contract_staff": 300}),
])
def test_staff_counts_from_prose(text, expected):
    values, _ = extract_finance("final_accounts", [], [(1, text)], year=2022)
    assert {v["field_id"]: v["value"] for v in values} == expected
    assert all(v["method"] == "prose" and v["unit"] == "人" for v in values)


def test_staff_of_another_year_is_skipped():
    values, _ = extract_finance("final_accounts", [], [(1, "2021年末实有人数95人。")], year=2022)
    assert values == []
    values, _ = extract_finance("final_accounts", [], [(1, "2022年末实有人数95人。")], year=2022)
    assert {v["field_id"]: v["value"] for v in values} == {"fa_actual_staff": 95}


def test_budget_reads_no_staff_and_rejects_other_doc_types():
    values, _ = extract_finance("budget", [], [(1, "核定编制106名，年末实有人数97人。")])
    assert values == []
    with pytest.raises(ValueError, match="info_disclosure"):
        extract_finance("info_disclosure", [], [])


def test_unit_from_the_line_next_to_the_caption_in_the_page_text():
    g = grid("“三公”经费支出预算表", [["合计", "因公出国（境）费", "公务用车购置及运行费", "公务接待费"],
                                  ["105,400", "0", "102,600", "2,800"]], unit=None, page=7)
    page_text = "第二部分 2022年部门预算表\n“三公”经费支出预算表\n单位：元\n合计\n因公出国（境）费\n105,400"
    values, issues = extract_finance("budget", [g], [(6, "单位：万元"), (7, page_text)])
    assert {v["field_id"]: v["value"] for v in values} == {"bu_three_public_total": 10.54}
    assert not codes(issues, "unit_assumed")


def test_posts_in_ge_and_staff_distractors():
    text = ("2022年末，本街道共有编制71个（行政编制47个、事业编制24个），年末在职人数69人，比上年增加1人；"
            "临聘人员487名。下设综合办等8个内设机构。")
    values, _ = extract_finance("final_accounts", [], [(1, text)], year=2022)
    assert {v["field_id"]: v["value"] for v in values} == {"fa_authorized_posts": 71, "fa_actual_staff": 69, "fa_contract_staff": 487}


# ------------------------------------------------------------------ PDF and DOCX through extract_file


def _final_accounts_pdf() -> bytes:
    from reportlab import rl_config
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle
    import io

    rl_config.invariant = 1
    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    p = ParagraphStyle("p", fontName=font, fontSize=10, leading=15, wordWrap="CJK")

    def table(data, spans=()):
        t = Table(data, colWidths=[480 / len(data[0])] * len(data[0]))
        t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), font, 8), ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                               *[("SPAN", a, b) for a, b in spans]]))
        return t

    story = [
        Paragraph("深圳市福田区沙头街道办事处2022年度部门决算", p),
        Paragraph("第一部分 部门概况", p),
        Paragraph("本单位核定编制120名，其中行政编制80名、事业编制40名；年末实有人数110人；编外人员300名。", p),
        PageBreak(),
        Paragraph("支出决算表", p), Paragraph("单位：元", p),
        table([["科目编码", "科目名称", "本年支出合计", "基本支出", "项目支出"],
               ["合计", "合计", "150,000,000.00", "50,000,000.00", "100,000,000.00"],
               ["201", "一般公共服务支出", "90,000,000.00", "50,000,000.00", "40,000,000.00"],
               ["20103", "政府办公厅（室）及相关机构事务", "90,000,000.00", "50,000,000.00", "40,000,000.00"],
               ["212", "城乡社区支出", "60,000,000.00", "-", "60,000,000.00"]], spans=[((0, 1), (1, 1))]),
        Paragraph("一般公共预算财政拨款支出决算表", p), Paragraph("单位：元", p),
        table([["项目", "年初预算数", "决算数", "决算数", "决算数"],
               ["项目", "年初预算数", "合计", "基本支出", "项目支出"],
               ["合计", "140,000,000.00", "145,000,000.00", "50,000,000.00", "95,000,000.00"]],
              spans=[((0, 0), (0, 1)), ((1, 0), (1, 1)), ((2, 0), (4, 0))]),
        PageBreak(),
        Paragraph("一般公共预算财政拨款“三公”经费支出决算表", p), Paragraph("单位：元", p),
        table([["项目", "年初预算数", "决算数"], ["合计", "200,000.00", "150,000.00"],
               ["因公出国（境）费", "-", "-"], ["公务用车购置及运行费", "150,000.00", "120,000.00"],
               ["公务接待费", "50,000.00", "30,000.00"]]),
    ]
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4).build(story)
    return buf.getvalue()


def test_final_accounts_pdf_built_with_reportlab(tmp_path, streets):
    pytest.importorskip("reportlab")
    root = tmp_path / "documents"
    path = root / "2022" / "沙头街道" / "决算.pdf"
    path.parent.mkdir(parents=True)
    path.write_bytes(_final_accounts_pdf())
    r = extract_file(path, documents_root=root, streets=streets)
    assert (r.file_format, r.doc_type, r.street_code, r.year) == ("pdf", "final_accounts", "440304005", 2022)
    assert r.status == "extracted", r.reason
    got = by_field(r.values)
    assert {k: v["value"] for k, v in got.items()} == {
        "fa_total_expenditure": 15000.0, "fa_basic_expenditure": 5000.0, "fa_project_expenditure": 10000.0,
        "fa_exp_201": 9000.0, "fa_exp_212": 6000.0, "fa_gpb_initial_budget": 14000.0, "fa_gpb_expenditure": 14500.0,
        "fa_three_public_total": 15.0, "fa_three_public_travel": 0.0, "fa_three_public_vehicles": 12.0,
        "fa_three_public_reception": 3.0, "fa_authorized_posts": 120, "fa_actual_staff": 110, "fa_contract_staff": 300,
    }
    assert (got["fa_exp_212"]["source_page"], got["fa_three_public_total"]["source_page"], got["fa_actual_staff"]["source_page"]) == (2, 3, 1)
    assert not [i for i in r.issues if i["severity"] == "warning"], r.issues


def test_budget_docx(tmp_path, streets):
    import docx

    d = docx.Document()
    d.add_paragraph("深圳市福田区沙头街道办事处2023年部门预算")
    d.add_paragraph("支出预算表")
    d.add_paragraph("单位：万元")
    rows = [["科目编码", "科目名称", "合计", "基本支出", "项目支出"], ["", "合计", "1,000.00", "400.00", "600.00"],
            ["201", "一般公共服务支出", "1,000.00", "400.00", "600.00"]]
    t = d.add_table(rows=len(rows), cols=5)
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            t.cell(i, j).text = text
    d.add_paragraph("一般公共预算支出表")
    d.add_paragraph("单位：万元")
    t = d.add_table(rows=2, cols=3)
    for j, text in enumerate(["科目名称", "合计", "基本支出"]):
        t.cell(0, j).text = text
    for j, text in enumerate(["合计", "900.00", "400.00"]):
        t.cell(1, j).text = text
    root = tmp_path / "documents"
    path = root / "预算.docx"
    root.mkdir()
    d.save(path)
    r = extract_file(path, documents_root=root, streets=streets)
    assert (r.file_format, r.doc_type, r.status) == ("docx", "budget", "extracted"), r.reason
    assert {v["field_id"]: v["value"] for v in r.values} == {"bu_total_expenditure": 1000.0, "bu_exp_201": 1000.0,
                                                             "bu_gpb_expenditure": 900.0}


def test_class_names_with_ordinals_and_a_table_left_in_two_pieces():
    first = grid("支出决算表", [["项目", "合计", "基本支出", "项目支出"],
                               ["合计", "300.00", "100.00", "200.00"],
                               ["一、一般公共服务支出", "100.00", "100.00", "-"]], page=3)
    rest = grid("", [["项目", "合计", "基本支出", "项目支出"],
                     ["（二）城乡社区支出", "200.00", "-", "200.00"]], index=2, page=4)
    values, issues = extract_finance("final_accounts", [first, rest], [])
    got = by_field(values)
    assert (got["fa_exp_201"]["value"], got["fa_exp_212"]["value"], got["fa_exp_212"]["source_page"]) == (100.0, 200.0, 4)
    assert codes(issues, "table_continued") and not codes(issues, "identity_failed")
    other = grid("政府性基金预算财政拨款收入支出决算表", [["项目", "合计", "基本支出", "项目支出"], ["合计", "1.00", "", "1.00"]], index=2)
    values, _ = extract_finance("final_accounts", [first, other], [])
    assert "fa_exp_212" not in {v["field_id"] for v in values}  # a captioned table is no continuation


def test_empty_table_is_reported():
    g = grid("支出决算表", [["项目", "合计", "基本支出", "项目支出"]])
    values, issues = extract_finance("final_accounts", [g], [])
    assert values == [] and codes(issues, "table_empty")[0]["message"] == "支出决算表: the table holds no figure"


def test_budget_three_public_of_two_years_takes_this_years():
    g = grid("“三公”经费支出预算表", [
        ["2022年预算数", "2022年预算数", "2023年预算数", "2023年预算数"],
        ["合计", "公务接待费", "合计", "公务接待费"],
        ["30.00", "30.00", "25.00", "25.00"]])
    values, _ = extract_finance("budget", [g], [])
    assert {v["field_id"]: v["value"] for v in values} == {"bu_three_public_total": 25.0}


@pytest.mark.parametrize("text, expected", [
    ("现有在编在岗人员88人，聘用人员120人。", {"fa_actual_staff": 88, "fa_contract_staff": 120}),
    ("实有编外人员240人，在职人员90人。", {"fa_actual_staff": 90, "fa_contract_staff": 240}),
    ("本单位2022年末有编外聘用人员35人，无其他人员。", {"fa_contract_staff": 35}),
])
def test_staff_wording_variants(text, expected):
    values, _ = extract_finance("final_accounts", [], [(1, text)], year=2022)
    assert {v["field_id"]: v["value"] for v in values} == expected


def test_budget_grand_total_only_without_carry_over():
    def summary(carry):
        return grid("部门收支总表", [["收入", "收入", "支出", "支出"], ["项目", "预算数", "项目", "预算数"],
                                   ["一般公共预算拨款", "900.00", "一般公共服务支出", "900.00"],
                                   ["上年结转", carry, "结转下年", carry],
                                   ["收入总计", "1,000.00", "支出总计", "1,000.00"]])
    # the 支出 side's class lines are the classes' budgets (the 收入 side's lines are no class)
    values, _ = extract_finance("budget", [summary("-")], [])
    assert {v["field_id"]: v["value"] for v in values} == {"bu_total_expenditure": 1000.0, "bu_exp_201": 900.0}
    values, _ = extract_finance("budget", [summary("100.00")], [])
    # 支出总计 includes 100 carried to next year: not this year's spending
    assert {v["field_id"]: v["value"] for v in values} == {"bu_exp_201": 900.0}


def test_title_and_unit_rows_inside_an_html_table():
    html = """<html><head><meta charset="utf-8"><title>深圳市福田区园岭街道办事处2022年度部门决算</title></head><body>
<h1>深圳市福田区园岭街道办事处2022年度部门决算</h1><h2>第二部分 2022年度部门决算表</h2>
<table border="1">
<tr><td colspan="4">支出决算表</td></tr>
<tr><td>公开03表</td><td colspan="2">编制单位：深圳市福田区园岭街道办事处</td><td>单位：元</td></tr>
<tr><td>项目</td><td>本年支出合计</td><td>基本支出</td><td>项目支出</td></tr>
<tr><td>合计</td><td>1,000,000.00</td><td>400,000.00</td><td>600,000.00</td></tr>
<tr><td>201 一般公共服务支出</td><td>1,000,000.00</td><td>400,000.00</td><td>600,000.00</td></tr>
</table></body></html>"""
    from bs4 import BeautifulSoup
    from jinchengtuo.documents.grids import html_grids

    [g] = html_grids(BeautifulSoup(html, "lxml"))
    values, issues = extract_finance("final_accounts", [g], [])
    got = by_field(values)
    assert {k: v["value"] for k, v in got.items()} == {"fa_total_expenditure": 100.0, "fa_basic_expenditure": 40.0,
                                                      "fa_project_expenditure": 60.0, "fa_exp_201": 100.0}
    assert got["fa_exp_201"]["source_text"].startswith("支出决算表: 201 一般公共服务支出")
    assert not codes(issues, "unit_assumed")


def test_summary_with_budget_and_final_columns_takes_the_final_one():
    g = grid("收入支出决算总表", [
        ["项目", "年初预算数", "决算数", "项目", "年初预算数", "决算数"],
        ["本年收入合计", "900.00", "1,000.00", "本年支出合计", "880.00", "970.00"],
        ["年初结转和结余", "-", "10.00", "年末结转和结余", "-", "40.00"],
    ])
    values, _ = extract_finance("final_accounts", [g], [])
    assert {v["field_id"]: v["value"] for v in values} == {"fa_total_expenditure": 970.0}


def test_seven_digit_amounts_of_a_yuan_table_are_not_codes_and_split_codes_join():
    g = grid("支出决算表", [["项目", "项目", "项目", "项目", "本年支出合计", "基本支出", "项目支出"],
                           ["科目编码", "科目编码", "科目编码", "科目名称", "本年支出合计", "基本支出", "项目支出"],
                           ["类", "款", "项", "合计", "3913700", "2913700", "1000000"],
                           ["201", "", "", "一般公共服务支出", "2913700", "2913700", ""],
                           ["201", "03", "", "政府办公厅（室）及相关机构事务", "2913700", "2913700", ""],
                           ["201", "03", "01", "行政运行", "2000000", "2000000", ""],
                           ["212", "", "", "城乡社区支出", "1000000", "", "1000000"]], unit="元")
    values, issues = extract_finance("final_accounts", [g], [])
    got = {v["field_id"]: v["value"] for v in values}
    assert got == {"fa_total_expenditure": 391.37, "fa_basic_expenditure": 291.37, "fa_project_expenditure": 100.0,
                   "fa_exp_201": 291.37, "fa_exp_212": 100.0}
    assert not codes(issues, "conflicting_values") and not codes(issues, "identity_failed")


def test_a_compiler_line_is_no_caption():
    from jinchengtuo.documents.pdf_tables import caption_and_unit

    assert caption_and_unit(["2021年部门收支总表", "编制单位：光明区凤凰街道办事处", "单位：元"]) == ("2021年部门收支总表", "元")
    assert caption_and_unit(["支出预算表", "编制部门：某某街道办事处 单位：万元"]) == ("支出预算表", "万元")
