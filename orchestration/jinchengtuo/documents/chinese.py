"""Traditional → simplified Chinese, with OpenCC (the `opencc` package; its dictionaries ship in
the wheel, nothing is fetched at run time).

Some street pages are published as 繁體 mirrors of the simplified page (政府信息公開工作年度報告),
sometimes with Taiwan word choices (檔案 for 文件, 資訊 for 信息). The readers convert them at
reading time, so identification, tables and prose only ever see simplified text:

- :func:`to_simplified` converts a whole text with OpenCC's ``tw2sp`` configuration
  (characters *and* the Taiwan phrases: 檔案 → 文件, 資訊 → 信息, 網路 → 网络). It is applied
  only to text that is traditional (:func:`is_traditional`): a simplified page passes untouched,
  so a simplified word that happens to look like a Taiwan phrase is never rewritten.
- :func:`to_simplified_chars` converts character by character with ``t2s`` and keeps the
  length, for callers that map offsets back into the original text (the prose reader).

Choice about provenance: a figure of a converted page quotes its sentence in simplified
characters (``source_text``), as the extractor read it; the document carries an info issue
``converted_to_simplified`` saying so. The quote is found in the original by its figures and
its section number (``source_page``), or by converting the quote back.
"""

from __future__ import annotations

import functools
import re

CONFIG = "tw2sp"
_CJK = re.compile(r"[\u4e00-\u9fff]")


@functools.lru_cache(maxsize=4)
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def is_traditional(text: str, sample: int = 20000) -> bool:
    """True when the text is written in traditional characters: at least 2% of its Chinese
    characters (and at least 5 of them) change under character conversion."""
    head = text[:sample]
    n_cjk = len(_CJK.findall(head))
    if n_cjk < 5:
        return False
    simplified = _converter("t2s").convert(head)
    changed = sum(1 for a, b in zip(head, simplified) if a != b) if len(simplified) == len(head) else n_cjk
    return changed >= 5 and changed >= 0.02 * n_cjk


def to_simplified(text: str) -> tuple[str, bool]:
    """(simplified text, whether it was converted). Phrases too: lengths may change."""
    if not text or text.isascii() or not is_traditional(text):
        return text, False
    return _converter(CONFIG).convert(text), True


def simplify(text: str) -> str:
    """Unconditional conversion (a part of a document already known to be traditional)."""
    return _converter(CONFIG).convert(text) if text and not text.isascii() else text


def to_simplified_chars(text: str) -> str:
    """Character-by-character conversion that keeps the length (offsets stay valid)."""
    if not text or text.isascii():
        return text
    out = _converter("t2s").convert(text)
    if len(out) == len(text):
        return out
    conv = _converter("t2s").convert
    return "".join(c if len(s := conv(c)) != 1 else s for c in text)
