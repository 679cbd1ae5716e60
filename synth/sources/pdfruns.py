"""Where each piece of a PDF page's text sits: read in the same pass as pypdf's own text.

pypdf's `extract_text` gives a page's text and, through `visitor_text`, the pieces it is made
of (a line, or the part of a line in one font), but not where a piece ends nor where a piece
after a font change starts on its line: pypdf does not move its text matrix as glyphs are
drawn. This module follows the drawing operators beside it (`visitor_operand_after`) and
advances the pen by the glyphs' widths, so each piece gets its box: x0, x1, baseline y and
effective font size (font size x the matrices' vertical scale), in points.

A Run is a list [text, x0, x1, y, size] (it goes into the JSON extraction cache as it is);
the pieces' texts joined are exactly the page's text. layout.py decides what to do with them.
"""

from __future__ import annotations

import math

TEXT, X0, X1, Y, SIZE = range(5)  # a run's fields
_SHOW = {b"Tj", b"TJ", b"'", b'"'}


def read(page) -> tuple[str, list[list]]:
    """The page's text as pypdf gives it, and its runs (none when the text and the pieces
    disagree, which would make the runs' texts a different page)."""
    collector = _Collector(_fonts(page))
    text = page.extract_text(visitor_text=collector.text, visitor_operand_after=collector.after) or ""
    collector.flush_spans()
    runs = collector.runs
    return text, runs if "".join(r[TEXT] for r in runs) == text else []


_FONT_CACHE: dict = {}  # (id of the PDF, font object number) -> pypdf Font: fonts are shared by pages


def _fonts(page) -> dict:
    from pypdf.generic import IndirectObject

    try:
        from pypdf.generic._font import Font
    except ImportError:  # an older pypdf: runs get widths estimated from their length
        return {}
    try:
        resources = page.get("/Resources") or {}
        fonts = resources.get_object().get("/Font") or {}
        fonts = fonts.get_object()
    except Exception:
        return {}
    result = {}
    for name, ref in fonts.items():
        key = (id(page.pdf), ref.idnum) if isinstance(ref, IndirectObject) else None
        if key in _FONT_CACHE:
            result[name] = _FONT_CACHE[key]
            continue
        try:
            result[name] = Font.from_font_resource(ref.get_object())
        except Exception:
            result[name] = None
        if key:
            _FONT_CACHE[key] = result[name]
    return result


class _Collector:
    def __init__(self, fonts: dict):
        self.fonts = fonts
        self.runs: list[list] = []
        self.spans: list[tuple[float, float, float, float]] = []  # glyphs drawn since the last piece: x0, x1, y, size
        self.font, self.size, self.scale, self.char_space, self.word_space = None, 12.0, 1.0, 0.0, 0.0
        self.stack: list[tuple] = []
        self.matrix: tuple | None = None  # pypdf's text matrix when the pen was last placed
        self.advance = 0.0  # how far the pen moved since, in text space

    def text(self, text, cm, tm, font_dict, font_size) -> None:
        if not text:
            return
        inked = [s for s in self.spans if s[1] > s[0]] or self.spans
        self.spans = []
        if inked:
            x0, x1 = min(s[0] for s in inked), max(s[1] for s in inked)
            self.runs.append([text, round(x0, 2), round(x1, 2), round(inked[0][2], 2), round(inked[0][3], 2)])
        else:
            self.runs.append([text, 0.0, 0.0, 0.0, 0.0])  # a line break pypdf adds: no glyphs

    def flush_spans(self) -> None:
        self.spans = []

    def after(self, operator, operands, cm, tm) -> None:
        if operator in _SHOW:
            self._show(operator, operands, cm, tm)
        elif operator == b"Tf" and len(operands) >= 2:
            self.font, self.size = self.fonts.get(operands[0]), _number(operands[1], self.size)
        elif operator == b"Tz" and operands:
            self.scale = _number(operands[0], 100.0) / 100
        elif operator == b"Tc" and operands:
            self.char_space = _number(operands[0], 0.0)
        elif operator == b"Tw" and operands:
            self.word_space = _number(operands[0], 0.0)
        elif operator == b"q":
            self.stack.append((self.font, self.size, self.scale, self.char_space, self.word_space))
        elif operator == b"Q" and self.stack:
            self.font, self.size, self.scale, self.char_space, self.word_space = self.stack.pop()

    def _show(self, operator, operands, cm, tm) -> None:
        placed = tuple(tm)
        if placed != self.matrix:
            self.matrix, self.advance = placed, 0.0
        if operator == b'"' and len(operands) >= 3:
            self.word_space, self.char_space = _number(operands[0], 0.0), _number(operands[1], 0.0)
        items = operands[0] if operator == b"TJ" and operands else operands[-1:]
        m = _mult(tm, cm)
        size = self.size * math.hypot(m[2], m[3])
        for item in items if isinstance(items, list) else [items]:
            if isinstance(item, (str, bytes)):
                start = self.advance
                self.advance += self._width(item)
                x0, x1 = start * m[0] + m[4], self.advance * m[0] + m[4]
                inked = bool(item.strip()) if isinstance(item, str) else bool(item.strip(b" "))
                self.spans.append((x0, x1 if inked else x0, start * m[1] + m[5], size))
            else:
                self.advance -= _number(item, 0.0) / 1000 * self.size * self.scale

    def _width(self, item) -> float:
        """The pen's advance over one string, in text space (PDF 32000-1, 9.4.4)."""
        codes = item if isinstance(item, bytes) else getattr(item, "original_bytes", None) or item.encode("latin-1", "replace")
        font = self.font
        if font is None:
            glyphs = 500.0 * len(codes)
        else:
            widths, default = font.character_widths, font.character_widths.get("default", 500)
            glyphs = sum(widths.get(chr(c), default) for c in codes) if not isinstance(font.encoding, str) else font.get_text_width(item if isinstance(item, str) else codes.decode(font.encoding, "replace"))
        spaces = codes.count(32)
        return (glyphs / 1000 * self.size + self.char_space * len(codes) + self.word_space * spaces) * self.scale


def _number(value, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _mult(m, n) -> tuple:
    return (
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    )
