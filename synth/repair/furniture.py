"""Page furniture: running headers, footers and page numbers, which repeat at the page edges
and are not part of the text."""

from __future__ import annotations

import difflib
import re
from collections import Counter

EDGE_LINES = 2  # running headers/footers sit within this many lines of a page's top or bottom
HEADER_SHARE = 0.02  # ...and repeat on at least this share of the pages (and on 3 or more)
_PAGE_NUMBER = re.compile(r"^[\W_]*(?:[Pp]age\s+)?(?:\d{1,4}|[ivxlc]{1,7}|[IVXLC]{1,7})[\W_]*$")
_OPENING_QUOTE = {"\u201c", "\u2018", '"', "'"}


def furniture_key(line: str) -> str:
    """A header's identity with its page number and case removed: 'ADVENTURE I. A SCANDAL 4'
    and 'Adventure I. A Scandal 5' are the same running header."""
    return re.sub(r"[^a-z]+", " ", line.lower()).strip()


def edge_lines(pages: list[list[str]]) -> list[list[int]]:
    """Indexes of the lines near the top and bottom of each page, where headers and footers are."""
    edges = []
    for lines in pages:
        filled = [i for i, line in enumerate(lines) if line]
        edges.append(sorted(set(filled[:EDGE_LINES] + filled[-EDGE_LINES:])))
    return edges


def running_keys(pages: list[list[str]]) -> set[str]:
    """Keys of lines that repeat at page edges across many pages: running headers and footers."""
    counts: Counter[str] = Counter()
    for lines, edges in zip(pages, edge_lines(pages)):
        # dialogue ("Yes.") can open many pages by chance; a header never opens with a quote
        counts.update({furniture_key(lines[i]) for i in edges if lines[i][:1] not in _OPENING_QUOTE} - {""})
    needed = max(3, HEADER_SHARE * len(pages))
    return {key for key, count in counts.items() if count >= needed}


def is_furniture(line: str, keys: set[str]) -> bool:
    """A page number, or a running header/footer; OCR'd headers ('VICKSBUEG') match loosely."""
    if _PAGE_NUMBER.match(line):
        return True
    key = furniture_key(line)
    if not key:
        return False
    return key in keys or any(len(key) > 12 and difflib.SequenceMatcher(None, key, k).ratio() > 0.9 for k in keys)


def strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Each page without its running headers, footers and page numbers."""
    keys = running_keys(pages)
    result = []
    for lines, edges in zip(pages, edge_lines(pages)):
        drop = {i for i in edges if is_furniture(lines[i], keys)}
        result.append([line for i, line in enumerate(lines) if i not in drop])
    return result
