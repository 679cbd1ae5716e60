"""Extraction from PDFs generated here: repairs end to end, page ranges, every bad input's
one-line error, warnings, the parallel reader and the cache. Then the CLI around them."""

import re
import warnings

import pytest
from click.testing import CliRunner

import pdfs
from synth import cli, pipeline
from synth.sources import extract
from voicetune.errors import BadInput, InputWarning, Notice


def passages(path, **options):
    return pipeline.passages(path, pipeline.SegmentOptions(**options))


@pytest.fixture
def book(tmp_path):
    """Six pages of prose with a running header and page numbers."""
    return pdfs.book_pdf(tmp_path / "book.pdf", pdfs.paginate(pdfs.wrap(pdfs.story(12)), 6), header="SALT IN THE GEARS")


# -- repairs end to end -------------------------------------------------------------------------


def test_running_header_and_page_numbers_never_reach_a_passage(book):
    texts = [p.text for p in passages(book)]
    assert texts and not any("SALT IN THE GEARS" in t for t in texts)
    assert not any(re.search(r"(^|\s)\d(\s|$)", t) for t in texts)
    assert any("well-known engine" in t for t in texts)


def test_ligatures_and_hyphenation_in_a_pdf(tmp_path):
    font = pdfs.unicode_font()
    if font is None:
        pytest.skip("needs DejaVu Sans to draw ligature glyphs")
    lines = [
        "The \ufb01shermen said the \ufb02ags were \ufb02ying over the harbour when the foli-",
        "age turned, and that a well-known storm always came in the \ufb01rst week.",
        "Everyone in the town had a well-known opinion about the weather that year.",
    ]
    path = pdfs.book_pdf(tmp_path / "lig.pdf", [lines], font=font)
    (passage,) = passages(path, min_chars=50)
    assert "\ufb01" not in passage.text and "\ufb02" not in passage.text
    assert "fishermen said the flags were flying" in passage.text
    assert "the foliage turned" in passage.text and "a well-known storm" in passage.text


def test_page_range_restricts_the_pages(book):
    chosen = passages(book, pages=(2, 3), min_chars=50)
    assert chosen and all(2 <= p.first_page <= p.last_page <= 3 for p in chosen)


@pytest.mark.parametrize(
    "spec, expected", [("12-240", (12, 240)), ("12-", (12, None)), ("-40", (1, 40)), ("7", (7, 7)), (" 3 - 5 ", (3, 5))]
)
def test_parse_pages(spec, expected):
    assert extract.parse_pages(spec) == expected


@pytest.mark.parametrize("spec", ["", "-", "a-b", "5-3", "0-4", "1,3"])
def test_parse_pages_rejects_nonsense(spec):
    with pytest.raises(BadInput):
        extract.parse_pages(spec)


def test_page_range_beyond_the_book_is_an_error(book):
    with pytest.raises(BadInput, match=r"--pages 5-9: book.pdf has 6 pages"):
        extract.extract(book, pages=(5, 9))


# -- bad inputs: one clear message each -------------------------------------------------------


def test_encrypted_pdf_needs_its_password(tmp_path):
    path = pdfs.book_pdf(tmp_path / "locked.pdf", [pdfs.wrap(pdfs.PROSE)], password="secret")
    with pytest.raises(BadInput, match="is encrypted: pass its password with --password"):
        extract.extract(path)
    with pytest.raises(BadInput, match="is encrypted: the password is wrong"):
        extract.extract(path, "guess")
    assert "The harbour was quiet" in extract.extract(path, "secret").pages[0].text


def test_image_only_pdf_says_run_ocr(tmp_path):
    path = pdfs.picture_pdf(tmp_path / "scan.pdf", pages=3)
    with pytest.raises(BadInput, match="no extractable text on any of its 3 pages: it looks scanned; run OCR first, e.g. ocrmypdf"):
        extract.extract(path)


def test_picture_pages_inside_a_book_are_a_warning_with_their_numbers(tmp_path):
    a, b, c = pdfs.paginate(pdfs.wrap(pdfs.story(8)), 10)
    path = pdfs.book_pdf(tmp_path / "pics.pdf", [a, [], [], b, [], c], picture_pages=(2, 3, 5))
    with pytest.warns(InputWarning, match=r"no text on pages 2-3, 5 \(images only\?\): going on without them"):
        document = extract.extract(path)
    assert len(document.pages) == 6 and document.pages[5].text


