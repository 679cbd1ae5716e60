"""Words that are not the author's: the Project Gutenberg header and licence, and the notices
that publishers put in a book's front and back matter (advertisements, web addresses,
newsletters, copyright and licence lines). Removed by rule, and reported: `synth segment`
says how many paragraphs and characters went, with an example.

Only the front and back matter are searched (the first and last FRONT_BACK_SHARE of the text,
at least EDGE_CHARS): a sentence about a licence in chapter 9 is the author's. There, a
paragraph goes if it is short and says one of the things only a publisher says (a web address,
an ISBN, "all rights reserved"), or says two things of either kind (a word an author uses too,
like "licence" or "subscribe", is a hint, never enough alone: "a special licence", "I subscribe
myself"). A section whose heading is such a notice goes with it. In the front matter, a title
page or contents list set in capitals goes too, but never a salutation, a signature or an
attribution ("MY DEAR SON,--", "BEETHOVEN.", "--HAKLUYT."), nor a chapter's first words set in
capitals: those are the author's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import groupby

from synth.document import Paragraph

Lines = list[tuple[int, str]]  # (page number, line) in reading order
FRONT_BACK_SHARE = 0.03
EDGE_CHARS = 3000
SECTION_CHARS = 2000  # a section under a notice's heading longer than this holds the author's text
SHORT = 500  # characters: a notice is short; a preface that mentions copyright is not
NOTICES = {  # what only a publisher says: one is enough in a short paragraph
    "web address": r"https?://|\bwww\.\w|\b[\w.-]+\.(?:com|org|net|co\.uk)\b",
    "e-book": r"\be-?books?\b",
    "newsletter": r"\bnewsletters?\b|\bmailing list\b",
    "rights": r"\ball rights reserved\b|\b(?:used|reprinted) by (?:kind )?permission\b|\bno part of this (?:book|publication)\b|\breproduced\b.{0,40}\bwithout\b",
    "copyright": r"\u00a9|\(c\)\s*\d{4}|\bcopyright\b\W{0,3}(?:\u00a9\s*)?\d{4}",
    "isbn": r"\bISBN\b",
    "gutenberg": r"\bproject gutenberg\b|\bgutenberg(?:-tm)?\b",
    "e-mail": r"[\w.+-]+@[\w-]+\.[\w.]+",
}
HINTS = {  # words a publisher uses and an author may too: they count only with another notice
    "visit us": r"\bvisit (?:us|our)\b|\bour (?:web ?site|site|catalog(?:ue)?)\b",
    "subscribe": r"\bsign(?:ing)? up\b|\bsubscribe\b",
    "licence": r"\blicen[cs](?:e|ed|ing)\b|\bcreative commons\b|\bpublic domain\b|\bterms of use\b",
    "copyright word": r"\bcopyright\b",
    "publisher": r"\b(?:designed|published|distributed) (?:and \w+ )?by\b|\bprinted in (?:the )?(?:U\.?S\.?A|United States|Great Britain|England|Canada)\b",
}
_NOTICES = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in NOTICES.items()}
_HINTS = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in HINTS.items()}


CAPITALS = 0.9  # share of capital letters above which a paragraph is a title page or a contents list
_CAPITAL_LEAD = re.compile(r"^(?:[^a-z\s]+\s+){8,}?(?=[A-Z][a-z]+\s+[a-z])")  # 8+ words in capitals, then a sentence
# ...that list chapters: two or more labels with their numbers ("STAVE I ... STAVE II")
_LISTED = re.compile(r"\b(?:CHAPTER|PART|BOOK|STAVE|LETTER|SECTION|ACT|VOLUME|APPENDIX)\s+(?:[IVXLC]+|\d+|[A-Z]|ONE|TWO|THREE|FOUR|FIVE)\b")
# a salutation, a signature or an attribution in capitals: the author's, not a title page
_ADDRESS = re.compile(r"""^[\-\u2013\u2014"'\u201c\u2018]|[,:;!?\-\u2013\u2014]\W*$""")
# a dateline under a preface or a letter ("NARBERTH, PA., JANUARY 1, 1915."): the author's too
_DATELINE = re.compile(
    r"\b(?:JAN|FEB|MAR|APR|MAY|JUNE?|JULY?|AUG|SEPT?|OCT|NOV|DEC)[A-Z]*\.?\s+\d{1,2}(?:ST|ND|RD|TH)?,?\s+\d{4}\.?$", re.IGNORECASE
)


