"""(X)HTML -> blocks, and what a book's own markup says about them: which block is a heading,
which is front or back matter (cover, title page, contents, the Project Gutenberg header and
licence), which is a picture's caption. Used for EPUB chapters, HTML books and DOCX bodies
(ebooks.py), with the standard library's html.parser.

What goes is decided by where a block stands and what it is, never by its words alone:
- an element the book marks as cover, title page, contents, copyright page or colophon
  (EPUB 3 `epub:type`, ARIA `role="doc-..."`) or as Project Gutenberg's (`pg-boilerplate`);
- a section (a heading and the blocks up to the next one) that the EPUB's guide or landmarks
  name as such, or whose text is mostly links into the book itself (a contents list, a list
  of illustrations), or a run of three or more blocks that each repeat a heading of the book;
- a heading or short block right after a picture that repeats the picture's alt text (a caption);
- a note: an element that a marker in the text ("[1]", "*", a link to it) points to, or that the book
  marks as a footnote or endnote; the marker goes too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from html.parser import HTMLParser

BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "section", "article", "tr", "dd", "dt", "pre", "figcaption", "td", "th", "body"}
SKIPPED = {"script", "style", "head", "title", "nav", "svg", "math", "noscript", "template", "iframe"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source", "embed", "param", "track"}
# What a book marks as not its text: EPUB 3 structural semantics and ARIA roles (without "doc-")
NOT_TEXT = {"cover", "titlepage", "halftitlepage", "copyright-page", "toc", "landmarks", "loi", "lot", "loa", "lov", "colophon", "imprint", "imprimatur", "seriespage", "pagelist", "page-list"}
NOTES = {"footnote", "endnote", "endnotes", "rearnote", "rearnotes", "footnotes", "note"}  # an editor's or the author's notes, apart from the text
_NOTE_MARK = re.compile(r"^\s*[\[(]?\s*(?:\d{1,3}|[*\u2020\u2021\u00a7\u00b6]{1,3})\s*[\])]?\s*$")  # "[1]", "12", "*", "\u2020"
GUTENBERG = {"pg-boilerplate", "pg-header", "pg-footer"}  # Project Gutenberg's header and licence sections
LINK_SHARE = 0.5  # a section whose text is at least this share links into the book is a contents list
MIN_ENTRIES = 3  # ...when it has this many entries or more
CAPTION_CHARS = 120


@dataclass(frozen=True)
class Block:
    text: str
    heading: bool = False
    anchors: tuple[str, ...] = ()  # ids met since the previous block: where a link into the book can land
    links: int = 0  # links into the book itself (not to a web address) in this block
    link_chars: int = 0  # characters of text inside those links
    dropped: str | None = None  # why it is not the author's text: "contents", "front matter", "caption"...
    after_image: str = ""  # the alt text of a picture right before this block


class _Blocks(HTMLParser):
    """HTML -> blocks of text: block elements end a block, <br> ends a line inside it; scripts,
    styles and navigation are left out; elements marked as front or back matter drop their blocks."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.current: list[str] = []
        self.skip = 0
        self.heading = False
        self.anchors: list[str] = []
        self.links = self.link_chars = 0
        self.in_link = False
        self.marked: list[list] = []  # [tag, reason, depth] of the open elements marked as not the text
        self.image = ""
        self.link_text: list[str] = []
        self.link_target: str | None = None
        self.note_ids: set[str] = set()  # ids that a note marker in the text points to

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for anchor in (attrs.get("id"), attrs.get("name") if tag == "a" else None):
            if anchor:
                self.anchors.append(anchor)
        if self.marked and self.marked[-1][0] == tag:
            self.marked[-1][2] += 1
        if tag in SKIPPED:
            self.skip += 1
        elif tag in BLOCKS:
            self.flush()
            self.heading = tag in HEADINGS
        elif tag == "br":
            self.current.append("\n")
        elif tag == "img":
            self.image = attrs.get("alt") or ""
        elif tag == "a" and attrs.get("href") and not re.match(r"[a-z][a-z0-9+.-]*:", attrs["href"], re.I):
            self.in_link, self.links, self.link_text = True, self.links + 1, []
            self.link_target = attrs["href"].split("#", 1)[1] if "#" in attrs["href"] else None
        reason = not_text(attrs) or ("note" if attrs.get("id") in self.note_ids and tag not in VOID else None)
        if reason and tag not in VOID:
            self.flush()
            self.marked.append([tag, reason, 1])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCKS:
            self.flush()
        elif tag == "a" and self.in_link:
            text, self.in_link = "".join(self.link_text), False
            if self.link_target and _NOTE_MARK.match(text):  # "[1]" pointing at a note: the note is not the author's
                self.note_ids.add(self.link_target)
            else:
                self.current.append(text)
                self.link_chars += len(text.strip())
        if self.marked and self.marked[-1][0] == tag:
            self.marked[-1][2] -= 1
            if not self.marked[-1][2]:
                self.flush()
                self.marked.pop()

    def handle_data(self, data):
        if not self.skip:
            (self.link_text if self.in_link else self.current).append(data)

    def flush(self):
        lines = [" ".join(line.split()) for line in "".join(self.current).split("\n")]
        text = " ".join(line for line in lines if line)
        if text:
            reason = self.marked[-1][1] if self.marked else None
            self.blocks.append(Block(text, self.heading, tuple(self.anchors), self.links, self.link_chars, reason, self.image))
            self.anchors, self.links, self.link_chars, self.image = [], 0, 0, ""
        self.current, self.heading = [], False


