"""Text on a PDF page that is not the body's: captions, sidebars and notes, told apart by where
they sit and the size they are set in (the runs of pdfruns.py); and body text that a scan's
OCR layer gives out of order.

Measured on an OCR'd scan (a diary with illustrations): the body is set at 11 pt; captions and
a technical sidebar at 8-9 pt, beside the body's column or in a line of their own under a
picture; a note on a picture at 8 pt below the page's last body line; a caption at full size
("Sibley Tent.") on a body line, kept apart from the body's words by a gap of 3-7 em where a
word space is under 1.5 em. Small capitals (8.8 pt dates, "JUNE 10TH.") and a TeX book's small
capitals and drop caps share a line with body-size text and no such gap, and quoted verse set
small sits between body lines, not beside them: those are the author's and stay.

The rules, each on one page against the book's body size (the size most of its letters are set in):
- a line is cut into cells at gaps wider than GAP em; on a line with a body cell, a small cell
  goes, and so does a full-size cell off the column that the lines above and below share;
- a line all in small type goes when a body line sits beside it (same height, no overlap);
- small type below the page's last body line, starting at the body's left margin, is a note;
- a line all in larger type than the body (a heading) stands between blank lines;
- two pieces of one line that the file gives apart (a column beside a picture) are joined;
  pieces either side of a gutter (a blank band between columns, down many lines) never are.
A page where no rule applies keeps pypdf's text exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from synth.sources.pdfruns import SIZE, TEXT, X0, X1, Y
from synth.document import Removed

GAP = 2.5  # em: wider than any word space in justified text (the OCR'd diary's widest is 1.3 em)
SMALL = 0.93  # of the body size: captions are set at 0.7-0.9 of it (a size wobbling by OCR stays above)
JOIN = 1.2  # em: the most between two pieces of one line that are joined
GUTTER_LINES = 3  # lines ending at a band and starting after it: a gutter between columns
RAGGED = 3  # em: how far short of its column's edge a ragged line may end
DISPLAY = 1.1  # of the body size: a line all in type this large or larger is a heading
CAPTION_WORDS = 12
CAPTION = "caption or sidebar"
NOTE = "note below the text"


_SENTENCE_END = re.compile(r"""[.!?]["'\u201d\u2019)\]]*$""")
_CAPTION = re.compile(r"[A-Z0-9][^.!?]*\.")  # one sentence, ending in a full stop


@dataclass
class _Line:
    runs: list  # the runs as the file gives them, the last one ending the line
    cells: list[list]  # inked runs, cut at wide gaps
    y: float
    size: float  # the largest size on the line, 0 without ink

    @property
    def x0(self) -> float:
        return min(c[0][X0] for c in self.cells)

    @property
    def x1(self) -> float:
        return max(c[-1][X1] for c in self.cells)


def body_size(pages: Sequence) -> float:
    """The size most of the book's letters are set in (0 when no page has runs)."""
    sizes = [(round(r[SIZE], 1), len(r[TEXT].strip())) for page in pages for r in page.runs if r[SIZE] > 0]
    total = sum(n for _, n in sizes)
    if not total:
        return 0.0
    count = 0
    for size, n in sorted(sizes):
        count += n
        if count >= total / 2:
            return size
    return 0.0  # pragma: no cover


def body_texts(pages: Sequence) -> tuple[list[str], list[Removed]]:
    """Each page's text without what is not the body's, and what went."""
    size = body_size(pages)
    texts, removed = [], []
    for page in pages:
        text, gone = page_body(page.text, page.runs, size, page.number) if size and page.runs else (page.text, [])
        texts.append(text)
        removed += gone
    return texts, removed


def page_body(text: str, runs: Sequence, size: float, number: int = 0) -> tuple[str, list[Removed]]:
    lines = _lines(runs, size)
    drops = {i: (CAPTION, cells) for i, cells in (_beside_drops(lines, size) | _caption_drops(lines, size)).items()}
    drops |= {i: (NOTE, cells) for i, cells in _note_drops(lines, size).items()}
    removed, kept = [], []
    for i, line in enumerate(lines):
        kind, gone = drops.get(i, ("", []))
        removed += [Removed(kind, number, _cell_text(cell)) for cell in gone]
        dropped = {id(r) for cell in gone for r in cell}
        if len(gone) == len(line.cells) and gone:
            kept.append([["\n", 0, 0, 0, 0]] if any("\n" in r[TEXT] for r in line.runs) else [])
        else:
            kept.append([[" ", 0, 0, 0, 0] if id(r) in dropped else r for r in line.runs])
    display = {i for i, line in enumerate(lines) if kept[i] and _display(line, size)}
    if not _join_pieces(lines, kept, size) and not drops and not display:
        return text, []
    result = ""
    for i, line in enumerate(kept):
        result = _block_break(result) if i in display else result
        for run in line:
            if run[TEXT] != "\n" or run[SIZE] or (result and not result.endswith("\n")):
                result += run[TEXT]  # a dropped line's line break only where the text before it has none
        result = _block_break(result) if i in display else result
    return result, removed


