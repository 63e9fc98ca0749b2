"""Street web pages as they are (real-documents.md, "Web pages"): every title variant and issuer
form, pages without a title, site chrome, traditional-Chinese mirrors, figures stated in prose,
negated zeros, look-alikes, approximate figures and multiplied units.

The fixtures (tests/fixtures/web/) are hand-written pages in the shapes real Shenzhen street pages
have; their texts and numbers are our own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jinchengtuo.documents import extract_file
from jinchengtuo.documents.extract import read_html
from jinchengtuo.documents.identify import doc_type_of, report_year
from jinchengtuo.reference import StreetDirectory

WEB = Path(__file__).parent / "fixtures" / "web"
DOCS = Path(__file__).parent / "fixtures" / "documents"


@pytest.fixture(scope="module")
def streets():
    return StreetDirectory.load()


def _extract(tmp_path: Path, streets, name: str, data: bytes):
    root = tmp_path / "documents"
    root.mkdir(exist_ok=True)
    path = root / name
    path.write_bytes(data)
    return extract_file(path, documents_root=root, streets=streets)


def _values(res) -> dict[str, float]:
    return {v["field_id"]: v["value"] for v in res.values}


# ------------------------------------------------------------------ titles and issuers

TITLES = [
    # (title, doc type, street code, year)
    ("园岭街道办事处2022年政府信息公开工作年度报告", "info_disclosure", "440304002", 2022),
    ("深圳市福田区园岭街道2022年度政府信息公开工作报告", "info_disclosure", "440304002", 2022),  # not a work summary
    ("南园街道2021年政府信息公开年度报告", "info_disclosure", "440304001", 2021),
    ("南园街道办2020年度政府信息公开工作情况报告", "info_disclosure", "440304001", 2020),
    ("大鹏新区葵涌办事处2023年政府信息公开工作年度报告", "info_disclosure", "440307009", 2023),
    ("南澳办事处2018年度政府信息公开工作年度报告", "info_disclosure", "440307011", 2018),
    ("园岭街道办事处关于2017年度法治政府建设情况的报告", "rule_of_law", "440304002", 2017),
    ("南园街道关于2024年法治政府建设情况的报告", "rule_of_law", "440304001", 2024),
    ("园岭街道办2025年工作总结", "work_summary", "440304002", 2025),
]


@pytest.mark.parametrize("title, doc_type, street, year", TITLES)
def test_title_variants_identify_type_street_and_year(tmp_path, streets, title, doc_type, street, year):
    page = (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
            f"<p>信息提供日期：{year + 1}-01-20 来源：本站</p><p>现将有关情况报告如下。</p></body></html>")
    res = _extract(tmp_path, streets, "t20240120_123.html", page.encode("utf-8"))
    assert (res.doc_type, res.street_code, res.year) == (doc_type, street, year)


def test_reported_year_is_never_a_publication_date():
    # a report about 2025 published in early 2026
    assert report_year("华富街道2025年度政府信息公开工作年度报告 发布日期：2026年01月28日") == 2025
    assert report_year("信息提供日期：2026年01月28日 华富街道2025年工作总结") == 2025
    # the head has no year but a date: the body's statistics period decides
    assert report_year("信息提供日期：2023年03月02日", "本报告所列数据的统计期限自2022年1月1日起至2022年12月31日止。") == 2022
    assert doc_type_of("首页 > 信息公开", "本报告所列数据的统计期限自2022年1月1日起。由葵涌办事处编制本报告，依据政府信息公开条例") == "info_disclosure"


# ------------------------------------------------------------------ a page with chrome, figures in prose

def test_disclosure_page_with_site_chrome_and_prose_counts(tmp_path, streets):
    data = (WEB / "disclosure_chrome_prose.html").read_bytes()
    html = read_html(data)
    text = "\n".join(b.text for b in html.blocks)
    # menus, breadcrumbs, share bar and footer are not the document's text (the menu names other streets)
    for chrome in ("南园街道", "华富街道", "当前位置", "微博", "网站地图", "互动交流"):
        assert chrome not in text, chrome
    assert "申请14宗" in text  # no space left by the <span>
    res = _extract(tmp_path, streets, "t20240126_77.html", data)
    assert (res.doc_type, res.street_code, res.year) == ("info_disclosure", "440304002", 2023)
    v = _values(res)
    assert v["od_items_published"] == 92  # not the cumulative 6120, not the 300多篇 media reports
    assert v["rq_new"] == 14 and v["rq_carried_in"] == 2
    assert (v["rq_granted"], v["rq_partly"], v["rq_denied"], v["rq_unavailable"], v["rq_carried_out"]) == (9, 2, 1, 2, 2)
    assert v["rv_total"] == 0 and v["lt_total"] == 0  # "未收到…行政复议、行政诉讼案件"
    assert "rv_corrected" not in v and "lt_corrected" not in v  # the negation names the totals only
    by_field = {x["field_id"]: x for x in res.values}
    assert by_field["rv_total"]["method"] == "prose_negation"
    assert "14" in by_field["rq_new"]["source_text"] and by_field["rq_new"]["method"] == "prose"
    assert res.status == "partial"  # no tables: od_permits … are stated nowhere


def test_untitled_post_page_takes_type_street_and_year_from_the_body(tmp_path, streets):
    data = (WEB / "post_4410382.html").read_bytes()
    res = _extract(tmp_path, streets, "post_4410382.html", data)
    # the <title> is the site's name; the 信息提供日期 (2023) is not the year reported on
    assert (res.doc_type, res.street_code, res.year) == ("info_disclosure", "440307009", 2022)
    v = _values(res)
    assert v["od_items_published"] == 731
    assert (v["rq_new"], v["rq_total_handled"], v["rq_carried_out"]) == (6, 5, 1)
    assert (v["rv_total"], v["lt_total"]) == (0, 0)
    assert "rv_corrected" not in v


# ------------------------------------------------------------------ traditional Chinese

def test_traditional_mirror_reads_like_its_simplified_page(tmp_path, streets):
    import opencc

    simplified = (DOCS / "info_disclosure_2021.html").read_text(encoding="utf-8")
    # the site's mirror: Taiwan characters and words (文件 → 檔案, 信息 → 資訊)
    traditional = opencc.OpenCC("s2twp").convert(simplified)
    assert "報告" in traditional and "檔案" in traditional
    a = _extract(tmp_path, streets, "a.html", simplified.encode("utf-8"))
    b = _extract(tmp_path, streets, "b.html", traditional.encode("utf-8"))
    assert (b.doc_type, b.street_code, b.year) == (a.doc_type, a.street_code, a.year) == ("info_disclosure", "440303003", 2022)
    assert b.status == a.status == "extracted"
    assert sorted((v["field_id"], v["value"]) for v in b.values) == sorted((v["field_id"], v["value"]) for v in a.values)
    assert any(i["code"] == "converted_to_simplified" for i in b.issues)
    assert not any(i["code"] == "converted_to_simplified" for i in a.issues)


def test_traditional_prose_with_word_substitutions(tmp_path, streets):
    page = ("<html><head><meta charset='utf-8'><title>南園街道辦事處2022年政府資訊公開工作年度報告</title></head><body>"
            "<p>2022年，南園街道辦事處主動公開政府資訊共265條，本年制發規範性檔案2件。"
            "全年共收到政府資訊公開申請8宗，1宗仍在法定辦理期限內。</p></body></html>")
    res = _extract(tmp_path, streets, "c.html", page.encode("utf-8"))
    assert (res.doc_type, res.street_code, res.year) == ("info_disclosure", "440304001", 2022)
    v = _values(res)
    assert (v["od_items_published"], v["rq_new"], v["rq_carried_out"]) == (265, 8, 1)
    assert "政府信息公开申请8宗" in next(x["source_text"] for x in res.values if x["field_id"] == "rq_new")


# ------------------------------------------------------------------ tables and prose together

def test_prose_disagreeing_with_the_table_keeps_the_table_and_says_so(tmp_path, streets):
    html = (DOCS / "info_disclosure_2021.html").read_text(encoding="utf-8")
    table_only = _values(_extract(tmp_path, streets, "x.html", html.encode("utf-8")))
    stated = int(table_only["rq_new"])
    html = html.replace("<h2>二、主动公开政府信息情况</h2>",
                        f"<p>全年共新收政府信息公开申请{stated + 3}件。</p><h2>二、主动公开政府信息情况</h2>", 1)
    res = _extract(tmp_path, streets, "y.html", html.encode("utf-8"))
    assert _values(res)["rq_new"] == stated
    flagged = [i for i in res.issues if i["code"] == "prose_table_disagree"]
    assert len(flagged) == 1 and flagged[0]["field_id"] == "rq_new"
    assert str(stated) in flagged[0]["message"] and str(stated + 3) in flagged[0]["message"]


# ------------------------------------------------------------------ prose documents

def test_pre_2019_rule_of_law_report_in_gbk(tmp_path, streets):
    res = _extract(tmp_path, streets, "content_88.html", (WEB / "rule_of_law_2017.html").read_bytes())
    assert (res.doc_type, res.street_code, res.year) == ("rule_of_law", "440304001", 2017)
    v = _values(res)
    assert v["rl_enforcement_cases"] == 156
    assert v["rl_litigation_cases"] == 3  # not the 5次 court appearances
    assert v["rl_leaders_in_court"] == 5
    assert v["rl_litigation_lost"] == 0  # 无…行政诉讼败诉情况
    assert "rl_review_cases" not in v  # 无行政复议纠错 says nothing about how many reviews
    assert "rl_law_education_events" not in v  # 420余次 is approximate
    assert any(i["code"] == "prose_approximate" and i["field_id"] == "rl_law_education_events" for i in res.issues)
    assert v["rl_mediation_cases"] == 432 and v["rl_mediation_success_rate"] == 97.5


def test_work_summary_about_2025_with_multiplied_units(tmp_path, streets):
    res = _extract(tmp_path, streets, "t20260120_5.html", (WEB / "work_summary_2025.html").read_bytes())
    assert (res.doc_type, res.street_code, res.year) == ("work_summary", "440304009", 2025)
    v = _values(res)
    # split by tags and a line break, never 10,000
    assert v["ws_safety_inspections"] == 12500
    assert v["ws_hazards_rectified"] == 37000
    assert v["ws_volunteers"] == 68000
    assert "ws_emergency_drills" not in v  # 近百场 is approximate; the 2026 plan's 40场 is a target



def test_pre_2019_report_in_the_older_section_layout(tmp_path, streets):
    # before the 2019 template: seven sections, the figures in sentences, headings as bold paragraphs
    page = """<html><head><meta charset="utf-8"><title>沙头街道办事处2018年政府信息公开工作年度报告</title></head><body>
