"""E-books read by their own markup (issue 23, item 4): spine files end their paragraphs, chapter
titles come from headings and the navigation, and front and back matter goes by where it stands and
what it is, never the author's text. Small books built here in other spellings of each convention,
then the six real e-books of ../shared/corpora/books."""

import re
import zipfile

import pytest

from conftest import CORPORA
from synth import pipeline
from synth.repair import boilerplate, clean
from synth.sources import extract, markup
from synth.document import Paragraph

BODY = "The harbour was quiet that winter, and nobody expected the boats to go out before March; the men mended nets and argued about the weather. "


def passages(path, **options):
    return list(pipeline.passages(path, pipeline.SegmentOptions(**{"min_chars": 20, **options})))


def xhtml(body: str, head: str = "") -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
            f"<head><title>Book</title>{head}</head><body>{body}</body></html>")


def epub(path, files: dict[str, str], spine: list[str], nav: str | None = None, ncx: str | None = None, guide: str = "", version="3.0"):
    """An EPUB with the given chapter files (name -> body markup) in `spine` order; `nav` an EPUB 3
    navigation body, `ncx` an EPUB 2 navMap."""
    items = "".join(f'<item id="f{i}" href="text/{name}" media-type="application/xhtml+xml"/>' for i, name in enumerate(files))
    ids = {name: f"f{i}" for i, name in enumerate(files)}
    if nav is not None:
        items += '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
    if ncx is not None:
        items += '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
    refs = "".join(f'<itemref idref="{"nav" if name == "nav.xhtml" else ids[name]}"/>' for name in spine)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml", '<?xml version="1.0"?><container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0">'
                   '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
        z.writestr("OEBPS/content.opf", f'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="{version}">'
                   f"<manifest>{items}</manifest><spine>{refs}</spine><guide>{guide}</guide></package>")
        for name, body in files.items():
            z.writestr(f"OEBPS/text/{name}", xhtml(body))
        if nav is not None:
            z.writestr("OEBPS/nav.xhtml", xhtml(nav))
        if ncx is not None:
            z.writestr("OEBPS/toc.ncx", f'<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><navMap>{ncx}</navMap></ncx>')
    return path


def nav_points(*entries: tuple[str, str]) -> str:
    return "".join(f'<navPoint id="n{i}"><navLabel><text>{label}</text></navLabel><content src="{src}"/></navPoint>' for i, (label, src) in enumerate(entries))


# -- spine files and chapter titles -----------------------------------------------------------------


def test_a_spine_file_that_never_closes_its_last_paragraph_ends_it(tmp_path):
    # The long novel of issue 23: "…Jove himself cannot. # Chapter 8. The Pulpit." in one passage.
    files = {
        "c7.xhtml": f"<h2>Chapter 7. The Chapel.</h2><p>{BODY}<p>{BODY} It is a thing that Jove himself cannot.",
        "c8.xhtml": f"<h2>Chapter 8. The Pulpit.</h2><p>{BODY}</p>",
    }
    path = epub(tmp_path / "novel.epub", files, ["c7.xhtml", "c8.xhtml"], nav='<nav epub:type="toc"><ol><li><a href="text/c7.xhtml">Chapter 7</a></li></ol></nav>')
    found = passages(path)
    assert not [p.text for p in found if "Chapter 8" in p.text or "Pulpit" in p.text]
    assert found[-1].chapter == "Chapter 8. The Pulpit." and found[-2].text.endswith("Jove himself cannot.")
    assert found[-2].chapter == "Chapter 7. The Chapel."


def test_chapter_titles_from_the_ncx_where_the_files_mark_no_heading(tmp_path):
    files = {
        "one.html": f'<div id="start"><p class="title">The First Winter</p><p>{BODY}</p></div>',  # the title as a plain paragraph
        "two.html": f"<p>{BODY} The second chapter's own words.</p>",  # no title in the file at all
    }
    ncx = nav_points(("The First Winter", "text/one.html#start"), ("The Second Winter", "text/two.html"))
    found = passages(epub(tmp_path / "b.epub", files, ["one.html", "two.html"], ncx=ncx, version="2.0"))
    assert [p.chapter for p in found] == ["The First Winter", "The Second Winter"]
    assert not any("The First Winter" in p.text for p in found)


