"""Pure text repairs: page text -> paragraphs of running prose.

pypdf gives each page as lines, with the layout's line breaks, page numbers, headings and
ligature glyphs. This module rebuilds paragraphs from them: a line that ends a sentence and
stops well short of the text width ends its paragraph; other line breaks are joined.
"""

from __future__ import annotations

import re
import statistics

from synth.records import Document, Paragraph

LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}
SHORT_LINE = 0.85  # a line shorter than this share of the text width can end a paragraph
_SENTENCE_END = re.compile(r"""[.!?]["'\u201d\u2019)\]]*$""")
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?(?:\d{1,4}|[ivxlcdm]{1,7})$", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+(.*)$")


def repair_glyphs(text: str) -> str:
    for glyph, letters in LIGATURES.items():
        text = text.replace(glyph, letters)
    return text.replace("\t", " ").replace("\u00ad", "")  # tabs between words; soft hyphens


def page_lines(text: str) -> list[str]:
    """Lines of a page with a page number at its top or bottom dropped.
    Blank lines are kept as "" (they end paragraphs in plain text)."""
    lines = [re.sub(r"\s+", " ", line).strip() for line in repair_glyphs(text).splitlines()]
    filled = [i for i, line in enumerate(lines) if line]
    numbers = {i for i in filled[:1] + filled[-1:] if _PAGE_NUMBER.match(lines[i])}
    return [line for i, line in enumerate(lines) if i not in numbers]


def join_lines(lines: list[str]) -> str:
    """Join layout lines into one paragraph, undoing end-of-line hyphenation ("foli-" + "age")."""
    text = ""
    for line in lines:
        if re.search(r"[a-z]-$", text) and line[:1].islower():
            text = text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


def text_width(doc: Document) -> int:
    lengths = sorted(len(line) for page in doc.pages for line in page_lines(page.text) if line)
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def is_heading(line: str, next_line: str | None, width: int) -> bool:
    heading = _MARKDOWN_HEADING.match(line)
    if heading:
        return True
    return (
        len(line) < 0.7 * width
        and not re.search(r"""[.!?,;:"'\u201d\u2019-]$""", line)
        and line[:1].isupper()
        and (next_line is None or next_line == "" or next_line[:1].isupper() or next_line[:1] in "\"'\u201c")
    )


def paragraphs(doc: Document) -> list[Paragraph]:
    width = text_width(doc)
    result: list[Paragraph] = []
    chapter: str | None = None
    lines: list[str] = []
    first_page = last_page = 0

    def flush():
        nonlocal lines
        if lines:
            result.append(Paragraph(join_lines(lines), first_page, last_page, chapter))
        lines = []

    for page in doc.pages:
        page_text = page_lines(page.text)
        for i, line in enumerate(page_text):
            if not line:
                flush()
                continue
            following = next((l for l in page_text[i + 1 :] if l), None)
            if not lines and is_heading(line, following, width):
                match = _MARKDOWN_HEADING.match(line)
                chapter = match.group(1).strip() if match else line
                continue
            if not lines:
                first_page = page.number
            lines.append(line)
            last_page = page.number
            if _SENTENCE_END.search(line) and len(line) < SHORT_LINE * width:
                flush()
    flush()
    return result
