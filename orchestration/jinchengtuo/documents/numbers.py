"""Numbers as real documents write them.

Two entry points:

- :func:`parse_number` reads one table cell or one isolated figure
  (``"1,234.56"``, ``"（１２３）"``, ``"-"``, ``"二十三"``, ``"1.2万"``, ``"96.5%"``) and
  returns a :class:`ParsedNumber`, or ``None`` for a cell that holds no value
  (blank, ``-``, ``—``, ``/``): no value is not zero.
- :func:`find_numbers` scans running text and yields every number it holds with its
  span, so that the prose extractor can look at the words around it.

And unit helpers: :func:`convert` (元 → 万元, 亿元 → 万元, 万人次 → 人次, …) and
:func:`split_unit`.

Nothing here knows about fields or documents.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Iterator


class NumberParseError(ValueError):
    """A cell or figure that should hold a number but cannot be read as one."""


@dataclass(frozen=True)
class ParsedNumber:
    """One number read from a document.

    value        the number itself, with any 万/亿 multiplier applied (1.2万 -> 12000.0)
    approximate  the text says it is not exact (近百, 12万余, 约, 逾, 多)
    percent      written as a percentage (96.5%, 百分之九十六点五); value is 96.5
    text         the characters it was read from
    start, end   span in the (normalised) text given to find_numbers; 0/len for parse_number
    unit         parse_number only: the unit word written after the figure, without its
                 multiplier ('1.2万元' -> value 12000.0, unit '元'); '' when none
    """

    value: float
    approximate: bool = False
    percent: bool = False
    text: str = ""
    start: int = 0
    end: int = 0
    unit: str = ""


# --------------------------------------------------------------------------- normalisation



_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}  # ！..～ -> !..~
_NORMALIZE_TABLE = {**_FULLWIDTH, 0x3000: " ", 0xA0: " ", 0x2212: "-", 0xFE63: "-", 0xFE50: ",", 0xFE6A: "%"}


def normalize(text: str) -> str:
    """Full-width digits, letters and punctuation to their ASCII forms, keeping every other
    character, and keeping the length of the text unchanged (so that spans found in the
    normalised text are spans of the original): １２３，４５６．７８％ -> 123,456.78%."""
    if text.isascii():
        return text
    return text.translate(_NORMALIZE_TABLE)


# --------------------------------------------------------------------------- Chinese numerals

_CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "Ｏ": 0,
    "一": 1, "壹": 1, "幺": 1,
    "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2,
    "三": 3, "叁": 3, "參": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6, "陸": 6,
    "七": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}
_CN_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
CN_NUMERAL_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL_UNITS) + "".join(_CN_BIG_UNITS)


def _cn_section(s: str) -> float:
    """A numeral below 10,000: 二千三百零五, 十二, 两百, 三千五 (= 3500)."""
    total = 0
    digit = None
    last_unit = None
    for ch in s:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch] if digit is None else digit * 10 + _CN_DIGITS[ch]
        elif ch in _CN_SMALL_UNITS:
            unit = _CN_SMALL_UNITS[ch]
            total += (1 if digit is None else digit) * unit
            digit = None
            last_unit = unit
        else:  # pragma: no cover - guarded by callers
            raise NumberParseError(f"not a Chinese numeral character: {ch!r}")
    if digit is not None:
        # 三千五 = 3500, 二百五 = 250: a lone digit right after a unit of 百 or more is one
        # order below it; after 零 (二百零五 = 205) or after 十 it is units.
        if last_unit and last_unit >= 100 and s[-2] in _CN_SMALL_UNITS:
            total += digit * (last_unit // 10)
        else:
            total += digit
    return total


def parse_chinese_integer(s: str) -> float:
    """Chinese numeral (no decimal point) to a number.

    Both positional digit strings (二〇二二 = 2022) and unit forms (一百零五, 两千三百,
    十二, 三万五千, 一亿二千万) are understood.
    """
    s = s.strip()
    if not s:
        raise NumberParseError("empty Chinese numeral")
    if any(ch not in CN_NUMERAL_CHARS for ch in s):
        raise NumberParseError(f"not a Chinese numeral: {s!r}")
    if all(ch in _CN_DIGITS for ch in s):  # 二〇二二, 一九
        return float(int("".join(str(_CN_DIGITS[ch]) for ch in s)))
    total = 0.0
    rest = s
    for big_char, big in sorted(_CN_BIG_UNITS.items(), key=lambda kv: -kv[1]):
        if big_char in rest:
            head, _, rest = rest.partition(big_char)
            head_value = parse_chinese_integer(head) if head else 1
            total += head_value * big
            # 两万五 = 25,000: a lone trailing digit after 万 is thousands
            if len(rest) == 1 and rest in _CN_DIGITS:
                total += _CN_DIGITS[rest] * (big // 10)
                rest = ""
    if rest:
        rest = rest.lstrip("零〇○") or rest
        if rest and all(ch in "零〇○" for ch in rest):
            return total
        total += _cn_section(rest)
    return total


def parse_chinese_numeral(s: str) -> float:
    """Chinese numeral with an optional decimal part: 九十六点五 = 96.5, 一点二 = 1.2."""
    s = s.strip()
    if "点" in s:
        whole, _, frac = s.partition("点")
        if not frac or any(ch not in _CN_DIGITS for ch in frac):
            raise NumberParseError(f"bad decimal part in Chinese numeral: {s!r}")
        w = parse_chinese_integer(whole) if whole else 0.0
        f = float("0." + "".join(str(_CN_DIGITS[ch]) for ch in frac))
        return w + f
    return parse_chinese_integer(s)


# --------------------------------------------------------------------------- regexes

_CN = "零〇○一二两兩三四五六七八九十百千万萬亿億壹贰貳叁肆伍陆陸柒捌玖拾佰仟"
_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"

# prefixes and suffixes that make a figure approximate
_APPROX_BEFORE = ("近", "约", "逾", "超", "超过", "大约", "将近", "接近", "达近", "约计", "余")
_APPROX_AFTER = ("余", "多", "左右", "以上", "上下", "来")

_NUMBER_RE = re.compile(
    r"""
    (?P<pct_cn>百分之(?P<pct_body>[零〇○一二两三四五六七八九十百点]+))
    |
    (?P<sign>[+-])?
    (?P<arabic>""" + _ARABIC + r""")
    # the multiplier may stand after a space or a line break ('3.7 万处': an HTML <span> or a PDF
    # line ended between the figure and its 万); never a lone 万 read as 10,000 on its own
    (?:[ \t\u3000]*\n?[ \t\u3000]*(?P<mult>[万萬亿億千](?![克米瓦])))?
    (?P<mult2>[万萬亿億])?
    (?P<approx_after>余|多)?
    (?P<pct>\s*%|\s*个百分点)?
    |
    (?P<cn>[""" + _CN + r"""]+(?:点[零〇○一二两三四五六七八九]+)?)
    (?P<cn_approx_after>余|多)?
    """,
    re.VERBOSE,
)

_NO_VALUE = {"", "-", "--", "---", "—", "——", "–", "/", "\\", "－", "／", "…", "...", "——", "x", "X", "*", "无", "空"}


def _multiplier(chars: str) -> float:
    m = 1.0
    for ch in chars or "":
        m *= {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "千": 1e3}[ch]
    return m


def _clean_float(x: float) -> float:
    """Remove binary noise from decimal arithmetic (1.2 * 10000 = 12000.000000000002)."""
    if x == 0 or math.isinf(x) or math.isnan(x):
        return x
    return float(f"{x:.12g}")


def _match_to_number(m: re.Match, text: str) -> ParsedNumber | None:
    start, end = m.span()
    if m.group("pct_cn"):
        try:
            value = parse_chinese_numeral(m.group("pct_body"))
        except NumberParseError:
            return None
        return ParsedNumber(_clean_float(value), False, True, m.group(0), start, end)
    if m.group("arabic") is not None:
        raw = m.group("arabic").replace(",", "")
        value = float(raw) * _multiplier((m.group("mult") or "") + (m.group("mult2") or ""))
        if m.group("sign") == "-":
            value = -value
        approx = bool(m.group("approx_after"))
        percent = bool(m.group("pct"))
        return ParsedNumber(_clean_float(value), approx, percent, m.group(0), start, end)
    body = m.group("cn")
    # 近百 / 上千 / 数十: a bare unit character is a round figure; 数/几 makes it vague
    try:
        value = parse_chinese_numeral(body)
    except NumberParseError:
        return None
    approx = bool(m.group("cn_approx_after"))
    if body[0] in _CN_SMALL_UNITS or body[0] in _CN_BIG_UNITS:
        # 百余, 千余, 近百, 万余: the bare unit is approximate unless it is 十 (十二 = 12)
        if body[0] not in "十拾":
            approx = True
    return ParsedNumber(_clean_float(value), approx, False, m.group(0), start, end)


_APPROX_BEFORE_RE = re.compile("(?:" + "|".join(sorted(_APPROX_BEFORE, key=len, reverse=True)) + ")$")


def _approx_prefix(text: str, start: int) -> bool:
    return bool(_APPROX_BEFORE_RE.search(text, max(0, start - 3), start))


def find_numbers(text: str, *, normalized: bool = False) -> Iterator[ParsedNumber]:
    """Every number in running text, left to right, with spans in ``text``.

    Full-width forms are normalised first (the text's length is kept, so spans hold for the
    original text). Chinese numerals are found wherever they stand; it is for the caller to
    look at what follows (a measure word: 场, 宗, 件, 人 …) before trusting a lone 一.
    """
    t = text if normalized else normalize(text)
    for m in _NUMBER_RE.finditer(t):
        # an Arabic number glued to letters (A3, 2a) or part of a code is still returned;
        # the caller decides. A sign is only a sign when not glued to a preceding digit/word.
        n = _match_to_number(m, t)
        if n is None:
            continue
        if m.group("sign") and m.start() > 0 and (t[m.start() - 1].isascii() and t[m.start() - 1].isalnum() or t[m.start() - 1] in "年月日号"):
            # "2021-2022": the '-' is a range dash, not a minus
            n = ParsedNumber(abs(n.value), n.approximate, n.percent, n.text[1:], n.start + 1, n.end)
        if not n.approximate and _approx_prefix(t, n.start):
            n = ParsedNumber(n.value, True, n.percent, n.text, n.start, n.end)
        yield n


# --------------------------------------------------------------------------- single cells

def is_no_value(cell: str | None) -> bool:
    """Blank, dash, slash, ellipsis cells: no value (not zero)."""
    if cell is None:
        return True
    s = normalize(str(cell)).strip().replace(" ", "")
    return s in _NO_VALUE or (s != "" and set(s) <= set("-—–/\\_.…"))


_CELL_UNIT_SUFFIX = re.compile(r"(元|人次|家次|批次|件|宗|人|个|场|次|项|户|条|家|处|起|名|份|平方公里|公里|岁)$")


def parse_number(cell: str | int | float | None) -> ParsedNumber | None:
    """One table cell or isolated figure. Returns None for a cell with no value.

    - thousands separators and full-width forms: 1,234.56  １２３，４５６．７８
    - negatives: -12  (1,234.00)  （１２３）  −5
    - Chinese numerals: 二十三  一百零五  两千三百  十二  九十六点五
    - multipliers and approximations: 1.2万  3.5亿  12万余  近百  百余
    - percentages: 96.5%  百分之九十六点五
    - a trailing unit word is allowed (123元, 45宗); anything else raises NumberParseError.
    """
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise NumberParseError(f"not a number: {cell!r}")
    if isinstance(cell, (int, float)):
        if isinstance(cell, float) and math.isnan(cell):
            return None
        return ParsedNumber(float(cell), text=str(cell), start=0, end=len(str(cell)))
    out = _parse_text(str(cell))
    if isinstance(out, NumberParseError):
        raise NumberParseError(*out.args)
    return out


@functools.lru_cache(maxsize=65536)
def _parse_text(original: str) -> ParsedNumber | None | NumberParseError:
    """parse_number for text, memoised (tables repeat the same cells; ParsedNumber is frozen).
    A cell that is not a number returns its error, which parse_number raises afresh."""
    try:
        return _parse_text_uncached(original)
    except NumberParseError as exc:
        return exc


def _parse_text_uncached(original: str) -> ParsedNumber | None:
    s = normalize(original).strip().replace(" ", "")
    if is_no_value(s):
        return None
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative = True
        s = s[1:-1].strip()
    approx = False
    for p in sorted(_APPROX_BEFORE, key=len, reverse=True):
        if s.startswith(p) and len(s) > len(p):
            s = s[len(p):]
            approx = True
            break
    for suffix in ("左右", "以上", "上下"):
        if s.endswith(suffix):
            s = s[: -len(suffix)]
            approx = True
    unit = ""
    um = _CELL_UNIT_SUFFIX.search(s)
    if um and um.start() > 0:
        unit = um.group(1)
        s = s[: um.start()]
    m = _NUMBER_RE.fullmatch(s)
    if m is None:
        raise NumberParseError(f"not a number: {original!r}")
    n = _match_to_number(m, s)
    if n is None:
        raise NumberParseError(f"not a number: {original!r}")
    value = -n.value if negative else n.value
    return ParsedNumber(_clean_float(value), n.approximate or approx, n.percent, original, 0, len(original), unit)


def parse_value(cell: str | int | float | None) -> float | None:
    """Like parse_number but only the value (None for no value)."""
    n = parse_number(cell)
    return None if n is None else n.value


# --------------------------------------------------------------------------- units

_MONEY = {"元": 1.0, "千元": 1e3, "万元": 1e4, "百万元": 1e6, "亿元": 1e8}
_PREFIX = {"万": 1e4, "萬": 1e4, "亿": 1e8, "億": 1e8, "千": 1e3, "百万": 1e6}


def split_unit(unit: str) -> tuple[float, str]:
    """A unit as (multiplier, base unit): '万元' -> (1e4, '元'), '万人次' -> (1e4, '人次'),
    '亿元' -> (1e8, '元'), '件' -> (1, '件'), '%' -> (1, '%')."""
    u = normalize(unit or "").strip().replace("人民币", "")
    if u in _MONEY:
        return _MONEY[u], "元"
    for p in sorted(_PREFIX, key=len, reverse=True):
        if u.startswith(p) and len(u) > len(p):
            return _PREFIX[p], u[len(p):]
    return 1.0, u


class UnitError(ValueError):
    """Two units that cannot be converted into each other."""


def convert(value: float | None, from_unit: str, to_unit: str) -> float | None:
    """Convert between units that share a base: 元 -> 万元 (÷10,000), 亿元 -> 万元
    (×10,000), 万人次 -> 人次 (×10,000). None stays None. Raises UnitError otherwise."""
    if value is None:
        return None
    f_mult, f_base = split_unit(from_unit)
    t_mult, t_base = split_unit(to_unit)
    if f_base != t_base:
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}")
    return _clean_float(value * f_mult / t_mult)


def yuan_to_wanyuan(value: float | None) -> float | None:
    return convert(value, "元", "万元")


def unit_from_header(text: str) -> str | None:
    """The unit a table header or caption declares: '单位：元' -> '元', '（单位：万元）' -> '万元',
    '金额单位：万元' -> '万元'. None when no unit is declared."""
    t = normalize(text)
    m = re.search(r"单位\s*[:：]?\s*(人民币)?\s*(百万元|亿元|万元|千元|元|万人次|人次|人|件|个|%)", t)
    return m.group(2) if m else None
