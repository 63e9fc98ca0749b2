"""Numbers as real documents write them (jinchengtuo.documents.numbers)."""

from __future__ import annotations

import pytest

from jinchengtuo.documents.numbers import (
    NumberParseError,
    UnitError,
    convert,
    find_numbers,
    is_no_value,
    normalize,
    parse_chinese_numeral,
    parse_number,
    parse_value,
    split_unit,
    unit_from_header,
    yuan_to_wanyuan,
)


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("1234", 1234.0),
        ("1,234.56", 1234.56),
        ("12,345,678.90", 12345678.90),
        ("１２３，４５６．７８", 123456.78),
        ("１２３４", 1234.0),
        ("0.00", 0.0),
        ("0", 0.0),
        (".5", 0.5),
        ("(1,234.00)", -1234.0),
        ("（１２３）", -123.0),
        ("( 12.5 )", -12.5),
        ("-12", -12.0),
        ("−5", -5.0),
        ("－８", -8.0),
        ("  56.7  ", 56.7),
        ("123元", 123.0),
        ("45宗", 45.0),
        (17, 17.0),
        (3.25, 3.25),
    ],
)
def test_arabic_cells(cell, expected):
    n = parse_number(cell)
    assert n is not None
    assert n.value == pytest.approx(expected)
    assert not n.percent


@pytest.mark.parametrize("cell", [None, "", "   ", "-", "--", "—", "——", "–", "/", "／", "…", "\u3000", float("nan")])
def test_no_value_cells_are_none_not_zero(cell):
    assert parse_number(cell) is None
    assert parse_value(cell) is None
    assert is_no_value(cell if not isinstance(cell, float) else None)


def test_zero_is_a_value():
    assert parse_value("0") == 0.0
    assert parse_value("零") == 0.0
    assert not is_no_value("0")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("一百", 100),
        ("一百零五", 105),
        ("一百一十", 110),
        ("一百二十三", 123),
        ("两百", 200),
        ("二百五", 250),
        ("两千三百", 2300),
        ("三千五", 3500),
        ("一千零一十", 1010),
        ("一千零一", 1001),
        ("三万五千", 35000),
        ("两万五", 25000),
        ("十二万", 120000),
        ("一亿二千万", 120_000_000),
        ("二〇二二", 2022),
        ("壹佰贰拾叁", 123),
        ("九十六点五", 96.5),
        ("一点二", 1.2),
        ("零点五", 0.5),
    ],
)
def test_chinese_numerals(text, expected):
    assert parse_chinese_numeral(text) == pytest.approx(expected)
    assert parse_value(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    "cell, value, approximate",
    [
        ("1.2万", 12000, False),
        ("3.5亿", 350_000_000, False),
        ("12万余", 120000, True),
        ("近百", 100, True),
        ("百余", 100, True),
        ("近千", 1000, True),
        ("约300", 300, True),
        ("逾2000", 2000, True),
        ("200余", 200, True),
        ("100多", 100, True),
        ("500左右", 500, True),
        ("两百余", 200, True),
        ("1.2万人次", 12000, False),
    ],
)
def test_multipliers_and_approximations(cell, value, approximate):
    n = parse_number(cell)
    assert n.value == pytest.approx(value)
    assert n.approximate is approximate


def test_trailing_unit_is_reported_without_its_multiplier():
    n = parse_number("1,234.5万元")
    assert n.value == pytest.approx(12_345_000)
    assert n.unit == "元"
    assert convert(n.value, n.unit, "万元") == pytest.approx(1234.5)
    assert parse_number("12万余人次").unit == "人次"


@pytest.mark.parametrize(
    "cell, value",
    [("96.5%", 96.5), ("９６．５％", 96.5), ("100%", 100.0), ("百分之九十六点五", 96.5), ("百分之百", 100.0), ("2.3个百分点", 2.3)],
)
def test_percentages(cell, value):
    n = parse_number(cell)
    assert n.percent
    assert n.value == pytest.approx(value)


