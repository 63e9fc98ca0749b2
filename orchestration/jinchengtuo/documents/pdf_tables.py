"""Tables of PDF and DOCX documents as `Grid`s.

PDF: tables are rebuilt from the page's words and their positions (``page.get_text("words")``)
and the ruling lines the page draws (``page.get_cdrawings()``), both cheap (about a millisecond
per page each), where PyMuPDF's ``find_tables`` costs 0.25-2.5 s per page
(sample corpus, 2026-12: about 1.9 ms of CPU per page in all, half of it get_cdrawings;
1.6x plain text).

How a page is read:

1. Ruling lines: stroked lines, thin filled rectangles (Excel/WPS draw borders so) and the
   edges of stroked rectangles become horizontal and vertical segments; white ones are ignored.
   Collinear pieces are joined.
2. Tables: segments that touch each other form one frame; a frame with at least two rows and
   two columns of cells is a table (a box around a single note is not; an outer page frame that
   holds other frames is not). Tables drawn with horizontal rules only (three-line tables, a box
   with rules between rows) take their columns from the white space of their rows (see
   `_text_columns`) and are kept only when most rows have text in two columns or more.
3. Cells: the distinct x of the vertical lines and y of the horizontal lines cut the frame into
   elementary cells; two neighbours with no line drawn between them belong to one merged cell,
   whose text is repeated into every grid position it covers (the `grids.html_grids` convention).
   A word that straddles a drawn border (two cells' texts run together) is cut at the border
   from its characters' positions.
4. Cell text: lines top to bottom, words left to right; wrapped CJK labels join without spaces.
5. Caption and unit: the three text lines nearest above the table (below the table above it);
   the caption is the nearest title line (…表, …情况, …明细), the unit from
   `numbers.unit_from_header`. Page numbers (第 3 页, - 3 -) and running heads (a line repeated
   in the page margins) are never captions; a caption left at the foot of the previous page
   names the table that opens the next one.
6. A table that runs over a page break continues in the same `Grid` when the next page's first
   table has the same columns (or a subset: a part of header rows only hides the borders its
   merged cells cover) and nothing but page furniture stands between them (a caption marked 续
   also continues); header rows repeated at the top of the continuation are dropped.

DOCX: python-docx tables in body order, merged cells repeated, caption and unit from the
paragraphs just before each table; `page` is the section number (1 unless the document has
section breaks).

Documents are untrusted: nothing in them is executed; text is returned as text.
"""

from __future__ import annotations

import io
import re
from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np

from jinchengtuo.documents.grids import CAPTION_HINT, META_LINE, Grid, is_caption
from jinchengtuo.documents.numbers import unit_from_header


class TableReadError(ValueError):
    """A document whose tables cannot be read (damaged file, not a PDF/DOCX)."""


# ----------------------------------------------------------------------------- text joining

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\u2018-\u201d\u2014\u2026]")


def _joiner(left: str, right: str, wrapped: bool) -> str:
    """What goes between two pieces of one cell's text.

    Words of one line: nothing between two CJK characters (a letter-spaced 合  计), else a
    space (20101 人大事务). Lines of one cell (a wrapped label): nothing when either side is
    CJK or full-width punctuation, nothing inside a number broken over two lines, else a space.
    """
    if not left or not right:
        return ""
    a, b = left[-1], right[0]
    a_cjk, b_cjk = bool(_CJK.match(a)), bool(_CJK.match(b))
    if not wrapped:
        return "" if a_cjk and b_cjk else " "
    if a_cjk or b_cjk:
        return ""
    if (a.isdigit() or a in ",.") and (b.isdigit() or b in ",."):
        return ""
    return " "


def join_pieces(pieces: list[str], wrapped: bool = True) -> str:
    """Pieces of one cell's text joined (`wrapped`: each piece is a line of its own)."""
    out = ""
    for p in pieces:
        p = " ".join(p.split())
        if p:
            out += _joiner(out, p, wrapped) + p
    return out


# ----------------------------------------------------------------------------- page furniture

PAGE_FURNITURE = re.compile(
    r"^\s*(?:第\s*[0-9０-９]+\s*页(?:\s*[,，/]?\s*共\s*[0-9０-９]+\s*页)?"
    r"|[-—–－]\s*[0-9０-９]+\s*[-—–－]"
    r"|[0-9０-９]+\s*/\s*[0-9０-９]+"
    r"|[0-9０-９]{1,4}"
    r"|page\s*[0-9]+(?:\s*of\s*[0-9]+)?)\s*$",
    re.IGNORECASE,
)
# a line that only numbers the table (公开02表, 表3, 附表2, 部门决算表3 counts as a title)
TABLE_NUMBER = re.compile(r"^\s*(?:公开|附)?(?:附?表)?\s*[0-9０-９一二三四五六七八九十]+\s*(?:号)?表?\s*$")
CONTINUED = re.compile(r"续表|[（(]续[）)]|接上表|续上表")
UNIT_PHRASE = re.compile(r"[（(]?\s*(?:金额|计量)?单位\s*[:：]?\s*(?:人民币)?\s*(?:百万元|亿元|万元|千元|元|万人次|人次|人|件|个|%)\s*[）)]?")


def is_page_furniture(text: str) -> bool:
    return bool(PAGE_FURNITURE.match(text))