def _display(line: _Line, size: float) -> bool:
    """A line all in type larger than the body's, with two letters or more: a heading. (A drop
    cap is one letter, and shares its line or stands alone.)"""
    inked = [r for cell in line.cells for r in cell]
    return sum(c.isalpha() for r in inked for c in r[TEXT]) >= 2 and all(r[SIZE] >= DISPLAY * size for r in inked)


def _block_break(text: str) -> str:
    """The text ended by a blank line, as a paragraph ends: a heading never runs into the
    paragraph before it or after it, whatever its punctuation."""
    return text if not text or text.endswith("\n\n") else text.rstrip(" ") + ("\n" if text.endswith("\n") else "\n\n")


def _lines(runs: Sequence, size: float) -> list[_Line]:
    """The page's runs cut into lines: consecutive runs whose baselines are within half an em
    (a superscript stays on its line); line breaks and spaces go with the ink before them."""
    lines: list[list] = []
    baseline = None
    for run in runs:
        inked = run[SIZE] > 0 and run[TEXT].strip()
        if inked and (baseline is None or abs(run[Y] - baseline) > 0.5 * size):
            lines.append([])
            baseline = run[Y]
        if not lines:
            lines.append([])
        lines[-1].append(run)
    return [_line(line, size) for line in lines]


def _line(runs: list, size: float) -> _Line:
    inked = [r for r in runs if r[SIZE] > 0 and r[TEXT].strip()]
    cells: list[list] = []
    for run in inked:
        if cells and (run[X0] - cells[-1][-1][X1] > GAP * size or run[X0] < cells[-1][-1][X0]):
            cells.append([run])
        elif cells:
            cells[-1].append(run)
        else:
            cells.append([run])
    return _Line(runs, cells, inked[0][Y] if inked else 0.0, max((r[SIZE] for r in inked), default=0.0))


def _small(cell: list, size: float) -> bool:
    return all(r[SIZE] < SMALL * size for r in cell)


def _letters(cell: list) -> bool:
    return any(c.isalpha() for r in cell for c in r[TEXT])


def _is_body(line: _Line, size: float) -> bool:
    return any(_letters(c) and not _small(c, size) for c in line.cells)


def _body_sized(line: _Line, size: float) -> bool:
    """Letters at the body's size, no larger: not a heading, not a drop cap beside its lines."""
    return _is_body(line, size) and line.size <= (2 - SMALL) * size


def _cell_text(cell: list) -> str:
    return " ".join(" ".join(r[TEXT].split()) for r in cell)


def _beside_drops(lines: list[_Line], size: float) -> dict[int, list[list]]:
    """Cells that sit beside the body's text: on a body line, small cells and full-size cells
    off the column; lines all in small type at the height of a body line."""
    body = [i for i, line in enumerate(lines) if _is_body(line, size)]
    drops: dict[int, list[list]] = {}
    for i, line in enumerate(lines):
        if i in body and len(line.cells) > 1:
            column = [c for c in line.cells if not _small(c, size) and _in_column(c, i, lines, body)]
            gone = [c for c in line.cells if _letters(c) and (_small(c, size) or column and c not in column)]
            if gone and len(gone) < len(line.cells):
                drops[i] = gone
        elif i not in body and any(_letters(c) for c in line.cells) and _beside_body(line, [lines[j] for j in body]):
            drops[i] = line.cells
    return drops


def _in_column(cell: list, i: int, lines: list[_Line], body: list[int]) -> bool:
    """Whether a cell lies under the line above and over the line below (the nearest body lines)."""
    y = lines[i].y
    above = [lines[j] for j in body if lines[j].y > y + 1]
    below = [lines[j] for j in body if lines[j].y < y - 1]
    neighbours = [min(above, key=lambda line: line.y)] if above else []
    neighbours += [max(below, key=lambda line: line.y)] if below else []
    return bool(neighbours) and all(cell[0][X0] < n.x1 and n.x0 < cell[-1][X1] for n in neighbours)


