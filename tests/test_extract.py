"""Extraction from PDFs generated here: repairs end to end, page ranges, every bad input's
one-line error, warnings, the parallel reader and the cache. Then the CLI around them."""

import re
import warnings

import pytest
from click.testing import CliRunner

import pdfs
from synth import cli, extract, pipeline
from synth.extract import BadInput, InputWarning


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


def test_parallel_extraction_gives_the_serial_text(tmp_path, fresh_cache, monkeypatch):
    path = pdfs.book_pdf(tmp_path / "long.pdf", pdfs.paginate(pdfs.wrap(pdfs.story(48)), 3), header="LONG")
    assert len(extract.extract(path).pages) >= 40
    monkeypatch.setattr(extract.os, "cpu_count", lambda: 3)
    parallel = extract.read_pdf(path, None)
    monkeypatch.setattr(extract, "PARALLEL_FROM", 10**6)
    assert parallel == extract.read_pdf(path, None)


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
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
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
    monkeypatch.setattr(cli, "engine_factory", lambda *a, **k: pytest.fail("an engine was prepared"))
    result = run("run", book, "--dry-run", "--out", book.with_suffix(".jsonl"))
    assert result.exit_code == 0 and "passages" in result.stdout and not book.with_suffix(".jsonl").exists()