def test_a_caption_is_not_a_chapter_title(tmp_path):
    body = (f"<h2>STAVE ONE.</h2><h4>MARLEY'S GHOST.</h4><p>{BODY}</p>"
            f'<div class="fig"><img alt="Marley\'s Ghost" src="m.jpg"/></div><h4><i>Marley\'s Ghost</i></h4><p>{BODY} After the picture.</p>')
    document = extract.extract(epub(tmp_path / "b.epub", {"s1.xhtml": body}, ["s1.xhtml"]))
    assert [r.kind for r in document.removed] == ["caption"]
    found = passages(tmp_path / "b.epub")
    assert {p.chapter for p in found} == {"STAVE ONE. MARLEY'S GHOST."}


# -- front and back matter ----------------------------------------------------------------------------


def test_cover_title_page_contents_and_licence_go_by_what_the_book_marks_them(tmp_path):
    files = {
        "cover.xhtml": '<section epub:type="cover"><p>HARBOUR BOOKS PRESENTS</p></section>',
        "title.xhtml": '<section role="doc-titlepage"><h1>The Harbour</h1><p>A Memoir by Agnes Tarrow</p></section>',
        "toc.xhtml": '<section epub:type="toc"><h2>Contents</h2><p><a href="ch1.xhtml">One: The Boats</a></p></section>',
        "ch1.xhtml": f"<h2>One: The Boats</h2><p>{BODY}</p><p>{BODY} The end of the last chapter.",
        "licence.xhtml": '<section class="pg-boilerplate" id="pg-footer"><p>*** END OF THE PROJECT GUTENBERG EBOOK THE HARBOUR ***</p>'
                         "<p>Updated editions will replace the previous one.</p></section>",
        "colophon.xhtml": "<p>Set in Garamond by the printer, who thanks the reader.</p>",
    }
    guide = '<reference type="colophon" href="text/colophon.xhtml"/>'
    path = epub(tmp_path / "b.epub", files, list(files), guide=guide)
    document = extract.extract(path)
    assert {r.kind for r in document.removed} == {"front matter", "contents", "Project Gutenberg header and licence"}
    found = passages(path)
    assert [p.text for p in found] == [BODY.strip(), BODY + "The end of the last chapter."]  # the epilogue's last paragraph is kept whole
    assert {p.chapter for p in found} == {"One: The Boats"}


def test_a_contents_list_of_links_and_one_of_repeated_titles_both_go(tmp_path):
    html = tmp_path / "book.html"
    html.write_text(
        '<h1>The Harbour</h1><h2>CONTENTS</h2><p><a href="#c1">CHAPTER I. The Boats</a><br><a href="#c2">CHAPTER II. The Storm</a><br><a href="#c3">CHAPTER III. Spring</a></p>'
        f'<div class="chapter"><h2 id="c1">CHAPTER I. The Boats</h2><p>{BODY}</p></div>'
        f'<div class="chapter"><h3 id="c2">CHAPTER II. The Storm</h3><p>{BODY} The storm.</p></div>'
        f'<div class="chapter"><h4 id="c3">CHAPTER III. Spring</h4><p>{BODY} Spring came.</p></div>'
    )
    found = passages(html)
    assert [p.chapter for p in found] == ["CHAPTER I. The Boats", "CHAPTER II. The Storm", "CHAPTER III. Spring"]
    assert not any("CHAPTER" in p.text for p in found)
    titles = ["Story of the Door", "Search for Mr. Hyde", "The Last Night"]
    blocks = [markup.Block("Contents"), *map(markup.Block, titles)] + [b for t in titles for b in (markup.Block(t), markup.Block(BODY))]
    assert [b.dropped for b in markup.structure(blocks)][:5] == ["contents"] * 4 + [None]


def test_docx_title_and_heading_styles_name_chapters_and_a_contents_list_goes(tmp_path):
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

    def para(text, style=None):
        props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        return f"<w:p>{props}<w:r><w:t>{text}</w:t></w:r></w:p>"

    body = (para("The Harbour", "Title") + para("Contents") + para("THE BOATS") + para("THE STORM") + para("SPRING")
            + para("THE BOATS", "Heading1") + para(BODY) + para("THE STORM", "Heading2") + para(BODY + "The storm.") + para("SPRING") + para(BODY + "Spring came."))
    path = tmp_path / "memoir.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", f'<?xml version="1.0"?><w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>')
    found = passages(path)
    assert [p.chapter for p in found] == ["THE BOATS", "THE STORM", "SPRING"]  # SPRING by its shape: a short line in capitals
    assert [r.text for r in extract.extract(path).removed] == ["Contents", "THE BOATS", "THE STORM", "SPRING"]