@pytest.mark.parametrize("cell", ["abc", "12abc", "1.2.3", "第三", "合计", True])
def test_garbage_raises_clear_error(cell):
    with pytest.raises(NumberParseError) as info:
        parse_number(cell)
    assert "not a number" in str(info.value)


def test_normalize_keeps_length_and_maps_fullwidth():
    s = "共１２，３４５件（同比下降１０％）㎡"
    n = normalize(s)
    assert len(n) == len(s)
    assert "12,345" in n and "(同比下降10%)" in n
    assert n.endswith("㎡")  # not expanded: spans stay valid


def test_find_numbers_in_prose():
    text = "全年共受理群众诉求１２，３４５件，办结率９８.５％，刑事警情同比下降10%，开展应急演练二十三场，走访近百家企业，服务1.2万人次。"
    found = list(find_numbers(text))
    values = [(n.value, n.percent, n.approximate) for n in found]
    assert (12345.0, False, False) in values
    assert (98.5, True, False) in values
    assert (10.0, True, False) in values
    assert (23.0, False, False) in values
    assert (100.0, False, True) in values
    assert (12000.0, False, False) in values
    # spans point into the original text
    for n in found:
        assert normalize(text)[n.start:n.end] == n.text


def test_find_numbers_range_dash_is_not_minus():
    found = [n.value for n in find_numbers("2021-2022年度")]
    assert found == [2021.0, 2022.0]
    assert [n.value for n in find_numbers("变化为-5")] == [-5.0]


def test_find_numbers_chinese_percent():
    found = list(find_numbers("调解成功率达百分之九十八点二"))
    assert len(found) == 1 and found[0].percent and found[0].value == pytest.approx(98.2)


@pytest.mark.parametrize(
    "value, src, dst, expected",
    [
        (123456.0, "元", "万元", 12.3456),
        (1.5, "亿元", "万元", 15000.0),
        (3.2, "万人次", "人次", 32000.0),
        (1234.0, "千元", "万元", 123.4),
        (5.0, "万元", "元", 50000.0),
        (7.0, "件", "件", 7.0),
        (None, "元", "万元", None),
    ],
)
def test_convert(value, src, dst, expected):
    out = convert(value, src, dst)
    if expected is None:
        assert out is None
    else:
        assert out == pytest.approx(expected)


def test_convert_has_no_float_noise():
    assert convert(1.2, "万元", "元") == 12000.0
    assert yuan_to_wanyuan(12345.67) == 1.234567


def test_convert_rejects_unrelated_units():
    with pytest.raises(UnitError):
        convert(1.0, "元", "人")


def test_split_unit():
    assert split_unit("万元") == (1e4, "元")
    assert split_unit("万人次") == (1e4, "人次")
    assert split_unit("件") == (1.0, "件")


@pytest.mark.parametrize(
    "header, unit",
    [("单位：元", "元"), ("（单位：万元）", "万元"), ("金额单位:万元", "万元"), ("单位：人民币元", "元"), ("部门决算表", None)],
)
def test_unit_from_header(header, unit):
    assert unit_from_header(header) == unit


@pytest.mark.parametrize("text, value", [
    ("排查整改安全隐患3.7万处", 37000),
    ("检查企业1.25万家次", 12500),
    ("注册志愿者6.8万人", 68000),
    # an HTML <span> or a PDF line break between the figure and its 万
    ("排查整改安全隐患3.7 万处", 37000),
    ("检查企业1.25\n万家次", 12500),
    ("注册志愿者 6.8\u3000万人", 68000),
])
def test_multiplied_units_are_read_whole(text, value):
    found = list(find_numbers(text))
    assert [n.value for n in found] == [value], found
    assert not found[0].approximate


def test_a_lone_wan_after_a_figure_is_never_ten_thousand():
    # the bug: '3.7 万处' came out as 3.7 and a lone 万 = 10,000
    assert 10000 not in [n.value for n in find_numbers("全年整改隐患3.7 万处，检查1.25 万家次")]
