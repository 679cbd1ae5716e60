"""Page furniture: running headers, footers and page numbers, which repeat at the page edges
and are not part of the text."""

from __future__ import annotations

import difflib
import re
from collections import Counter

EDGE_LINES = 2  # running headers/footers sit within this many lines of a page's top or bottom
HEADER_SHARE = 0.02  # ...and repeat on at least this share of the pages (and on 3 or more)
_PAGE_NUMBER = re.compile(r"^[\W_]*(?:[Pp]age\s+)?(?:\d{1,4}|[ivxlc]{1,7}|[IVXLC]{1,7})[\W_]*$")
_FOLIO = re.compile(r"^\s*(\d{1,4})\b|\b(\d{1,4})\s*$")  # the page number at a header's start or end
SLUG_CODES = 4  # tokens with digits in a printer's slug line, at the least
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
    """Keys of lines that repeat at page edges across many pages: running headers and footers.
    On a short document (a three-page article) a line that repeats on two pages or more with
    a page number that advances as the pages do is one too."""
    counts: Counter[str] = Counter()
    folios: dict[str, list[tuple[int, int]]] = {}  # key -> (page index, the number the line carries)
    for index, (lines, edges) in enumerate(zip(pages, edge_lines(pages))):
        # dialogue ("Yes.") can open many pages by chance; a header never opens with a quote
        keys = {furniture_key(lines[i]): lines[i] for i in edges if lines[i][:1] not in _OPENING_QUOTE}
        keys.pop("", None)
        counts.update(list(keys))
        for key, line in keys.items():
            number = _FOLIO.search(line)
            folios.setdefault(key, []).append((index, int(number.group(1) or number.group(2)) if number else -1))
    needed = max(3, HEADER_SHARE * len(pages))
    # one word with a number that advances is a chapter label ("Chapter 1", "Chapter 2"), not a header
    return {key for key, count in counts.items() if count >= needed or (" " in key and _advancing(folios[key]))}


def _advancing(folios: list[tuple[int, int]]) -> bool:
    """Two pages or more whose numbers differ as their places in the document do."""
    return len(folios) >= 2 and all(n >= 0 and n - i == folios[0][1] - folios[0][0] for i, n in folios)


def is_slug(line: str) -> bool:
    """A printer's slug or job line: mostly codes and numbers ("VerDate Sep<11>2014 16:21 ... Jkt
    250001 PO 00000 Frm 00013", "Book_9780143_Text.indd 23 5/1/12 3:42 PM"), never a sentence."""
    tokens = line.split()
    coded = sum(any(c.isdigit() for c in token) for token in tokens)
    return coded >= SLUG_CODES and coded >= 0.5 * len(tokens) and not re.search(r"(?:\b[a-z]{2,}\b\W+){4}", line)


def is_furniture(line: str, keys: set[str]) -> bool:
    """A page number, or a running header/footer; OCR'd headers ('VICKSBUEG') match loosely."""
    if _PAGE_NUMBER.match(line):
        return True
    key = furniture_key(line)
    if not key:
        return False
    return key in keys or any(len(key) > 12 and difflib.SequenceMatcher(None, key, k).ratio() > 0.9 for k in keys)


def strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Each page without its running headers, footers, page numbers and printer's slugs."""
    keys = running_keys(pages)
    result = []
    for lines, edges in zip(pages, edge_lines(pages)):
        drop = {i for i in edges if is_furniture(lines[i], keys) or is_slug(lines[i])}
        result.append([line for i, line in enumerate(lines) if i not in drop])
    return result