def test_blank_pages_are_silent(tmp_path):
    path = pdfs.book_pdf(tmp_path / "blank.pdf", [pdfs.wrap(pdfs.PROSE), [], pdfs.wrap(pdfs.PROSE)], numbers=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        extract.extract(path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", r"is empty \(0 bytes\)"),
        (b"%PDF-1.3\n%%EOF\n", "could not be read as a PDF .*: it may be damaged; re-export it or repair it, e.g. with qpdf"),
        (b"%PDF-1.4\n" + b"garbage " * 200, "could not be read as a PDF"),
        (b"Just some words, not a PDF at all.", r"is not a PDF \(no %PDF header\)"),
    ],
)
def test_damaged_empty_and_impostor_files(tmp_path, content, message):
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    with pytest.raises(BadInput, match=message):
        extract.extract(path)


def test_missing_file_folder_and_ebook(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        extract.extract(tmp_path / "nope.pdf")
    with pytest.raises(BadInput, match="is a folder"):
        extract.extract(tmp_path)
    mobi = tmp_path / "book.mobi"
    mobi.write_bytes(b"BOOKMOBI")
    with pytest.raises(BadInput, match="convert it to EPUB, DOCX, PDF or plain text first"):
        extract.extract(mobi)
    epub = tmp_path / "book.epub"
    epub.write_bytes(b"PK\x03\x04 zipped")
    with pytest.raises(BadInput, match="not a readable EPUB file .*: it may be damaged"):
        extract.extract(epub)


def test_one_page_that_pypdf_cannot_read_costs_that_page(book, fresh_cache, monkeypatch):
    from pypdf import PageObject

    original = PageObject.extract_text

    def flaky(page, *args, **kwargs):
        if "SALT IN THE GEARS 4" in original(page):
            raise KeyError("/Font")
        return original(page)

    monkeypatch.setattr(PageObject, "extract_text", flaky)
    monkeypatch.setattr(extract, "PARALLEL_FROM", 10**6)  # the patch lives in this process only
    with pytest.warns(InputWarning, match=r"could not read page 4 \(KeyError"):
        document = extract.extract(book)
    assert document.pages[3].text == "" and document.pages[4].text


# -- parallel extraction and the cache -----------------------------------------------------------


def test_parallel_extraction_runs_in_worker_processes_and_gives_the_serial_text(tmp_path, fresh_cache, monkeypatch):
    path = pdfs.book_pdf(tmp_path / "long.pdf", pdfs.paginate(pdfs.wrap(pdfs.story(48)), 3), header="LONG")
    assert len(extract.extract(path).pages) >= 40
    monkeypatch.setattr(extract.os, "cpu_count", lambda: 3)
    pools = []

    class Pool(extract.ProcessPoolExecutor):
        def map(self, fn, *iterables, **kwargs):
            pools.append(self._max_workers)
            return super().map(fn, *iterables, **kwargs)

    monkeypatch.setattr(extract, "ProcessPoolExecutor", Pool)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to one process would warn
        parallel = extract.read_pdf(path, None)
    assert pools == [3]
    monkeypatch.setattr(extract, "PARALLEL_FROM", 10**6)
    assert parallel == extract.read_pdf(path, None) and pools == [3]


def test_a_broken_worker_pool_is_said_and_the_book_read_in_one_process(tmp_path, fresh_cache, monkeypatch):
    path = pdfs.book_pdf(tmp_path / "long.pdf", pdfs.paginate(pdfs.wrap(pdfs.story(48)), 3), header="LONG")
    monkeypatch.setattr(extract.os, "cpu_count", lambda: 3)

    class Broken(extract.ProcessPoolExecutor):
        def map(self, fn, *iterables, **kwargs):
            raise extract.BrokenProcessPool("a worker died")

    monkeypatch.setattr(extract, "ProcessPoolExecutor", Broken)
    with pytest.warns(InputWarning, match=r"long.pdf: the 3 worker processes failed \(BrokenProcessPool: a worker died\): reading its \d+ pages in one process"):
        pages = extract.read_pdf(path, None)["pages"]
    assert len(pages) >= 40 and all(p["text"] for p in pages)


def test_a_blank_page_with_damaged_resources_is_said_not_hidden(tmp_path, fresh_cache, monkeypatch):
    from pypdf import PageObject

    path = pdfs.book_pdf(tmp_path / "b.pdf", [pdfs.wrap(pdfs.PROSE), []], numbers=False)
    original = PageObject.get

    def damaged(page, key, *args):
        if key == "/Resources" and not (page.extract_text() or "").strip():
            raise KeyError("/XObject")
        return original(page, key, *args)

    monkeypatch.setattr(PageObject, "get", damaged)
    monkeypatch.setattr(extract, "PARALLEL_FROM", 10**6)
    with pytest.warns(InputWarning, match=r"could not read page 2 \(its resources are damaged: KeyError"):
        extract.extract(path)


def test_second_run_reads_the_cache_not_the_pdf(book, tmp_path, fresh_cache, monkeypatch):
    first = extract.extract(book)
    assert len(list(fresh_cache.glob("*.json"))) == 1

    def no_pypdf(*args, **kwargs):
        raise AssertionError("pypdf was called on a cached book")

    monkeypatch.setattr("pypdf.PdfReader", no_pypdf)
    copy = tmp_path / "renamed copy.pdf"
    copy.write_bytes(book.read_bytes())
    assert extract.extract(copy).pages == first.pages  # keyed by content, not by name


def test_cache_from_another_extractor_version_is_ignored(book, fresh_cache, monkeypatch):
    extract.extract(book)
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", extract.EXTRACTOR_VERSION + 1)
    calls = []
    monkeypatch.setattr(extract, "read_pdf", lambda *a: calls.append(a) or {"pages": [{"text": "Fresh."}], "needs_password": False})
    assert extract.extract(book).pages[0].text == "Fresh." and calls


def test_a_password_protected_book_is_never_cached(tmp_path, fresh_cache):
    path = pdfs.book_pdf(tmp_path / "locked.pdf", [pdfs.wrap(pdfs.PROSE)], password="secret")
    extract.extract(path, "secret")
    assert not fresh_cache.exists() or not list(fresh_cache.iterdir())
    with pytest.raises(BadInput, match="encrypted"):
        extract.extract(path)


# -- the CLI -----------------------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(cli.cli, [str(a) for a in args])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: pdfs.picture_pdf(d / "scan.pdf"), "no extractable text on its only page"),
        (lambda d: pdfs.book_pdf(d / "locked.pdf", [["Secret text."]], password="pw"), "pass its password with --password"),
        (lambda d: (d / "empty.pdf").write_bytes(b"") and None or d / "empty.pdf", "is empty (0 bytes)"),
        (lambda d: (d / "cut.pdf").write_bytes(b"%PDF-1.3\n%%EOF") and None or d / "cut.pdf", "could not be read as a PDF"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_1(tmp_path, make, message):
    result = run("segment", make(tmp_path))
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit))
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ") and message in line and "Traceback" not in result.output


