"""A book's notes (footnotes collected at the end of a chapter or of the book) and the markers
in its text that point to them: the notes are an editor's or the author's asides in another
voice (sources, permissions), and "[12]" in the middle of a sentence is not a word.

A notes section starts at a line that says so ("FOOTNOTES:", "Notes", "Endnotes") and runs to
the next heading in capitals or chapter label ("CHAPTER XXI", "GENERAL INDEX"), or to the end
of the book. It goes when it holds numbered entries ("[1]", "[16A]"); in a book that has such
sections, so does one as short as a note without a number (a page-edge "[35]" can be taken
for a page number before this runs, and notes set in small type below the text can be gone
already, layout.py, leaving the heading alone). Once a book has
notes, its bracketed numbers are note markers and go too; a book without notes keeps them.
"""

from __future__ import annotations

import re

from synth.document import Removed

Lines = list[tuple[int, str]]  # (page number, line) in reading order
NOTES = "notes"
MARKERS = "note markers"
SHORT_SECTION = 10  # lines: a section without entry numbers is removed only when this short

_HEADING = re.compile(r"^(?:foot|end)?notes?\s*:?$", re.IGNORECASE)
_ENTRY = re.compile(r"^\[\d{1,3}[A-Za-z]?\]")
_MARKER = re.compile(r"[ \t]*\[\d{1,3}[A-Za-z]?\]")
_LABEL = re.compile(r"^(?i:chapter|part|book|section|appendix|volume)\s+(?:\d+|[IVXLC]+|[A-Z])\b")  # "Chapter 3", "Appendix C"


def strip_notes(lines: Lines) -> tuple[Lines, list[Removed]]:
    """The lines without notes sections and, in a book that has them, without note markers."""
    sections = [(i, end, entries) for i, (_, line) in enumerate(lines) if _HEADING.match(line) for end, entries in [_section(lines, i)] if end]
    if not any(entries for _, _, entries in sections):
        return lines, []
    kept: Lines = []
    removed: list[Removed] = []
    position = 0
    for start, end, _ in sections:
        if start < position:
            continue
        kept += lines[position:start] + [(lines[start][0], "")]  # the text before the notes ends there, as at a blank line
        removed.append(Removed(NOTES, lines[start][0], " ".join(line for _, line in lines[start:end] if line)))
        position = end
    return _strip_markers(kept + lines[position:], removed)


def _section(lines: Lines, start: int) -> tuple[int | None, bool]:
    """(where the notes section that starts at `start` ends, or None if it is not one; whether it has numbered entries)."""
    end = next((j for j in range(start + 1, len(lines)) if _is_heading(lines[j][1])), len(lines))
    body = [line for _, line in lines[start + 1 : end] if line]
    entries = any(_ENTRY.match(line) for line in body)
    return (end if entries or len(body) <= SHORT_SECTION else None), entries


def _is_heading(line: str) -> bool:
    words = re.findall(r"[^\W\d_]+", line)
    capitals = bool(words) and line == line.upper() and any(len(w) > 2 for w in words)
    return capitals or bool(_LABEL.match(line))


def _strip_markers(lines: Lines, removed: list[Removed]) -> tuple[Lines, list[Removed]]:
    kept: Lines = []
    for number, line in lines:
        stripped = _MARKER.sub("", line)
        if stripped != line:
            removed.append(Removed(MARKERS, number, " ".join(_MARKER.findall(line)).strip()))
            if not stripped.strip():
                continue
        kept.append((number, stripped))
    return kept, removed