def test_notes_and_their_markers_go_and_other_links_stay(tmp_path):
    html = tmp_path / "letters.htm"
    html.write_bytes((
        '<h3 id="l1">1. TO ZMESKALL.</h3><p>' + BODY + 'Throw off a hundred impressions of the plate.<sup><a href="#fn1">[1]</a></sup> '
        'As I said in <a href="#l2">the next letter</a>, farewell!</p><div class="fn" id="fn1"><p>[Footnote 1: The editor thinks it a visiting-card.</p>'
        '<p>Frau Eyloff saw one too.]</p></div><h3 id="l2">2. TO ZMESKALL.</h3><p>' + BODY + 'Come soon.<a epub:type="noteref" href="n.html#x">*</a></p>'
        '<aside epub:type="footnote"><p>* Zmeskall never came, says the editor.</p></aside>'
    ).encode("latin-1"))
    document = extract.extract(html)
    assert [r.kind for r in document.removed] == ["note"] * 3
    text = " ".join(p.text for p in passages(html))
    assert "editor" not in text and "Eyloff" not in text and "[1]" not in text and "*" not in text
    assert "impressions of the plate. As I said in the next letter, farewell!" in text


# -- boilerplate: the author's words stay ---------------------------------------------------------


CHAPTER = [BODY * 2 + str(i) for i in range(60)]


def plain(*texts):
    return [Paragraph(t, 1, 1) for t in texts]


@pytest.mark.parametrize("authors", [
    '"My dearest child," she cried, "and a special licence! You must and shall be married by a special licence."',
    "Sincerely and earnestly hoping that this little book may do some good, I subscribe myself,",
    "We hope that our command will be obeyed, especially as we subscribe ourselves, with the most profound respect.",
    "It was published by nobody and read by everybody in the town.",
])
def test_a_word_that_authors_use_too_is_never_a_notice_alone(authors):
    assert not boilerplate.remove_notices(plain(*CHAPTER, authors)).removed
    assert not boilerplate.remove_notices(plain(authors, *CHAPTER)).removed


@pytest.mark.parametrize("authors", ["MY DEAR SON,--", "BEETHOVEN.", "\u2014HAKLUYT.", "WEBSTER'S DICTIONARY.", "DEAR Z.,--", "HOUSE OF GIANNATASIO!--", "NARBERTH, PA., JANUARY 1, 1915.", "VIENNA, Sept. 3rd, 1823.",
                                     "IT WAS THE BEST OF TIMES, IT WAS THE WORST OF TIMES, it was the age of wisdom, it was the age of foolishness."])
def test_salutations_signatures_attributions_and_capital_openings_in_the_front_are_kept(authors):
    split = boilerplate.remove_notices(plain(authors, *CHAPTER))
    assert not split.removed and split.kept[0].text == authors


def test_a_title_page_a_contents_list_and_a_copyright_line_still_go():
    front = ["FROM THE COLLECTION OF DR. LUDWIG NOHL.", "CONAN DOYLE", "Copyright 1998 Agnes Tarrow", "ISBN 978-0-00-000000-0"]
    lead = "APPENDIX A\u2014THE BOATS APPENDIX B\u2014THE STORM GENERAL INDEX "
    split = boilerplate.remove_notices(plain(*front, lead + "Every winter of my sixtieth year I wrote a little of this book.", *CHAPTER))
    assert [p.text for p in split.removed] == front + [lead.strip()]
    assert split.kept[0].text.startswith("Every winter")


def test_a_short_section_under_a_notice_heading_goes():
    notice = "There are several editions of this ebook in the Project Gutenberg collection."
    paragraphs = [Paragraph("(First edition, 1843; illustrations by John Leech)", 1, 1, notice), *[Paragraph(t, 1, 1, "PREFACE") for t in CHAPTER]]
    split = boilerplate.remove_notices(paragraphs)
    assert [p.chapter for p in split.removed] == [notice] and len(split.kept) == len(CHAPTER)


# -- the real e-books ----------------------------------------------------------------------------------

BOOKS = CORPORA / "books"
real = pytest.mark.skipif(not BOOKS.is_dir(), reason="../shared/corpora is not here")
_LABEL = re.compile(r"(?:^|\n|[.!?\u201d] )#? ?(?:CHAPTER|Chapter|LETTER|Letter|STAVE) [IVXLC\d]+\b")