def caption_and_unit(lines_before: list[str]) -> tuple[str, str | None]:
    """(caption, unit) from the text lines just above a table (nearest last).

    The caption is the nearest line that, once its unit phrase is removed, is a title (表,
    情况, 明细) and not just a table number; else the nearest table-number line; else the
    nearest line. The unit is the nearest line's declared unit."""
    unit = None
    for ln in reversed(lines_before):
        unit = unit_from_header(ln)
        if unit:
            break
    caption = ""
    numbered = ""
    for ln in reversed(lines_before):
        rest = " ".join(UNIT_PHRASE.sub(" ", ln).split())
        if not rest:
            continue
        if TABLE_NUMBER.match(rest):
            numbered = numbered or rest
            continue
        if is_caption(rest):
            caption = rest
            break
    if not caption:
        caption = numbered or next((" ".join(UNIT_PHRASE.sub(" ", ln).split()) for ln in reversed(lines_before)
                                    if UNIT_PHRASE.sub("", ln).strip() and not META_LINE.match(ln)), "")
    return caption, unit


# ----------------------------------------------------------------------------- ruling lines

SNAP = 3.0  # points: coordinates closer than this are one line / one boundary
MIN_SEG = 2.0  # points: shorter marks are not ruling lines
THIN = 2.5  # points: a filled rectangle thinner than this is a line


@dataclass
class _Seg:
    pos: float  # y of a horizontal segment, x of a vertical one
    a: float  # start along the segment
    b: float  # end


def _is_white(color) -> bool:
    return color is not None and len(color) >= 3 and min(color[:3]) > 0.9