@dataclass(frozen=True)
class Split:
    kept: tuple[Paragraph, ...]
    removed: tuple[Paragraph, ...]


def notices(text: str) -> set[str]:
    """Which kinds of publisher notice (and hints of one) a paragraph contains."""
    return {name for name, pattern in (_NOTICES | _HINTS).items() if pattern.search(text)}


def is_notice(text: str) -> bool:
    found = notices(text) - {"copyright word"} if _NOTICES["copyright"].search(text) else notices(text)
    return len(found) >= 2 or (bool(found & NOTICES.keys()) and len(text) <= SHORT)


def remove_notices(paragraphs: list[Paragraph]) -> Split:
    """Paragraphs without the publisher's notices in the front and back matter, nor the front
    matter set in capitals (title page, contents): the part removed from a paragraph that runs
    from the contents into the foreword is reported as a paragraph of its own."""
    total = sum(len(p.text) for p in paragraphs)
    edge = max(EDGE_CHARS, FRONT_BACK_SHARE * total)
    kept, removed, offset = [], [], 0
    notice_sections = _notice_sections(paragraphs)
    for i, p in enumerate(paragraphs):
        front, back = offset < edge, offset + len(p.text) > total - edge
        offset += len(p.text)
        lead = _CAPITAL_LEAD.match(p.text) if front else None
        if (front or back) and (is_notice(p.text) or i in notice_sections) or front and title_page(p.text):
            removed.append(p)
        elif lead and len(_LISTED.findall(lead.group())) >= 2:
            removed.append(replace(p, text=lead.group().strip()))
            kept.append(replace(p, text=p.text[lead.end() :]))
        else:
            kept.append(p)
    return Split(tuple(kept), tuple(removed))


def _notice_sections(paragraphs: list[Paragraph]) -> set[int]:
    """The paragraphs of each short section (SECTION_CHARS at most) whose heading is a publisher's notice
    ("There are several editions of this ebook in the Project Gutenberg collection")."""
    found, start = set(), 0
    for _, run in groupby(paragraphs, key=lambda p: p.chapter):
        run = list(run)
        if run[0].chapter and is_notice(run[0].chapter) and sum(len(p.text) for p in run) <= SECTION_CHARS:
            found.update(range(start, start + len(run)))
        start += len(run)
    return found


def title_page(text: str) -> bool:
    """A title page or contents list in capitals: three words or more, or two with no stop (a title
    page's lines set apart by their type size: "CONAN DOYLE"), not a salutation, a signature or an
    attribution."""
    words = len(text.split())
    return _capitals(text) >= CAPITALS and (words >= 3 or words == 2 and text.rstrip()[-1].isalnum()) and not _ADDRESS.search(text) and not _DATELINE.search(text)


def _capitals(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    return sum(c.isupper() for c in letters) / len(letters) if letters else 0.0


# the markers, with their asterisks or without (a DOCX made from the HTML loses them)
_GUTENBERG_START = re.compile(r"^(?:\*{3}\s*)?START OF (?:THE|THIS) PROJECT GUTENBERG|^\*END\*THE SMALL PRINT", re.IGNORECASE)
_GUTENBERG_END = re.compile(r"^(?:\*{3}\s*)?END OF (?:THE|THIS) PROJECT GUTENBERG|^End of (?:the )?Project Gutenberg", re.IGNORECASE)


def strip_gutenberg(lines: Lines) -> Lines:
    """Drop the Project Gutenberg header (up to its START marker and the 'Produced by' credit
    after it) and everything from the END marker on: licence text is not the author's voice."""
    texts = [line for _, line in lines]
    start = next((i + 1 for i, line in enumerate(texts) if _GUTENBERG_START.search(line)), 0)
    end = next((i for i, line in enumerate(texts) if i >= start and _GUTENBERG_END.search(line)), len(texts))
    if 0 < start < end and texts[start].startswith("Produced by"):
        start = _credit_end(lines, start)
    return lines[start:end]


def _credit_end(lines: Lines, start: int) -> int:
    """Where the "Produced by" credit after the START marker ends: at a blank line, else at
    the end of its page, if either comes within a few lines."""
    page_end = start
    while page_end < len(lines) and lines[page_end][0] == lines[start][0]:
        page_end += 1
    blank = next((i for i in range(start, page_end) if not lines[i][1]), page_end)
    return blank if blank - start <= 6 else start