def real_book(prefix: str):
    path = next(BOOKS.glob(f"{prefix}_*"))
    return path, pipeline.read_source(path, path.name, pipeline.SegmentOptions())


@real
@pytest.mark.corpora
@pytest.mark.parametrize("prefix", ["23", "24", "25", "26", "27", "28"])
def test_no_chapter_heading_is_left_inside_a_real_books_passages(prefix):
    _, source = real_book(prefix)
    assert not [p.text[:80] for p in source.passages if _LABEL.search(p.text)]


@real
@pytest.mark.corpora
def test_frankenstein_chapters_are_its_letters_and_chapters_in_order():
    _, source = real_book("23")
    chapters = list(dict.fromkeys(p.chapter for p in source.passages))
    assert chapters == [f"Letter {i}" for i in range(1, 5)] + [f"Chapter {i}" for i in range(1, 25)]


@real
@pytest.mark.corpora
def test_christmas_carol_staves_without_captions_and_its_contents_reported():
    path, source = real_book("24")
    chapters = list(dict.fromkeys(p.chapter for p in source.passages))
    assert chapters[0] == "PREFACE" and chapters[1:] == ["STAVE ONE. MARLEY\u2019S GHOST.", "STAVE TWO. THE FIRST OF THE THREE SPIRITS.",
                                                         "STAVE THREE. THE SECOND OF THE THREE SPIRITS.", "STAVE FOUR. THE LAST OF THE SPIRITS.", "STAVE FIVE. THE END OF IT."]
    removed = clean.clean(extract.extract(path)).removed
    assert any(r.kind == "contents" and r.text.startswith("STAVE I MARLEY") for r in removed)
    assert sum(r.kind == "caption" for r in removed) == 4


@real
@pytest.mark.corpora
@pytest.mark.parametrize("prefix, authors", [
    ("27", "Sincerely and earnestly hoping that this little book"),  # Douglass's own last paragraph
    ("28", "MY GOOD ADJUTANT,--"), ("28", "HOUSE OF GIANNATASIO!--"), ("28", "especially as we subscribe ourselves"),  # Beethoven's own
    ("25", "And a special licence."),
])
def test_the_authors_words_that_looked_like_boilerplate_are_kept(prefix, authors):
    cleaned = clean.clean(extract.extract(next(BOOKS.glob(f"{prefix}_*"))))
    assert any(authors in p.text for p in cleaned.paragraphs)
    assert not any(authors in text for text in cleaned.boilerplate)


@real
@pytest.mark.corpora
def test_jekyll_docx_chapters_start_at_the_first_chapter_not_its_contents_list():
    _, source = real_book("26")
    chapters = list(dict.fromkeys(p.chapter for p in source.passages))
    assert chapters[0] == "STORY OF THE DOOR" and chapters[-1] == "HENRY JEKYLL\u2019S FULL STATEMENT OF THE CASE"
    assert not any("Gutenberg" in p.text for p in source.passages)


MARKDOWN_BOOK = """---
title: Salt and Iron
author: Agnes Moir
---

# Salt and Iron

## Chapter 1: Kellhaven

{body}She said it was *the only honest work* in the town.[^1]

![The harbour in 1962](images/harbour.jpg)

<!-- TODO: check the date of the storm -->

> The sea gives, and the sea takes.

{body}You can read more [on the museum site](https://example.org/kellhaven).

## Chapter 2: The Morning Star

**My uncle Rab** had an old wooden trawler called the Morning Star. {body}

[^1]: My mother's words, not mine.
    She said them often.
"""


def test_a_markdown_book_is_read_as_its_editor_shows_it(tmp_path):
    path = tmp_path / "book.md"
    path.write_text(MARKDOWN_BOOK.format(body=BODY))
    found = passages(path)
    assert [p.text for p in found] == [
        BODY + "She said it was the only honest work in the town.",
        "The sea gives, and the sea takes.",
        BODY + "You can read more on the museum site.",  # a paragraph with a link is the author's, not boilerplate
        "My uncle Rab had an old wooden trawler called the Morning Star. " + BODY.strip(),
    ]
    assert [p.chapter for p in found] == ["Chapter 1: Kellhaven"] * 3 + ["Chapter 2: The Morning Star"]
    assert not any(re.search(r"[*_\[\]!<>#]|title:|TODO|mother's words", p.text) for p in found)
