"""How the sample documents write numbers and names (the generator's own wording).

Counts appear as 23, ２３ (full width), 二十三 (Chinese numerals) or 1.2万 (rounded to the
stated precision: the truth is the figure as written, 12000). Money appears in 万元 or 元.
Streets are named 园岭街道办事处, 福田区园岭街道, 深圳市福田区园岭街道办事处 …
"""

from __future__ import annotations

import random

from jinchengtuo.reference.streets import Street

DIGITS = "零一二三四五六七八九"
FULLWIDTH = str.maketrans("0123456789.,%-", "０１２３４５６７８９．，％－")


def chinese_int(n: int) -> str:
    """0 … 99999999 in Chinese numerals: 23 -> 二十三, 105 -> 一百零五, 12000 -> 一万二千."""
    if n < 0:
        return "负" + chinese_int(-n)
    if n < 10:
        return DIGITS[n]
    if n >= 10000:
        high, low = divmod(n, 10000)
        text = chinese_int(high) + "万"
        if low:
            text += ("零" if low < 1000 else "") + chinese_int(low)
        return text
    units = [(1000, "千"), (100, "百"), (10, "十")]
    text, zero = "", False
    for size, name in units:
        d, n = divmod(n, size)
        if d:
            if zero:
                text += "零"
                zero = False
            text += DIGITS[d] + name
        elif text:
            zero = True
    if n:
        if zero:
            text += "零"
        text += DIGITS[n]
    if text.startswith("一十"):
        text = text[1:]
    return text


def fullwidth(text: str) -> str:
    return text.translate(FULLWIDTH)


class Writer:
    """Chooses a way of writing each count; returns (text, value as written)."""

    def __init__(self, r: random.Random, style_bias: float = 0.0):
        self.r = r
        self.bias = style_bias  # some documents lean on Chinese numerals, some on digits

    def count(self, n: int, allow_wan: bool = True, allow_chinese: bool = True) -> tuple[str, float]:
        r = self.r
        if allow_wan and n >= 10000 and r.random() < 0.5:
            value = round(n / 10000, 1)
            text = f"{value:g}万"
            return (fullwidth(text) if r.random() < 0.15 else text), value * 10000
        if allow_chinese and n < 100 and r.random() < 0.25 + self.bias:
            return chinese_int(n), n
        u = r.random()
        if u < 0.12:
            return fullwidth(str(n)), n
        if u < 0.22 and n >= 1000:
            return f"{n:,}", n
        return str(n), n

    def pct(self, x: float) -> str:
        text = f"{x:g}%"
        return fullwidth(text) if self.r.random() < 0.12 else text


def street_forms(street: Street) -> list[str]:
    if hasattr(street, "name_forms"):  # a unit of the national corpus (corpus/national.py) names itself
        return street.name_forms()
    core = street.core
    return [
        f"{core}街道办事处",
        f"{street.district_name}{core}街道",
        f"深圳市{street.district_name}{core}街道办事处",
        f"{core}街道",
        f"{street.district_name}{core}街道办事处",
    ]


def street_name(street: Street, r: random.Random, formal: bool = False) -> str:
    forms = street_forms(street)
    if formal:
        return r.choice([forms[2], forms[4], forms[0]])
    return r.choice(forms)


def money(yuan: int, unit: str, thousands: bool = True, blank_zero: str = "") -> str:
    """A table cell: 元 with no decimals or 万元 with two."""
    if yuan == 0 and blank_zero:
        return blank_zero
    if unit == "元":
        return f"{yuan:,}" if thousands else str(yuan)
    value = yuan / 10000
    return f"{value:,.2f}" if thousands else f"{value:.2f}"


def wan_text(yuan: int) -> str:
    """万元 in running text: 1234.56."""
    return f"{yuan / 10000:.2f}"


def signed_money(yuan: int, unit: str) -> str:
    """Negative numbers in parentheses, as accounting tables print them."""
    text = money(abs(yuan), unit)
    return f"({text})" if yuan < 0 else text
