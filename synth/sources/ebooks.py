"""E-books and documents -> Document: EPUB (chapters in spine order), DOCX and HTML, read with
the standard library (zipfile, xml; html.parser in markup.py). Each gives one page per spine file
(EPUB) or one page (DOCX, HTML) of paragraphs separated by blank lines, headings as '# ' lines,
which clean.paragraphs reads as it reads a plain-text book. What the book's own markup says is
not the author's text (cover, title page, contents, licence, captions) is left out of the pages
and kept in Document.removed, to be reported.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

from voicetune.errors import BadInput
from synth.document import Document, Page, Removed
from synth.sources import markup

_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
}
# EPUB 2 guide and EPUB 3 landmark types that name a part which is not the author's text
GUIDE_DROPPED = {"cover": "front matter", "title-page": "front matter", "titlepage": "front matter", "copyright-page": "front matter",
                 "toc": "contents", "loi": "contents", "lot": "contents", "colophon": "front matter"}


def page_text(found: list[markup.Block]) -> str:
    """The kept blocks as paragraphs separated by blank lines, headings as Markdown heading lines."""
    return "\n\n".join(f"# {b.text}" if b.heading else b.text for b in found if not b.dropped)


def removed(found: list[markup.Block], page: int) -> list[Removed]:
    return [Removed(b.dropped, page, b.text) for b in found if b.dropped]


def extract_html(path: Path, page: str | None = None) -> Document:
    """An HTML book (or `page`, a file's text already rendered to HTML) as one page."""
    from synth.sources.textfile import read_text

    found = markup.structure(markup.blocks(read_text(path) if page is None else page))
    text = page_text(found)
    if not text.strip():
        raise BadInput(f"{path} has no text in it: give the book's text")
    return Document(path, (Page(1, text),), marked=True, removed=tuple(removed(found, 1)))


_FRONT_MATTER = re.compile(r"\A\ufeff?(?:---|\+\+\+)[ \t]*\r?\n.*?\r?\n(?:---|\.\.\.|\+\+\+)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_NOTE_MARK = re.compile(r"\[\^[^\]\s]+\](?!:)")  # "work.[^1]": a footnote's marker
_NOTE = re.compile(r"^\[\^[^\]\s]+\]:.*(?:\n(?:[ \t]+.*|[ \t]*$))*", re.MULTILINE)  # "[^1]: text" and its indented lines


def extract_markdown(path: Path) -> Document:
    """A Markdown book, rendered as an editor shows it (CommonMark, by markdown-it-py), then read
    as an HTML book: headings are chapters; emphasis, link and image syntax, HTML comments,
    quote and list marks are no one's words. Front matter (YAML or TOML) and footnotes, with
    their markers, are left out, as an e-book's are."""
    from markdown_it import MarkdownIt

    from synth.sources.textfile import read_text

    text = _NOTE.sub("", _NOTE_MARK.sub("", _FRONT_MATTER.sub("", read_text(path))))
    return extract_html(path, MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(text))


def _zip(path: Path, kind: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise BadInput(f"{path} is not a readable {kind} file ({e}): it may be damaged; export it again") from None


@dataclass(frozen=True)
class _Package:
    """What an EPUB's package file says: the spine in reading order, the navigation's chapter
    titles and the guide's (or landmarks') named parts, by member name."""

    spine: list[str]
    titles: dict[str, list[tuple[str | None, str]]]  # member -> [(anchor id or None for its start, title)]
    dropped: dict[str, dict[str | None, str]]  # member -> {anchor id or None for the whole member: why}


def extract_epub(path: Path) -> Document:
    """One page per spine file (the reading order), each as paragraphs; a spine file's end ends its
    last paragraph. Parts the book names as cover, title page, contents or licence are left out and
    reported; chapter titles come from the headings, and from the navigation (nav or NCX) where
    a chapter's file marks none. DRM-protected books cannot be read and say so."""
    with _zip(path, "EPUB") as book:
        names = set(book.namelist())
        if "META-INF/encryption.xml" in names and b"EncryptedData" in book.read("META-INF/encryption.xml") and _drm(book):
            raise BadInput(f"{path} is DRM-protected: export a DRM-free copy, or convert it with the tool that holds its licence")
        package = _package(book, path)
        pages, dropped = [], []
        for member in package.spine:
            if member not in names:
                continue
            found = markup.blocks(_decode(book.read(member), path, member))
            found = markup.structure(_titled(found, package.titles.get(member, [])), package.dropped.get(member, {}))
            if whole := package.dropped.get(member, {}).get(None):  # the guide names the whole file (cover, contents)
                found = [replace(b, dropped=b.dropped or whole) for b in found]
            dropped += removed(found, len(pages) + 1)
            if page_text(found).strip():
                pages.append(Page(len(pages) + 1, page_text(found)))
    if not pages:
        raise BadInput(f"{path} has no text in its chapters: give the book's text")
    return Document(path, tuple(pages), marked=True, removed=tuple(dropped))


def _package(book: zipfile.ZipFile, path: Path) -> _Package:
    try:
        container = ElementTree.fromstring(book.read("META-INF/container.xml"))
        opf_path = container.find(".//c:rootfile", _NS).get("full-path")
        opf = ElementTree.fromstring(book.read(opf_path))
        items = {item.get("id"): item for item in opf.iterfind(".//opf:manifest/opf:item", _NS)}
        spine = [items[ref.get("idref")] for ref in opf.iterfind(".//opf:spine/opf:itemref", _NS) if ref.get("linear", "yes") != "no"]
    except (KeyError, AttributeError, ElementTree.ParseError) as e:
        raise BadInput(f"{path} is not a valid EPUB (its package file is missing or damaged: {e}); export it again") from None
    folder = posixpath.dirname(opf_path)
    member = lambda href, base=folder: posixpath.normpath(posixpath.join(base, unquote(href.split("#")[0])))  # noqa: E731
    nav = next((i for i in items.values() if "nav" in (i.get("properties") or "").split()), None)
    ncx = next((i for i in items.values() if i.get("media-type") == "application/x-dtbncx+xml"), None)
    links: list[tuple[str, str, str]] = []  # (kind, target href, text): "title" from nav/NCX, else a guide type
    for ref in opf.iterfind(".//opf:guide/opf:reference", _NS):
        links.append((ref.get("type", "").lower(), posixpath.join(folder, ref.get("href", "")), ""))
    for item in (nav, ncx):
        if item is not None and member(item.get("href")) in book.namelist():
            base = posixpath.dirname(member(item.get("href")))
            links += [(kind, posixpath.join(base, href), text) for kind, href, text in _navigation(book.read(member(item.get("href"))))]
    titles: dict[str, list] = {}
    dropped: dict[str, dict] = {}
    for kind, href, text in links:
        name, anchor = member(href, ""), unquote(href.split("#")[1]) if "#" in href else None
        if kind == "title" and text:
            titles.setdefault(name, []).append((anchor, text))
        elif kind in GUIDE_DROPPED:
            dropped.setdefault(name, {})[anchor] = GUIDE_DROPPED[kind]
    if nav is not None:
        dropped.setdefault(member(nav.get("href")), {})[None] = "contents"
    return _Package([member(i.get("href")) for i in spine], titles, dropped)


def _navigation(data: bytes) -> list[tuple[str, str, str]]:
    """(kind, href, text) of each link in a navigation document: an EPUB 3 nav's table of contents
    ("title") and landmarks (their epub:type), or an EPUB 2 NCX's navPoints ("title")."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return []  # a damaged navigation: the chapters' own headings still name them
    found = []
    for point in root.iter(f"{{{_NS['ncx']}}}navPoint"):
        label, content = point.find("ncx:navLabel/ncx:text", _NS), point.find("ncx:content", _NS)
        if label is not None and content is not None:
            found.append(("title", content.get("src", ""), " ".join("".join(label.itertext()).split())))
    for nav in root.iter(f"{{{_NS['x']}}}nav"):
        kind = nav.get(f"{{{_NS['epub']}}}type", "")
        for a in nav.iter(f"{{{_NS['x']}}}a"):
            text = " ".join("".join(a.itertext()).split())
            found.append(("title" if "toc" in kind.split() else a.get(f"{{{_NS['epub']}}}type", "").lower(), a.get("href", ""), text))
    return found


def _titled(found: list[markup.Block], titles: list[tuple[str | None, str]]) -> list[markup.Block]:
    """The navigation's chapter titles as headings: the block where a title points, when it reads
    the same, is a heading; a file that marks no heading of its own gets the title as one."""
    marks = {anchor: text for anchor, text in titles}
    result = []
    for i, block in enumerate(found):
        title = next((marks[a] for a in block.anchors if a in marks), marks.get(None) if i == 0 else None)
        if title and not block.heading and markup.flat(title) == markup.flat(block.text):
            block = replace(block, heading=True)
        result.append(block)
    if titles and not any(b.heading for b in result) and result:
        at = next((i for i, b in enumerate(result) if any(a in marks for a in b.anchors)), 0)
        title = next((marks[a] for a in result[at].anchors if a in marks), titles[0][1])
        result.insert(at, markup.Block(title, heading=True))
    return result


def _decode(data: bytes, path: Path, member: str) -> str:
    """EPUB chapters are UTF-8 or UTF-16 (the standard says so); anything else is a damaged book."""
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadInput(f"{path}: chapter {member} is neither UTF-8 nor UTF-16, as EPUB requires: export the book again")


def _drm(book: zipfile.ZipFile) -> bool:
    """Font obfuscation (IDPF/Adobe) also lists encrypted data; only encrypted chapters are DRM."""
    listing = book.read("META-INF/encryption.xml").decode("utf-8", "ignore")
    uris = re.findall(r'URI="([^"]+)"', listing)
    return any(not re.search(r"\.(?:otf|ttf|woff2?)$", uri, re.IGNORECASE) for uri in uris)


def extract_docx(path: Path) -> Document:
    """The body's paragraphs in order (tables' cells too); paragraphs in a heading or title style
    as heading lines; a contents list (a field, or titles the body repeats) left out and reported."""
    with _zip(path, "DOCX") as document:
        try:
            root = ElementTree.fromstring(document.read("word/document.xml"))
        except (KeyError, ElementTree.ParseError) as e:
            raise BadInput(f"{path} is not a valid DOCX ({e}); save it again from the word processor") from None
    w = "{%s}" % _NS["w"]
    found = []
    for para in root.iter(f"{w}p"):
        text = "".join(
            node.text or "" if node.tag == f"{w}t" else "\n" if node.tag in (f"{w}br", f"{w}cr") else "\t" if node.tag == f"{w}tab" else ""
            for node in para.iter()
        )
        text = " ".join(text.split())
        style = para.find(f"{w}pPr/{w}pStyle")
        style = style.get(f"{w}val", "") if style is not None else ""
        links = para.findall(f".//{w}hyperlink[@{w}anchor]")  # links to a bookmark in the document: a contents entry
        if text:
            found.append(markup.Block(text, heading=bool(re.match(r"(?i)heading|title|subtitle", style)), links=len(links),
                                      link_chars=sum(len("".join(link.itertext())) for link in links),
                                      dropped="contents" if re.match(r"(?i)toc|contents", style) else None))
    found = markup.structure(found)
    if not page_text(found).strip():
        raise BadInput(f"{path} has no text in it: give the book's text")
    return Document(path, (Page(1, page_text(found)),), marked=True, removed=tuple(removed(found, 1)))