def _page_segments(page, mat) -> tuple[list[_Seg], list[_Seg]]:
    """Horizontal and vertical ruling segments of a page (as displayed: `mat` is the page's
    rotation matrix, None for an unrotated page), joined where collinear."""
    hs: list[_Seg] = []
    vs: list[_Seg] = []

    def add_line(x0, y0, x1, y1):
        if mat is not None:
            x0, y0, x1, y1 = _rotate_box(mat, x0, y0, x1, y1, as_box=False)
        if abs(y1 - y0) <= 1.0 and abs(x1 - x0) >= MIN_SEG:
            hs.append(_Seg((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
        elif abs(x1 - x0) <= 1.0 and abs(y1 - y0) >= MIN_SEG:
            vs.append(_Seg((x0 + x1) / 2, min(y0, y1), max(y0, y1)))

    def add_rect(x0, y0, x1, y1, stroked):
        if mat is not None:
            x0, y0, x1, y1 = _rotate_box(mat, x0, y0, x1, y1)
        x0, x1 = min(x0, x1), max(x0, x1)
        y0, y1 = min(y0, y1), max(y0, y1)
        w, h = x1 - x0, y1 - y0
        if h <= THIN and w >= MIN_SEG:
            hs.append(_Seg((y0 + y1) / 2, x0, x1))
        elif w <= THIN and h >= MIN_SEG:
            vs.append(_Seg((x0 + x1) / 2, y0, y1))
        elif stroked:
            hs.extend((_Seg(y0, x0, x1), _Seg(y1, x0, x1)))
            vs.extend((_Seg(x0, y0, y1), _Seg(x1, y0, y1)))
        # a large filled rectangle is shading, not a border

    for path in page.get_cdrawings():
        kind = path.get("type") or ""
        stroked = "s" in kind and not _is_white(path.get("color"))
        filled = "f" in kind and not _is_white(path.get("fill"))
        if not stroked and not filled:
            continue
        for item in path.get("items", ()):
            op = item[0]
            if op == "l" and stroked:
                (x0, y0), (x1, y1) = item[1], item[2]
                add_line(x0, y0, x1, y1)
            elif op == "re":
                x0, y0, x1, y1 = item[1]
                add_rect(x0, y0, x1, y1, stroked)
            elif op == "qu":
                pts = item[1]
                xs = [p[0] for p in pts]
                ys = [p[1] for p in pts]
                add_rect(min(xs), min(ys), max(xs), max(ys), stroked)
    return _join(hs), _join(vs)


def _rotate_box(mat, x0, y0, x1, y1, as_box: bool = True) -> tuple[float, float, float, float]:
    """A box (or, with as_box=False, a segment's two end points) mapped by matrix `mat`."""
    a, b, c, d, e, f = mat.a, mat.b, mat.c, mat.d, mat.e, mat.f
    p0 = (a * x0 + c * y0 + e, b * x0 + d * y0 + f)
    p1 = (a * x1 + c * y1 + e, b * x1 + d * y1 + f)
    if not as_box:
        return p0[0], p0[1], p1[0], p1[1]
    return min(p0[0], p1[0]), min(p0[1], p1[1]), max(p0[0], p1[0]), max(p0[1], p1[1])


def _cluster(values: list[float], tol: float = SNAP) -> list[float]:
    """Sorted representatives of values, those closer than tol merged (mean)."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(c) / len(c) for c in out]


def _join(segs: list[_Seg]) -> list[_Seg]:
    """Snap segments onto shared positions and join overlapping/touching collinear pieces."""
    if not segs:
        return []
    reps = _cluster([s.pos for s in segs], 1.0)
    n_reps = len(reps)
    out: list[_Seg] = []
    by_pos: dict[float, list[_Seg]] = {}
    for s in segs:
        i = bisect_right(reps, s.pos)  # the nearest representative, a tie to the lower one
        if i == 0:
            rep = reps[0]
        elif i == n_reps:
            rep = reps[-1]
        else:
            rep = reps[i] if abs(reps[i] - s.pos) < abs(reps[i - 1] - s.pos) else reps[i - 1]
        by_pos.setdefault(rep, []).append(s)
    for pos, group in by_pos.items():
        group.sort(key=lambda s: s.a)
        cur = _Seg(pos, group[0].a, group[0].b)
        for s in group[1:]:
            if s.a <= cur.b + 1.5:
                cur.b = max(cur.b, s.b)
            else:
                out.append(cur)
                cur = _Seg(pos, s.a, s.b)
        out.append(cur)
    return out


@dataclass
class _Frame:
    hs: list[_Seg]
    vs: list[_Seg]
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0
    xs: list[float] = field(default_factory=list)  # column boundaries
    ys: list[float] = field(default_factory=list)  # row boundaries
    ruled: bool = True  # columns drawn; False: only horizontal rules, columns from the text


def _frames(hs: list[_Seg], vs: list[_Seg]) -> list[_Frame]:
    """Groups of touching segments with at least two rows and two columns of cells (ruled
    frames), boxes without inner vertical lines (frames whose columns the text gives), and
    stacks of three or more horizontal rules of one width (three-line tables, tables drawn with
    horizontal borders only)."""
    n = len(hs) + len(vs)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    tol = 2.0
    vs_sorted = sorted(range(len(vs)), key=lambda k: vs[k].pos)
    v_pos = [vs[k].pos for k in vs_sorted]
    for i, h in enumerate(hs):
        lo = bisect_right(v_pos, h.a - tol - 1e-9)
        hi = bisect_right(v_pos, h.b + tol)
        for k in vs_sorted[lo:hi]:
            v = vs[k]
            if v.a - tol <= h.pos <= v.b + tol:
                a, b = find(i), find(len(hs) + k)
                if a != b:
                    parent[a] = b
    groups: dict[int, _Frame] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), _Frame([], [])).hs.append(h)
    for k, v in enumerate(vs):
        groups.setdefault(find(len(hs) + k), _Frame([], [])).vs.append(v)
    frames = []
    loose: list[_Seg] = []  # horizontal rules touching no vertical line
    for f in groups.values():
        if not f.vs:
            loose.extend(f.hs)
            continue
        if not f.hs:
            continue
        f.xs = _cluster([v.pos for v in f.vs])
        f.ys = _cluster([h.pos for h in f.hs])
        if len(f.xs) < 2 or len(f.ys) < 2:
            continue
        f.x0, f.x1 = f.xs[0], f.xs[-1]
        f.y0, f.y1 = f.ys[0], f.ys[-1]
        if (f.x1 - f.x0) < 10 or (f.y1 - f.y0) < 5:
            continue
        f.ruled = len(f.xs) >= 3
        frames.append(f)
    frames += _rule_stacks(loose)

    # an outer frame (page border) that holds other frames is not a table
    def inside(a: _Frame, b: _Frame) -> bool:
        return a is not b and a.x0 >= b.x0 - 1 and a.x1 <= b.x1 + 1 and a.y0 >= b.y0 - 1 and a.y1 <= b.y1 + 1
    frames = [f for f in frames if not any(inside(g, f) for g in frames)]
    frames.sort(key=lambda f: (f.y0, f.x0))
    return frames


MIN_RULE = 100.0  # points: a horizontal rule of a table without vertical lines is at least this wide


def _rule_stacks(hs: list[_Seg]) -> list[_Frame]:
    """Frames from stacks of two or more horizontal rules sharing both ends (top rule, rule
    under the header, bottom rule, and any rules between rows; a table part cut by a page break
    may lack its bottom rule: see `_extend_open_stacks`)."""
    by_extent: list[list[_Seg]] = []
    for h in sorted((h for h in hs if h.b - h.a >= MIN_RULE), key=lambda h: h.pos):
        for group in by_extent:
            if abs(group[0].a - h.a) <= SNAP and abs(group[0].b - h.b) <= SNAP:
                group.append(h)
                break
        else:
            by_extent.append([h])
    frames = []
    for group in by_extent:
        ys = _cluster([h.pos for h in group])
        if len(ys) < 2:
            continue
        f = _Frame(group, [], min(h.a for h in group), ys[0], max(h.b for h in group), ys[-1], [], ys, ruled=False)
        frames.append(f)
    return frames


def _borders(segs: list[_Seg], positions: list[float], cuts: list[float]) -> list[list[bool]]:
    """For every boundary position (sorted) and every interval [cuts[i], cuts[i + 1]]: whether a
    segment drawn along the boundary (within SNAP of it; a segment counts for its nearest
    boundary, a tie for the lower one) covers the interval, but for its ends (lines meet with a
    gap or an overlap of up to a quarter of the interval, at most 2 points). Returns out[i][k]
    for interval i, boundary k."""
    n_iv = len(cuts) - 1
    n_pos = len(positions)
    drawn: list[list[tuple[float, float]]] = [[] for _ in positions]
    for s in segs:
        i = bisect_right(positions, s.pos)
        if i == 0:
            k = 0
        elif i == n_pos:
            k = n_pos - 1
        else:
            k = i if abs(positions[i] - s.pos) < abs(positions[i - 1] - s.pos) else i - 1
        if abs(positions[k] - s.pos) <= SNAP:
            drawn[k].append((s.a, s.b))
    ends = []
    for a, b in zip(cuts, cuts[1:]):
        d = min(2.0, (b - a) * 0.25)
        ends.append((a + d, b - d))
    by_boundary = []
    for extents in drawn:
        if not extents:
            by_boundary.append([False] * n_iv)
        elif len(extents) == 1:  # the usual case: one joined segment along the boundary
            sa, sb = extents[0]
            by_boundary.append([sa <= lo and sb >= hi for lo, hi in ends])
        else:
            by_boundary.append([any(sa <= lo and sb >= hi for sa, sb in extents) for lo, hi in ends])
    return [list(r) for r in zip(*by_boundary)] if by_boundary else [[] for _ in range(n_iv)]


# ----------------------------------------------------------------------------- words to cells

Word = tuple  # (x0, y0, x1, y1, text)


def _lines_of(words: list[Word]) -> list[list[Word]]:
    """Words grouped into visual lines (top to bottom), each left to right."""
    if len(words) == 1:
        return [list(words)]
    lines: list[tuple[float, list[Word]]] = []  # (bottom of the line's first word, words)
    for w in sorted(words, key=lambda w: w[1] + w[3]):
        # words come by their vertical centre: one belongs to the current line while its
        # centre is above the bottom of the line's first word (smaller text on the same
        # baseline, such as a unit beside a caption, stays on the line)
        if lines and (w[1] + w[3]) / 2 <= lines[-1][0]:
            lines[-1][1].append(w)
        else:
            lines.append((w[3], [w]))
    return [sorted(ws, key=lambda w: w[0]) for _, ws in lines]


def _line_text(line: list[Word]) -> str:
    return join_pieces([w[4] for w in line], wrapped=False)


def _cell_text(words: list[Word]) -> str:
    if len(words) == 1:
        return " ".join(words[0][4].split())
    return join_pieces([_line_text(ln) for ln in _lines_of(words)])


def _split_straddling(page, mat, word: Word, cuts: list[float]) -> list[Word]:
    """Cut a word that runs over drawn cell borders into pieces, from its characters' boxes."""
    import pymupdf

    x0, y0, x1, y1, text = word[:5]
    chars = []
    clip = pymupdf.Rect(x0 - 0.5, y0 - 0.5, x1 + 0.5, y1 + 0.5)
    if mat is not None:
        clip = clip * page.derotation_matrix
    raw = page.get_text("rawdict", clip=clip)
    for block in raw.get("blocks", ()):
        for line in block.get("lines", ()):
            for span in line.get("spans", ()):
                for ch in span.get("chars", ()):
                    bx0, by0, bx1, by1 = ch["bbox"] if mat is None else _rotate_box(mat, *ch["bbox"])
                    cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
                    if x0 - 0.5 <= cx <= x1 + 0.5 and y0 - 0.5 <= cy <= y1 + 0.5 and not ch["c"].isspace():
                        chars.append((bx0, by0, bx1, by1, ch["c"]))
    if not chars:
        return [word]
    chars.sort(key=lambda c: c[0])
    pieces: dict[int, list] = {}
    for c in chars:
        k = bisect_right(cuts, (c[0] + c[2]) / 2)
        pieces.setdefault(k, []).append(c)
    return [(p[0][0], min(c[1] for c in p), p[-1][2], max(c[3] for c in p), "".join(c[4] for c in p))
            for _, p in sorted(pieces.items())]


@dataclass
class _Line:
    y0: float
    y1: float
    text: str
    margin: bool  # in the top or bottom eighth of the page (where running heads live)
    x0: float = 0.0
    x1: float = 0.0


@dataclass
class _PageTable:
    rows: list[list[str]]
    frame: _Frame
    lines_before: list[_Line]  # text lines between the previous table (or page top) and this one
    lines_after: list[_Line] = field(default_factory=list)  # text lines below it on its page


def _frame_grid(page, mat, frame: _Frame, words: list[Word]) -> list[list[str]]:
    xs, ys = frame.xs, frame.ys
    nr, nc = len(ys) - 1, len(xs) - 1
    # drawn borders between elementary cells: v_border[i][j] left of cell (i, j), h_border[j][i] above it
    v_border = _borders(frame.vs, xs, ys)
    h_border = _borders(frame.hs, ys, xs)
    # neighbours with no line drawn between them are one merged cell (most borders are drawn:
    # the union-find runs over the missing ones only)
    parent: dict[int, int] = {}

    def find(c):
        while parent.get(c, c) != c:
            parent[c] = parent.get(parent[c], parent[c])
            c = parent[c]
        return c

    for i in range(nr):
        row = v_border[i]
        for j in range(nc - 1):
            if not row[j + 1]:
                a, b = find(i * nc + j), find(i * nc + j + 1)
                if a != b:
                    parent[a] = b
    for j in range(nc):
        col = h_border[j]
        for i in range(nr - 1):
            if not col[i + 1]:
                a, b = find(i * nc + j), find((i + 1) * nc + j)
                if a != b:
                    parent[a] = b
    root = list(range(nr * nc))
    for c in parent:
        root[c] = find(c)
    cell_words: dict[int, list[Word]] = {}
    if words:
        # row, column and the borders crossed of every word at once (bisect_right = searchsorted right)
        box = np.array([w[:4] for w in words], dtype=float)
        xa, ya = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        rows = np.minimum(np.maximum(np.searchsorted(ya, (box[:, 1] + box[:, 3]) / 2, side="right") - 1, 0), nr - 1)
        cols = np.minimum(np.maximum(np.searchsorted(xa, (box[:, 0] + box[:, 2]) / 2, side="right") - 1, 0), nc - 1)
        lo = np.searchsorted(xa, box[:, 0] + 1.0, side="right")
        hi = np.searchsorted(xa, box[:, 2] - 1.0, side="right")
        cells = (rows * nc + cols).tolist()
        crossing = set(np.nonzero(np.minimum(hi, nc) > np.maximum(lo, 1))[0].tolist())
        rows, lo, hi = rows.tolist(), lo.tolist(), hi.tolist()
        for n, w in enumerate(words):
            if n not in crossing:
                cell_words.setdefault(root[cells[n]], []).append(w)
                continue
            i = rows[n]
            # borders the word runs over (text of two cells run together into one word)
            cuts = [xs[j] for j in range(max(lo[n], 1), min(hi[n], nc)) if v_border[i][j]]
            for p in (_split_straddling(page, mat, w, cuts) if cuts else [w]):
                j = bisect_right(xs, (p[0] + p[2]) / 2) - 1
                j = min(max(j, 0), nc - 1)
                cell_words.setdefault(root[i * nc + j], []).append(p)
    texts = {r: _cell_text(ws) for r, ws in cell_words.items()}
    return [[texts.get(root[i * nc + j], "") for j in range(nc)] for i in range(nr)]


def _segments_of_line(line: list[Word]) -> list[list[float]]:
    """The x extents of a line's runs of text (words closer than half a point are one run)."""
    runs: list[list[float]] = []
    for w in line:  # left to right
        if runs and w[0] <= runs[-1][1] + 0.5:
            runs[-1][1] = max(runs[-1][1], w[2])
        else:
            runs.append([w[0], w[2]])
    return runs


def _text_columns(words: list[Word], rows: list[list[Word]], x0: float, x1: float) -> list[float]:
    """Column boundaries of a table without vertical lines. Returns [x0, ..., x1].

    1. Vertical strips of white space left by every text line that holds two runs of text or
       more (a line of one run, such as a wrapped label's first line or a category label
       running over empty figure cells, says nothing about where columns part) separate
       columns. The boundary is put a cell padding after the text on its left, since figures
       are right-aligned: white space between columns belongs to the column on its right.
    2. A word that crosses a boundary although its row has text in the column beyond (a long
       label beside its figures) pushes the boundary past its end, when no other text starts
       in between.
    """
    heights = sorted(w[3] - w[1] for w in words)
    min_gap = max(3.0, 0.4 * heights[len(heights) // 2]) if heights else 3.0
    lines = [_segments_of_line(ln) for ln in _lines_of(words)]
    informative = [ln for ln in lines if len(ln) >= 2] or lines
    events: list[tuple[float, int]] = []
    for runs in informative:
        for a, b in runs:
            events += [(a, 1), (b, -1)]
    events.sort()
    inner: list[float] = []
    count, gap_start = 0, None
    for x, d in events:
        if count == 0 and gap_start is not None and d > 0 and x - gap_start >= min_gap:
            inner.append(gap_start + min(6.0, (x - gap_start) / 2))
        count += d
        if count == 0:
            gap_start = x
    starts = sorted(w[0] for w in words)
    for _ in range(len(inner)):
        moved = False
        for row in rows:
            for w in row:
                for k, b in enumerate(inner):
                    if not (w[0] < b - 1.0 and w[2] > b + 1.0):
                        continue
                    nxt = inner[k + 1] if k + 1 < len(inner) else x1
                    beyond = any(o is not w and b <= (o[0] + o[2]) / 2 < nxt for o in row)
                    new = w[2] + min(6.0, max(0.5, (nxt - w[2]) / 2))
                    blocked = any(w[2] < x0_ < new for x0_ in starts) or new >= nxt
                    if beyond and not blocked:
                        inner[k] = new
                        moved = True
        if not moved:
            break
    return [x0] + inner + [x1]


def _text_grid(frame: _Frame, words: list[Word]) -> list[list[str]]:
    """Rows and columns of a frame without vertical lines: rows from the horizontal rules and,
    between two rules, from words that overlap vertically (a wrapped label and the figures
    centred beside it are one row); columns from the white space (`_text_columns`, from the
    body's rows: header cells above the first rule are centred over their columns or span
    several). A word over several columns that its row leaves empty is a cell spanning them
    (repeated into each)."""
    ys = frame.ys
    by_band: dict[int, list[Word]] = {}
    for w in words:
        i = min(max(bisect_right(ys, (w[1] + w[3]) / 2) - 1, 0), len(ys) - 2)
        by_band.setdefault(i, []).append(w)
    bands: list[list[list[Word]]] = []
    for i in sorted(by_band):
        chained: list[list] = []  # [y0, y1, words]
        for w in sorted(by_band[i], key=lambda w: w[1]):
            if chained and min(w[3], chained[-1][1]) - max(w[1], chained[-1][0]) >= 0.3 * (w[3] - w[1]):
                chained[-1][2].append(w)
                chained[-1][1] = max(chained[-1][1], w[3])
            else:
                chained.append([w[1], w[3], [w]])
        bands.append([c[2] for c in chained])
    # no rule under a header (one band): every row is body
    header_band = 1 if len(bands) > 1 and min(by_band) == 0 else 0
    body_rows = [r for band in bands[header_band:] for r in band]
    xs = _text_columns([w for r in body_rows for w in r], body_rows, frame.x0, frame.x1)
    frame.xs = xs
    nc = len(xs) - 1
    if nc < 2:
        return []

    def home(w: Word) -> int:
        return min(max(bisect_right(xs, (w[0] + w[2]) / 2) - 1, 0), nc - 1)

    # a cell centred over two rows (项目 beside 金额 / 本年 上年) is a line of its own between
    # them, in columns both leave empty: it spans them
    for band in bands:
        k = 1
        while k < len(band) - 1:
            own = {home(w) for w in band[k]}
            if own.isdisjoint(home(w) for w in band[k - 1]) and own.isdisjoint(home(w) for w in band[k + 1]):
                band[k - 1] = band[k - 1] + band[k]
                band[k + 1] = band[k + 1] + band[k]
                del band[k]
            else:
                k += 1
    header_rows = len(bands[0]) if header_band else 0
    rows = [r for band in bands for r in band]
    body_rows = rows[header_rows:]
    homes = [[home(w) for w in row] for row in rows]
    tabular = sum(1 for h in homes[header_rows:] if len(set(h)) >= 2)
    if tabular < max(2, (len(body_rows) + 1) // 2):
        return []  # text between rules (prose, a form line or two), not a table
    grid: list[list[str]] = []
    for row, home in zip(rows, homes):
        taken = set(home)
        cells: list[list[Word]] = [[] for _ in range(nc)]
        for w, j0 in zip(row, home):
            # a word also fills the neighbouring columns holding 40% of it that its row leaves empty
            width = max(w[2] - w[0], 0.1)
            for j in range(nc):
                if j == j0 or (j not in taken and min(w[2], xs[j + 1]) - max(w[0], xs[j]) >= 0.4 * width):
                    cells[j].append(w)
        grid.append([_cell_text(c) if c else "" for c in cells])
    return grid


CAPTION_LINE = re.compile(r"表\s*$|表\s*[0-9０-９一二三四五六七八九十]+|单位\s*[:：]|^\s*[（(]?续")


def _split_stacks(frames: list[_Frame], words: list[Word]) -> list[_Frame]:
    """Cut a stack of horizontal rules where the text between two of its rules is not a table
    row: prose (lines of one run of text, the first over most of the width) or a caption (…表,
    单位：…). Two three-line tables of
    the same width one above the other are two tables."""
    out: list[_Frame] = []
    for f in frames:
        if f.ruled:
            out.append(f)
            continue
        start = 0
        for i in range(len(f.ys) - 1):
            band = [w for w in words if f.x0 <= (w[0] + w[2]) / 2 <= f.x1 and f.ys[i] < (w[1] + w[3]) / 2 < f.ys[i + 1]]
            lines = _lines_of(band)
            prose = all(len(_segments_of_line(ln)) < 2 for ln in lines) and (
                lines[0][-1][2] - lines[0][0][0] >= 0.6 * (f.x1 - f.x0)) if lines else False
            outside = prose or any(CAPTION_LINE.search(_line_text(ln)) for ln in lines)
            if outside:
                if i - start >= 1:
                    out.append(_Frame(f.hs, [], f.x0, f.ys[start], f.x1, f.ys[i], [], f.ys[start:i + 1], ruled=False))
                start = i + 1
        if len(f.ys) - 1 - start >= 1:
            out.append(_Frame(f.hs, [], f.x0, f.ys[start], f.x1, f.ys[-1], [], f.ys[start:], ruled=False))
    out.sort(key=lambda f: (f.y0, f.x0))
    return out


def _extend_open_stacks(frames: list[_Frame], words: list[Word]) -> list[_Frame]:
    """A table drawn with horizontal rules whose part on this page ends without a bottom rule
    (the page broke it): the rows of text below its last rule belong to it, as long as they
    read as table rows (two runs of text or more, or a short label) and follow each other
    closely, up to the next frame."""
    out = []
    for n, f in enumerate(frames):
        if f.ruled:
            out.append(f)
            continue
        limit = min((g.y0 for g in frames[n + 1:] if g.y0 > f.y1), default=float("inf"))
        below = [w for w in words if f.x0 <= (w[0] + w[2]) / 2 <= f.x1 and f.y1 < (w[1] + w[3]) / 2 < limit]
        bottom, taken = f.y1, 0
        for ln in _lines_of(below):
            top, low = min(w[1] for w in ln), max(w[3] for w in ln)
            height = low - top
            text = _line_text(ln)
            runs = _segments_of_line(ln)
            row_like = len(runs) >= 2 or (runs[0][1] - runs[0][0] < 0.6 * (f.x1 - f.x0) and not CAPTION_LINE.search(text))
            if top - bottom > 1.5 * height or not row_like or is_page_furniture(text):
                break
            bottom, taken = low, taken + (len(runs) >= 2)
        if taken >= 2:
            f = _Frame(f.hs, [], f.x0, f.y0, f.x1, bottom + 1.0, [], f.ys + [bottom + 1.0], ruled=False)
        out.append(f)
    return out


def _page_tables(page, page_words: list | None = None) -> tuple[list[_PageTable], list[_Line]]:
    """Tables of one page, and the page's text lines outside tables (top to bottom)."""
    mat = page.rotation_matrix if page.rotation % 360 else None
    hs, vs = _page_segments(page, mat)
    frames = _frames(hs, vs) if hs else []
    words = [w[:5] for w in (page.get_text("words") if page_words is None else page_words) if w[4].strip()]
    if mat is not None:
        words = [(*_rotate_box(mat, *w[:4]), w[4]) for w in words]
    if any(not f.ruled for f in frames):
        frames = _extend_open_stacks(_split_stacks(frames, words), words)
    inside: list[list[Word]] = [[] for _ in frames]
    outside: list[Word] = []
    for w in words:
        cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
        for k, f in enumerate(frames):
            if f.x0 <= cx <= f.x1 and f.y0 <= cy <= f.y1:
                inside[k].append(w)
                break
        else:
            outside.append(w)
    height = page.rect.height or 1.0
    lines = []
    for whole in _lines_of(outside):
        # texts far apart on one line (captions of tables side by side) are separate lines
        gap = 3.0 * sorted(w[3] - w[1] for w in whole)[len(whole) // 2]
        parts = [[whole[0]]]
        for w in whole[1:]:
            if w[0] - parts[-1][-1][2] > gap:
                parts.append([w])
            else:
                parts[-1].append(w)
        for ln in parts:
            y0, y1 = min(w[1] for w in ln), max(w[3] for w in ln)
            lines.append(_Line(y0, y1, _line_text(ln), y1 < height / 8 or y0 > height * 7 / 8, ln[0][0], max(w[2] for w in ln)))
    tables: list[_PageTable] = []
    for k, f in enumerate(frames):
        rows = _frame_grid(page, mat, f, inside[k]) if f.ruled else _text_grid(f, inside[k])
        if not rows:
            continue
        if len(rows) * len(rows[0]) < 2 or not any(any(c for c in r) for r in rows):
            continue  # a box around one note, or an empty frame: not a table
        # the text above it, up to the table above it (tables may stand side by side)
        prev_bottom = max((t.frame.y1 for t in tables if t.frame.y1 <= f.y0 + 1 and t.frame.x0 < f.x1 and t.frame.x1 > f.x0),
                          default=float("-inf"))
        near = 0.25 * (f.x1 - f.x0)  # a unit line may stand a little beyond the table's right edge
        before = [ln for ln in lines if prev_bottom - 1 <= (ln.y0 + ln.y1) / 2 <= f.y0 + 1
                  and ln.x0 < f.x1 + near and ln.x1 > f.x0 - near]
        tables.append(_PageTable(rows, f, before))
    for t in tables:
        t.lines_after = [ln for ln in lines if (ln.y0 + ln.y1) / 2 > t.frame.y1 + 1]
    return tables, lines


_DIGITS = re.compile(r"[0-9０-９]+")


def _running_lines(pages: list[list[_Line]]) -> set[str]:
    """Texts (digits masked) of lines repeated in the top or bottom margin of several pages
    (running heads and feet such as 某某街道2022年部门决算 · 第3页), unless they read as a
    table title or declare a unit (单位：万元 above every table that starts a page)."""
    seen: dict[str, int] = {}
    for lines in pages:
        for key in {_DIGITS.sub("#", ln.text) for ln in lines if ln.margin}:
            seen[key] = seen.get(key, 0) + 1
    return {k for k, n in seen.items() if n >= 2 and not CAPTION_HINT.search(k)}


def _common_columns(a: list[float], b: list[float]) -> list[float] | None:
    """The column boundaries of two parts of one table, if they can be: the same outer edges,
    and one part's boundaries a subset of the other's (a part made of header rows only lacks the
    borders its merged cells hide). None when the parts' columns differ."""
    if abs(a[0] - b[0]) > SNAP or abs(a[-1] - b[-1]) > SNAP:
        return None
    fine, coarse = (a, b) if len(a) >= len(b) else (b, a)
    if all(any(abs(x - y) <= SNAP for y in fine) for x in coarse):
        return fine
    return None


def _refine(rows: list[list[str]], xs: list[float], finer: list[float]) -> list[list[str]]:
    """Rows laid on column boundaries `xs` re-laid on the finer boundaries: a cell over several
    finer columns is repeated into each (the convention for merged cells)."""
    if len(finer) == len(xs):
        return rows
    repeat = [sum(1 for k in range(len(finer) - 1) if xs[c] < (finer[k] + finer[k + 1]) / 2 < xs[c + 1])
              for c in range(len(xs) - 1)]
    return [[cell for cell, n in zip(row, repeat) for _ in range(n)] for row in rows]


def pdf_grids(data: bytes, words: list | None = None) -> list[Grid]:
    """Every table of a PDF as a Grid, in reading order (see the module docstring).

    `words`: each page's PyMuPDF words when the caller already read them with the text
    (`extract.read_pdf`); otherwise they are read here.

    Raises TableReadError (naming the page) when the file or a page cannot be read."""
    import pymupdf

    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:
        raise TableReadError(f"damaged or truncated PDF ({exc})") from exc
    pages: list[tuple[list[_PageTable], list[_Line]]] = []
    try:
        given = bool(words) and len(words) == len(doc)
        for page_no, page in enumerate(doc, start=1):
            try:
                pages.append(_page_tables(page, words[page_no - 1] if given else None))
            except Exception as exc:
                raise TableReadError(f"PDF page {page_no}: tables cannot be read ({exc})") from exc
    finally:
        doc.close()
    running = _running_lines([lines for _, lines in pages]) if len(pages) > 1 else set()

    def content(lines: list[_Line]) -> list[str]:
        """Lines that are not page furniture nor running heads."""
        return [ln.text for ln in lines if not is_page_furniture(ln.text)
                and not (ln.margin and _DIGITS.sub("#", ln.text) in running)]

    grids: list[Grid] = []
    open_table: tuple[Grid, list[float], bool] | None = None  # the last table, its columns, ruled? - if it ran to its page's end
    trailing: list[str] = []  # text at the end of the previous page, after its last table
    for page_no, (tables, lines) in enumerate(pages, start=1):
        if not tables and content(lines):
            open_table = None  # a page of prose ends any table
        for k, t in enumerate(tables):
            before = content(t.lines_before)
            if k == 0 and not before and trailing and (CAPTION_HINT.search(trailing[-1]) or unit_from_header(trailing[-1])):
                before = trailing[-3:]  # a caption left alone at the foot of the previous page
            xs = t.frame.xs
            columns = None
            if k == 0 and open_table is not None:
                if open_table[2] and t.frame.ruled:
                    columns = _common_columns(open_table[1], xs)
                elif (len(open_table[1]) == len(xs) and abs(open_table[1][0] - xs[0]) <= SNAP
                      and abs(open_table[1][-1] - xs[-1]) <= SNAP):
                    columns = xs  # columns read from the text: the same number within the same edges
            if columns is not None and (not before or any(CONTINUED.search(ln) for ln in before)):
                grid = open_table[0]
                grid.rows[:] = _refine(grid.rows, open_table[1], columns)
                rows = _refine(t.rows, xs, columns)
                xs = columns
                n = 0
                while n < len(rows) and n < len(grid.rows) and rows[n] == grid.rows[n]:
                    n += 1  # header rows repeated on the new page
                grid.rows.extend(rows[n:])
                grid.row_pages.extend([page_no] * (len(rows) - n))
            else:
                caption, unit = caption_and_unit(before[-3:])  # the three lines nearest the table
                if unit is None:  # a unit stated in the table's first row
                    unit = unit_from_header(" ".join(t.rows[0]))
                grid = Grid(len(grids) + 1, [list(r) for r in t.rows], page_no, caption, unit, [page_no] * len(t.rows))
                grids.append(grid)
            open_table = None if content(t.lines_after) else (grid, xs, t.frame.ruled)
        trailing = content(tables[-1].lines_after if tables else lines)
    return grids


# ----------------------------------------------------------------------------- DOCX

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_grids(data: bytes) -> list[Grid]:
    """Every top-level table of a DOCX as a Grid, in body order.

    Merged cells are repeated (python-docx returns the same cell for a horizontal span and the
    top cell for a vertical one); rows that start late or end early are padded with ''. Caption
    and unit come from the paragraphs just before the table; `page` is the section number."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise TableReadError(f"DOCX cannot be opened ({exc})") from exc
    def body_order(parent):
        """Paragraphs and tables in reading order, looking inside content controls (w:sdt)."""
        for el in parent.iterchildren():
            if el.tag == _W + "sdt":
                content = el.find(_W + "sdtContent")
                if content is not None:
                    yield from body_order(content)
            else:
                yield el

    grids: list[Grid] = []
    before: list[str] = []
    section = 1
    for el in body_order(document.element.body):
        tag = el.tag
        if tag == _W + "p":
            text = " ".join(Paragraph(el, document).text.split())
            if text:
                before = (before + [text])[-3:]
            if el.find(f"{_W}pPr/{_W}sectPr") is not None:
                section += 1  # this paragraph ends a section
        elif tag == _W + "tbl":
            table = Table(el, document)
            rows: list[list[str]] = []
            try:
                for r_index, row in enumerate(table.rows):
                    cells = [join_pieces(c.text.split("\n")) for c in row.cells]
                    rows.append([""] * row.grid_cols_before + cells + [""] * row.grid_cols_after)
            except Exception as exc:
                raise TableReadError(f"DOCX table {len(grids) + 1}, row {len(rows) + 1}: cannot be read ({exc})") from exc
            if rows:
                width = max(len(r) for r in rows)
                rows = [r + [""] * (width - len(r)) for r in rows]
                caption, unit = caption_and_unit(before)
                if unit is None:
                    unit = unit_from_header(" ".join(rows[0]))
                grids.append(Grid(len(grids) + 1, rows, section, caption, unit, [section] * len(rows)))
            before = []
    return grids