<p style="font-weight:bold">一、概述</p><p>2018年，沙头街道办事处不断完善政府信息公开制度。</p>
<p style="font-weight:bold">二、主动公开政府信息情况</p><p>全年主动公开政府信息418条。</p>
<p style="font-weight:bold">三、依申请公开政府信息情况</p>
<p>2018年共受理政府信息公开申请7件，上年结转1件；其中予以公开5件，部分公开1件，不予公开0件，2件仍在法定办理期限内。</p>
<p style="font-weight:bold">五、因政府信息公开申请行政复议、提起行政诉讼的情况</p>
<p>全年因政府信息公开申请被申请行政复议2件，被提起行政诉讼1件。</p>
<p>沙头街道办事处</p><p>2019年1月28日</p></body></html>"""
    res = _extract(tmp_path, streets, "t20190128_1.html", page.encode("utf-8"))
    assert (res.doc_type, res.street_code, res.year) == ("info_disclosure", "440304005", 2018)
    v = _values(res)
    assert (v["od_items_published"], v["rq_new"], v["rq_carried_in"], v["rq_granted"], v["rq_partly"]) == (418, 7, 1, 5, 1)
    assert (v["rq_denied"], v["rq_carried_out"]) == (0, 2)
    # the heading names 行政诉讼 too: it never runs into the sentence's first figure
    assert (v["rv_total"], v["lt_total"]) == (2, 1)


def test_traditional_docx_prose_is_read_simplified(tmp_path, streets):
    import io

    import docx

    d = docx.Document()
    d.add_heading("園嶺街道辦事處2022年法治政府建設年度報告", level=1)
    d.add_paragraph("2022年，街道共辦理行政處罰案件156宗，無行政訴訟敗訴案件，調解矛盾糾紛432宗。")
    buf = io.BytesIO()
    d.save(buf)
    res = _extract(tmp_path, streets, "rol.docx", buf.getvalue())
    assert (res.doc_type, res.street_code, res.year) == ("rule_of_law", "440304002", 2022)
    v = _values(res)
    assert (v["rl_enforcement_cases"], v["rl_litigation_lost"], v["rl_mediation_cases"]) == (156, 0, 432)
    assert any(i["code"] == "converted_to_simplified" for i in res.issues)
