"""Glyphs as a PDF font gives them -> the letters they stand for: ligatures (fi, fl), TeX's
separate spacing accents (n\u00b4ee -> n\u00e9e), tabs, no-break spaces and soft hyphens."""

from __future__ import annotations

import re
import unicodedata

LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
# TeX sets an accent as a glyph of its own before its letter: pypdf gives "n´ee" and "na¨ıve" (a dotless i)
SPACING_ACCENTS = {"\u00b4": "\u0301", "\u00a8": "\u0308", "\u02c6": "\u0302", "\u02dc": "\u0303", "\u02c7": "\u030c",
                   "\u02d8": "\u0306", "\u02da": "\u030a", "\u00af": "\u0304", "\u02d9": "\u0307", "\u02dd": "\u030b"}
_SPACING_ACCENT = re.compile(f"([{''.join(SPACING_ACCENTS)}])([^\\W\\d_])|(?<=[^\\W\\d_])`([^\\W\\d_])")


def repair_glyphs(text: str) -> str:
    for glyph, letters in LIGATURES.items():
        text = text.replace(glyph, letters)
    text = _SPACING_ACCENT.sub(_compose_accent, text)
    # tabs and no-break spaces between words; soft hyphens are invisible break hints
    return text.replace("\t", " ").replace("\u00a0", " ").replace("\u00ad", "")


def _compose_accent(match: re.Match) -> str:
    """A spacing accent and the letter after it -> the accented letter, where Unicode has one.
    An acute or grave goes only on a vowel, since "it´s" is an apostrophe, not an accented s;
    a backtick counts as a grave only inside a word ("pi`ece"), never as an opening quote."""
    accent, letter = match.group(1) or "`", match.group(2) or match.group(3)
    mark = SPACING_ACCENTS.get(accent, "\u0300")  # "`": the grave
    if mark in "\u0301\u0300" and letter.lower() not in "aeiouy\u0131":
        return match.group(0)
    letter = {"\u0131": "i", "\u0237": "j"}.get(letter, letter)  # TeX accents a dotless i or j
    composed = unicodedata.normalize("NFC", letter + mark)
    return composed if len(composed) == 1 else match.group(0)