def test_cli_bad_page_range_is_a_usage_error(book):
    result = run("segment", book, "--pages", "9-3")
    assert result.exit_code == 2 and "Invalid value for '--pages'" in result.output


def test_cli_warnings_go_to_stderr_as_one_line(tmp_path):
    pages = pdfs.paginate(pdfs.wrap(pdfs.story(8)), 10)
    path = pdfs.book_pdf(tmp_path / "pics.pdf", pages + [[]], picture_pages=(len(pages) + 1,))
    result = run("segment", path, "--stats")
    assert result.exit_code == 0
    assert result.stderr.strip() == f"Warning: pics.pdf: no text on page {len(pages) + 1} (images only?): going on without them; OCR them if they matter, e.g. ocrmypdf"


def test_cli_segment_stats_and_passages(book):
    result = run("segment", book, "--min-chars", "100", "--show", "1")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("book.pdf: ") and "shortest" in out and "longest" in out and "> 2000" in out
    assert out.count("\n[") == 1
    assert run("segment", book, "--stats").stdout.count("\n[") == 0


def test_cli_dry_run_shows_passages_without_loading_a_model(book, monkeypatch):
    monkeypatch.setattr("synth.synthesis.choose", lambda *a, **k: pytest.fail("an engine was prepared"))
    result = run("run", book, "--dry-run", "--out", book.with_suffix(".jsonl"))
    assert result.exit_code == 0 and "passages" in result.stdout and not book.with_suffix(".jsonl").exists()