def _beside_body(line: _Line, body: list[_Line]) -> bool:
    low, high = line.y - 0.25 * line.size, line.y + 0.75 * line.size
    return any(
        b.y - 0.25 * b.size < high and low < b.y + 0.75 * b.size and (line.x1 <= b.x0 or b.x1 <= line.x0)
        for b in body
    )


def _caption_drops(lines: list[_Line], size: float) -> dict[int, list[list]]:
    """A line in small type between the body's paragraphs that is one short sentence of its
    own: a picture's caption. Verse and quotations set small run to more lines, or continue
    the sentence before them ("he was" + "Only a private..."); those stay."""
    drops = {}
    for i in range(1, len(lines) - 1):
        before, line, after = lines[i - 1], lines[i], lines[i + 1]
        if not (_is_body(before, size) and _is_body(after, size)) or _is_body(line, size) or len(line.cells) != 1:
            continue
        text = _cell_text(line.cells[0])
        if _SENTENCE_END.search(_text(before.runs).strip()) and _CAPTION.fullmatch(text) and len(text.split()) <= CAPTION_WORDS:
            drops[i] = line.cells
    return drops


def _note_drops(lines: list[_Line], size: float) -> dict[int, list[list]]:
    """Small type below the page's last body line that starts at the body's left margin: a
    footnote, or a note on a picture. Verse and quotations set small are indented."""
    body = [line for line in lines if _is_body(line, size)]
    if len(body) < 3:
        return {}
    bottom, margin = min(line.y for line in body), min(line.x0 for line in body)
    notes = [
        i
        for i, line in enumerate(lines)
        if line.cells and line.y < bottom - 0.5 * size and not _is_body(line, size) and any(_letters(c) for c in line.cells)
    ]
    if not notes or min(lines[i].x0 for i in notes) > margin + 2 * size:
        return {}
    return {i: lines[i].cells for i in notes}


def _join_pieces(lines: list[_Line], kept: list[list], size: float) -> bool:
    """Join a body line to a later one that continues it on the same baseline, a word space
    away: an OCR layer gives a column beside a picture as a block of its own. The pieces are
    joined where the first one is, left to right. Pieces either side of a gutter are not: the
    columns of a page (newspaper, Federal Register, a report's two columns) sit on one baseline
    as often as not, and their gutter can be narrower than an em."""
    pairs = _pieces(lines, kept, size)
    gutters = _gutters(lines, [(lines[left].x1, lines[right].x0) for _, _, left, right in pairs], size)
    for (i, j, left, right), gutter in zip(pairs, gutters):
        if not gutter and kept[i] and kept[j]:
            kept[i] = [[_text(kept[left]).rstrip("\n") + " " + _text(kept[right]), 0, 0, 0, 0]]
            kept[j] = []
    return any(not gutter for gutter in gutters)


def _pieces(lines: list[_Line], kept: list[list], size: float) -> list[tuple[int, int, int, int]]:
    """(i, j, left, right): body line i and a later line j on its baseline, a word space apart."""
    found, taken = [], set()
    for i, line in enumerate(lines):
        if not kept[i] or i in taken or not _body_sized(line, size) or len(line.cells) != 1:
            continue
        for j in range(i + 1, len(lines)):
            other = lines[j]
            if j in taken or not kept[j] or len(other.cells) != 1 or not _body_sized(other, size) or abs(other.y - line.y) > 0.2 * size:
                continue
            left, right = (i, j) if line.x1 <= other.x0 else (j, i)
            if 0 <= lines[right].x0 - lines[left].x1 <= JOIN * size:
                found.append((i, j, left, right))
                taken |= {i, j}
                break
    return found


def _gutters(lines: list[_Line], gaps: list[tuple[float, float]], size: float) -> list[bool]:
    """Whether each gap (x where a left piece ends, x where its right piece starts) is a gutter:
    GUTTER_LINES body lines or more of the page end just before it (a column's right edge, ragged
    up to RAGGED em) and as many start just after it (the next column's left edge). A line
    broken beside a picture has the picture on its left: only its own pieces end there."""
    body = [line for line in lines if _body_sized(line, size)]

    def gutter(left: float, right: float) -> bool:
        ending = sum(left - RAGGED * size <= line.x1 <= right for line in body)
        starting = sum(left <= line.x0 <= right + size for line in body)
        return min(ending, starting) >= GUTTER_LINES

    return [gutter(left, right) for left, right in gaps]


def _text(runs: list) -> str:
    return "".join(r[TEXT] for r in runs)