def not_text(attrs: dict) -> str | None:
    """Why an element's text is not the author's, by what the book marks it as; None if it is."""
    types = set((attrs.get("epub:type") or "").split()) | {r.removeprefix("doc-") for r in (attrs.get("role") or "").split()}
    if types & NOTES:
        return "note"
    if types & NOT_TEXT:
        return "contents" if types & {"toc", "landmarks", "loi", "lot", "loa", "lov", "pagelist", "page-list"} else "front matter"
    if GUTENBERG & (set((attrs.get("class") or "").split()) | {attrs.get("id")}):
        return "Project Gutenberg header and licence"
    return None


def blocks(markup: str) -> list[Block]:
    parser = _Blocks()
    parser.feed(markup)
    parser.close()
    parser.flush()
    return parser.blocks


def structure(found: list[Block], dropped_anchors: dict[str, str] | None = None) -> list[Block]:
    """The blocks with front and back matter marked `dropped`: sections the guide names
    (`dropped_anchors`: anchor id -> reason), contents lists, and pictures' captions."""
    found = [_caption(b) for b in found]
    return _drop_listed_titles(_drop_sections(found, dropped_anchors or {}))


def flat(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _caption(block: Block) -> Block:
    if block.after_image and not block.dropped and len(block.text) <= CAPTION_CHARS and flat(block.text) == flat(block.after_image):
        return replace(block, dropped="caption")
    return block


def _drop_sections(found: list[Block], dropped_anchors: dict[str, str]) -> list[Block]:
    """Each section (from a heading to the next, or the file's start to its first heading) that the
    guide names, or whose text is mostly links into the book, is dropped whole, heading included."""
    starts = [0] + [i for i, b in enumerate(found) if b.heading and i] if found else []
    result = []
    for start, end in zip(starts, starts[1:] + [len(found)]):
        section = found[start:end]
        reason = next((dropped_anchors[a] for a in section[0].anchors if a in dropped_anchors), None)
        body = [b for b in section if not b.heading] or section
        letters = sum(len(b.text) for b in body)
        if not reason and sum(b.links for b in body) >= MIN_ENTRIES and sum(b.link_chars for b in body) >= LINK_SHARE * letters:
            reason = "contents"
        result += [replace(b, dropped=b.dropped or reason) for b in section] if reason else section
    return result


def _drop_listed_titles(found: list[Block]) -> list[Block]:
    """A contents list without links: MIN_ENTRIES or more short blocks in a row, each of which the
    book repeats later, in the same order (the chapters' titles), with a "Contents" line before it."""
    texts = [flat(b.text) for b in found]
    later: dict[str, int] = {}
    following = [0] * len(found)  # where each block's text comes again; 0: never
    for i in range(len(found) - 1, -1, -1):
        following[i] = later.get(texts[i], 0)
        later[texts[i]] = i
    result, i = list(found), 0
    while i < len(found):
        j = i
        while j < len(found) and following[j] and len(found[j].text) <= CAPTION_CHARS and (j == i or following[i] > j and following[j] > following[j - 1]):
            j += 1
        if j - i >= MIN_ENTRIES:
            first = i - 1 if i and texts[i - 1] in ("contents", "table of contents") else i
            result[first:j] = [replace(b, dropped=b.dropped or "contents") for b in found[first:j]]
        i = max(j, i + 1)
    return result