# -- words split by letter spacing -----------------------------------------------------------------

KERNED = [
    "The truth of it came to me slowly, the way the tide comes into the harbour in March; she read it aloud.",
    "My father spoke vigorously about engines, and about death, which he did not fear.",
    "The Heat-Ray of the summer kept the men in the net shed through the afternoons.",
    "It was the tr|uth of a deat^h that changed him; he spoke vigorous|ly of it for a year.",
    "We walked thr|ough the town and past the quay, and I heard a loud bell from the church.",
    "Nobody went through the gate after dark, and the Heat- Ray was only a story by then.",
]


def kerned_text(tmp_path, lines: list[str]) -> tuple[str, str]:
    """(pypdf's text of a kerned PDF of these lines, the text of its passages)."""
    path = pdfs.kerned_pdf(tmp_path / "kerned.pdf", lines)
    raw = "\n".join(page.text for page in extract.extract(path).pages)
    return raw, " ".join(p.text for p in passages(path, min_chars=50))


def test_words_split_by_kerning_are_whole_in_passages(tmp_path):
    raw, text = kerned_text(tmp_path, KERNED)
    assert "tr uth" in raw and "deat h" in raw and "vigorous ly" in raw and "thr ough" in raw  # what pypdf gives
    for whole in ("the truth of a death that changed him", "spoke vigorously of it", "walked through the town", "the Heat-Ray was only"):
        assert whole in text
    assert "a loud bell" in text  # "aloud" is a word too, but "a" and "loud" are two here


def test_split_word_suspects_are_counted_before_the_repair_and_gone_after(tmp_path):
    from synth.repair import clean, splitwords

    path = pdfs.kerned_pdf(tmp_path / "kerned.pdf", KERNED)
    raw = "\n".join(page.text for page in extract.extract(path).pages)
    assert set(splitwords.suspects(raw)) == {("tr", "uth"), ("deat", "h"), ("vigorous", "ly"), ("thr", "ough"), ("Heat-", "Ray")}
    assert ("a", "loud") in splitwords.suspects(raw, strict=False)  # the measure's broader count
    assert not splitwords.suspects(clean.repaired_text(clean.paragraphs(extract.extract(path))))


KERNED_SHORT = [
    "The boats and the nets were out, and another storm came over the harbour in the night.",
    "A man and a boy stood on the quay; the other men were in the shed with the engine.",
    "They mended and painted and argued, and the rope and the nets and the lamps and the charts were ready.",
    "Th|e men a|nd th|e boys waited, and an- other hour went by before the boats came in.",
    "It may be that the boy saw it first, or maybe the man; the White House of the harbour master was dark.",
]


def test_short_fragments_set_apart_by_kerning_are_whole_and_word_pairs_are_left(tmp_path):
    raw, text = kerned_text(tmp_path, KERNED_SHORT)
    assert "Th e men a nd th e boys" in raw  # what pypdf gives
    assert "The men and the boys waited, and another hour went by" in text
    assert "It may be that the boy" in text and "the White House of the harbour" in text


# -- e-books and documents -----------------------------------------------------------------------------

CHAPTERS = [
    ("ch2.xhtml", "Chapter Two", ["The second chapter's first paragraph, about the boats and the long winter in the harbour town.", "Its second paragraph, about my father."]),
    ("ch1.xhtml", "Chapter One", ["The first chapter opens in the kitchen, where my mother kept the ledger of every catch.", "Then the storm came."]),
]


def xhtml(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p.replace('father', '<i>father</i>')}</p>\n" for p in paragraphs)
    return (
        '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title>'
        f"<style>p {{ margin: 0 }}</style></head><body><h1>{title}</h1>\n{body}<script>var x = 1;</script></body></html>"
    )


def make_epub(path, chapters=CHAPTERS, spine=("ch1", "ch2")):
    import zipfile

    items = "".join(f'<item id="{name.split(".")[0]}" href="text/{name}" media-type="application/xhtml+xml"/>' for name, _, _ in chapters)
    refs = "".join(f'<itemref idref="{i}"/>' for i in spine)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml", '<?xml version="1.0"?><container xmlns="urn:oasis:names:tc:opendocument:xmlns:container" version="1.0">'
                   '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
        z.writestr("OEBPS/content.opf", f'<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><manifest>{items}</manifest><spine>{refs}</spine></package>')
        for name, title, paragraphs in chapters:
            z.writestr(f"OEBPS/text/{name}", xhtml(title, paragraphs))
    return path


