"""E-books and documents -> Document: EPUB (chapters in spine order), DOCX and HTML, read with
the standard library (zipfile, xml, html.parser). Each gives one page per chapter (EPUB) or one
page (DOCX, HTML) of paragraphs separated by blank lines, which clean.paragraphs reads as it
reads a plain-text book: a blank line ends a paragraph, a short title line names a chapter.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

from voicetune.errors import BadInput
from synth.document import Document, Page

BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "section", "article", "tr", "dd", "dt", "pre", "figcaption", "td", "th"}
SKIPPED = {"script", "style", "head", "title", "nav", "svg", "math", "noscript", "template"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
}


class _Paragraphs(HTMLParser):
    """HTML -> paragraphs of text: block elements end a paragraph, <br> ends a line, scripts,
    styles and navigation are dropped; headings become a Markdown heading line."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.heading = False

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skip += 1
        elif tag in BLOCKS:
            self.flush()
            self.heading = tag in HEADINGS
        elif tag == "br":
            self.current.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag == "br":
            self.current.append("\n")

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCKS:
            self.flush()

    def handle_data(self, data):
        if not self.skip:
            self.current.append(data)

    def flush(self):
        lines = [" ".join(line.split()) for line in "".join(self.current).split("\n")]
        text = " ".join(line for line in lines if line)
        if text:
            self.paragraphs.append(f"# {text}" if self.heading else text)
        self.current, self.heading = [], False


def html_paragraphs(markup: str) -> list[str]:
    parser = _Paragraphs()
    parser.feed(markup)
    parser.close()
    parser.flush()
    return parser.paragraphs


def extract_html(path: Path) -> Document:
    from synth.sources.textfile import read_text

    text = "\n\n".join(html_paragraphs(read_text(path)))
    if not text.strip():
        raise BadInput(f"{path} has no text in it: give the book's text")
    return Document(path, (Page(1, text),))


def _zip(path: Path, kind: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise BadInput(f"{path} is not a readable {kind} file ({e}): it may be damaged; export it again") from None


def extract_epub(path: Path) -> Document:
    """One page per spine item (the reading order), each as paragraphs; items without text
    (a cover image) are left out. DRM-protected books cannot be read and say so."""
    with _zip(path, "EPUB") as book:
        names = set(book.namelist())
        if "META-INF/encryption.xml" in names and b"EncryptedData" in book.read("META-INF/encryption.xml") and _drm(book):
            raise BadInput(f"{path} is DRM-protected: export a DRM-free copy, or convert it with the tool that holds its licence")
        try:
            container = ElementTree.fromstring(book.read("META-INF/container.xml"))
            opf_path = container.find(".//c:rootfile", _NS).get("full-path")
            opf = ElementTree.fromstring(book.read(opf_path))
            manifest = {item.get("id"): item.get("href") for item in opf.iterfind(".//opf:manifest/opf:item", _NS)}
            spine = [manifest[ref.get("idref")] for ref in opf.iterfind(".//opf:spine/opf:itemref", _NS) if ref.get("linear", "yes") != "no"]
        except (KeyError, AttributeError, ElementTree.ParseError) as e:
            raise BadInput(f"{path} is not a valid EPUB (its package file is missing or damaged: {e}); export it again") from None
        folder = posixpath.dirname(opf_path)
        pages = []
        for href in spine:
            member = posixpath.normpath(posixpath.join(folder, unquote(href.split("#")[0])))
            if member not in names:
                continue
            text = "\n\n".join(html_paragraphs(_decode(book.read(member), path, member)))
            if text.strip():
                pages.append(Page(len(pages) + 1, text))
    if not pages:
        raise BadInput(f"{path} has no text in its chapters: give the book's text")
    return Document(path, tuple(pages))


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
    """The body's paragraphs in order (tables' cells too); headings as heading lines."""
    with _zip(path, "DOCX") as document:
        try:
            root = ElementTree.fromstring(document.read("word/document.xml"))
        except (KeyError, ElementTree.ParseError) as e:
            raise BadInput(f"{path} is not a valid DOCX ({e}); save it again from the word processor") from None
    w = "{%s}" % _NS["w"]
    paragraphs = []
    for para in root.iter(f"{w}p"):
        text = "".join(
            node.text or "" if node.tag == f"{w}t" else "\n" if node.tag in (f"{w}br", f"{w}cr") else "\t" if node.tag == f"{w}tab" else ""
            for node in para.iter()
        )
        text = " ".join(text.split())
        style = para.find(f"{w}pPr/{w}pStyle")
        heading = style is not None and re.match(r"(?i)heading|title", style.get(f"{w}val", ""))
        if text:
            paragraphs.append(f"# {text}" if heading else text)
    if not paragraphs:
        raise BadInput(f"{path} has no text in it: give the book's text")
    return Document(path, (Page(1, "\n\n".join(paragraphs)),))