def test_epub_chapters_in_spine_order_as_paragraphs(tmp_path):
    document = extract.extract(make_epub(tmp_path / "book.epub"))
    assert [page.text.split("\n\n")[0] for page in document.pages] == ["# Chapter One", "# Chapter Two"]
    found = passages(tmp_path / "book.epub", min_chars=20)
    assert [p.chapter for p in found] == ["Chapter One", "Chapter One", "Chapter Two", "Chapter Two"]
    assert [p.text for p in found] == CHAPTERS[1][2] + CHAPTERS[0][2]  # no script, no style, italics kept as text


def test_docx_paragraphs_and_headings(tmp_path):
    import zipfile

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = (
        '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>The Harbour</w:t></w:r></w:p>'
        '<w:p><w:r><w:t xml:space="preserve">The boats went out </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>before dawn</w:t></w:r>'
        '<w:r><w:t>, every day of the year except Christmas, and my father went with them.</w:t></w:r></w:p>'
    )
    path = tmp_path / "memoir.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("word/document.xml", f'<?xml version="1.0"?><w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>')
    (passage,) = passages(path, min_chars=20)
    assert passage.chapter == "The Harbour"
    assert passage.text == "The boats went out before dawn, every day of the year except Christmas, and my father went with them."


def test_html_without_scripts_styles_and_navigation(tmp_path):
    path = tmp_path / "essay.html"
    path.write_text(
        "<html><head><style>body{}</style><title>Essay</title></head><body><nav>Home | About</nav>"
        "<h2>On Boats</h2><p>The boats went out before dawn,<br>every day &amp; every night, and my father went with them.</p></body></html>"
    )
    (passage,) = passages(path, min_chars=20)
    assert passage.chapter == "On Boats" and passage.text == "The boats went out before dawn, every day & every night, and my father went with them."


def test_a_text_book_in_latin_1_is_decoded_not_replaced(tmp_path):
    path = tmp_path / "book.txt"
    path.write_bytes(("Ma grand-mère vivait à Cádiz, près du port, où les bateaux partaient avant l'aube. " * 4).encode("latin-1"))  # cp1257 reads as clean
    with pytest.warns(Notice, match="book.txt: not UTF-8; read as cp1252"):
        (passage,) = passages(path)
    assert "grand-mère vivait à Cádiz" in passage.text and "\ufffd" not in passage.text


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16"])
def test_a_utf16_text_book_with_or_without_a_bom_is_read_as_utf16(tmp_path, codec):
    # Without a BOM, UTF-16LE is valid UTF-8: it became passages with a NUL between every two letters.
    path = tmp_path / "book.txt"
    path.write_bytes(("Ma grand-mère vivait à Cádiz, près du port, où les bateaux partaient avant l'aube. " * 4).encode(codec))
    with pytest.warns(Notice, match="book.txt: not UTF-8; read as UTF-16"):
        (passage,) = passages(path)
    assert passage.text.startswith("Ma grand-mère vivait à Cádiz") and "\x00" not in passage.text


def test_a_text_file_with_nul_bytes_that_is_not_utf16_is_one_line(tmp_path):
    path = tmp_path / "book.txt"
    path.write_bytes(b"Some words\x00\x00\x00 then a binary part \x00\x01\x02 and more words. " * 4)
    result = CliRunner().invoke(cli.cli, ["segment", str(path)])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "holds NUL characters" in result.output
    assert result.output.count("\n") == 1


def test_reading_a_long_pdf_shows_pages_read_on_stderr(tmp_path, monkeypatch, capsys):
    path = pdfs.book_pdf(tmp_path / "long.pdf", pdfs.paginate(pdfs.wrap(pdfs.story(12)), 6))
    pages = len(extract.read_pdf(path, None)["pages"])
    assert "reading long.pdf" not in capsys.readouterr().err  # a short book: no bar
    monkeypatch.setattr(extract, "PROGRESS_FROM", pages)
    extract.read_pdf(path, None)
    err = capsys.readouterr().err
    assert "reading long.pdf" in err and f"/{pages} [" in err
