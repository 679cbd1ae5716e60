"""Files -> Document: the text of each page, as the file gives it (repairs live in clean.py).
PDFs are read here; EPUB, DOCX and HTML in ebooks.py; text files in any encoding by textfile.py.

PDF text comes from pypdf, which is slow (tens of pages per second on one core), so pages are
extracted in parallel worker processes and the result is cached by the file's content hash:
the second run of the same book reads the cache instead of the PDF. Every problem with the
user's file is a BadInput whose one-line message says what to do; pages without text inside an
otherwise readable book are an InputWarning, and extraction goes on without them.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from synth.sources import cache, pdfruns
from voicetune.errors import BadInput, InputWarning
from synth.document import Document, Page
from synth.sources.textfile import read_text

MARKDOWN_SUFFIXES = {".md", ".markdown"}  # a book in Markdown is rendered as its editor shows it (ebooks.extract_markdown)
TEXT_SUFFIXES = {".txt"} | MARKDOWN_SUFFIXES
EBOOK_SUFFIXES = {".epub", ".docx", ".html", ".htm", ".xhtml"}  # read by ebooks.py
TRANSCRIPT_SUFFIXES = {".srt", ".vtt", ".json", ".csv", ".tsv"}
PARALLEL_FROM = 32  # pages; below this, starting worker processes costs more than it saves
PROGRESS_FROM = 100  # pages; from here reading takes seconds, so a progress bar shows on stderr
EXTRACTOR_VERSION = 2  # bump when what we store per page changes (2: each page's runs, pdfruns.py)
_UNREAD_SUFFIXES = {".mobi", ".azw", ".azw3", ".doc", ".odt", ".rtf", ".pages"}
SUFFIXES = {".pdf"} | TEXT_SUFFIXES | EBOOK_SUFFIXES | TRANSCRIPT_SUFFIXES  # what a folder of sources is searched for

PageRange = tuple[int, "int | None"]  # first, last (None: to the end); 1-based, inclusive


def parse_pages(spec: str) -> PageRange:
    """ "12-240", "12-" (to the end), "-240" or "7" -> (first, last); 1-based, inclusive."""
    match = re.fullmatch(r"\s*(\d*)\s*(-?)\s*(\d*)\s*", spec)
    if not match or not (match.group(1) or match.group(3)):
        raise BadInput(f"{spec!r} is not a page range: give one like 12-240, 12- or 7")
    first = int(match.group(1) or 1)
    last = int(match.group(3)) if match.group(3) else (None if match.group(2) else first)
    if first < 1 or (last is not None and last < first):
        raise BadInput(f"{spec!r}: pages count from 1 and a range must not run backwards")
    return first, last


def extract(path: Path, password: str | None = None, pages: PageRange | None = None) -> Document:
    from synth.sources import ebooks

    check_file(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        if pages:
            raise BadInput(f"--pages applies to PDFs; {path.name} is a text file: cut it with an editor instead")
        return ebooks.extract_markdown(path) if suffix in MARKDOWN_SUFFIXES else extract_text(path)
    if suffix in EBOOK_SUFFIXES:
        if pages:
            raise BadInput(f"--pages applies to PDFs; {path.name} is an {suffix} file: leave --pages out")
        readers = {".epub": ebooks.extract_epub, ".docx": ebooks.extract_docx}
        return readers.get(suffix, ebooks.extract_html)(path)
    return extract_pdf(path, password, pages)


def check_file(path: Path) -> None:
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if path.is_dir():
        raise BadInput(f"{path} is a folder: give a PDF, EPUB, DOCX, HTML, .txt/.md file or a transcript (.srt, .vtt, .json, .csv, .tsv)")
    if path.stat().st_size == 0:
        raise BadInput(f"{path} is empty (0 bytes): give the book's PDF or text")


def extract_text(path: Path) -> Document:
    text = read_text(path)
    if not text.strip():
        raise BadInput(f"{path} has no text in it: give the book's text")
    return Document(path, (Page(1, text),))


def extract_pdf(path: Path, password: str | None = None, pages: PageRange | None = None) -> Document:
    check_pdf_header(path)
    key, version = cache.file_hash(path), extractor_version()
    entry = cache.load(key, version)
    if entry is None:
        entry = read_pdf(path, password)
        if not entry.pop("needs_password"):  # never write a protected book's text in the clear
            cache.save(key, version, entry)
    texts = [p.get("text") or "" for p in entry["pages"]]
    runs = [tuple(tuple(run) for run in p.get("runs") or ()) for p in entry["pages"]]
    if not any(t.strip() for t in texts):
        where = f"any of its {len(texts)} pages" if len(texts) > 1 else "its only page"
        raise BadInput(f"{path}: no extractable text on {where}: it looks scanned; run OCR first, e.g. ocrmypdf")
    first, last = select(path, len(texts), pages)
    warn_missing(path, entry["pages"], first, last)
    return Document(path, tuple(Page(n, texts[n - 1], runs[n - 1]) for n in range(first, last + 1)))


def check_pdf_header(path: Path) -> None:
    with open(path, "rb") as f:
        head = f.read(1024)
    if b"%PDF-" in head:
        return
    suffix = path.suffix.lower()
    if suffix in _UNREAD_SUFFIXES:
        raise BadInput(f"{path} is a {suffix} file: convert it to EPUB, DOCX, PDF or plain text first, e.g. with pandoc or calibre's ebook-convert")
    raise BadInput(f"{path} is not a PDF (no %PDF header): give a PDF, EPUB, DOCX, HTML, .txt/.md file or a transcript (.srt, .vtt, .json, .csv, .tsv)")


def extractor_version() -> str:
    import pypdf

    return f"pypdf-{pypdf.__version__}/{EXTRACTOR_VERSION}"


def select(path: Path, count: int, pages: PageRange | None) -> tuple[int, int]:
    first, last = pages or (1, None)
    if first > count or (last or 0) > count:
        asked = f"{first}-{last or ''}" if last != first else str(first)
        raise BadInput(f"--pages {asked}: {path.name} has {count} pages (count them from 1, as the PDF viewer does)")
    return first, count if last is None else last


def warn_missing(path: Path, pages: list[dict], first: int, last: int) -> None:
    """One warning per kind of missing page in the chosen range: pages that show something
    (images) but give no text, and pages that pypdf could not read. Blank pages are silent."""
    chosen = range(first, last + 1)
    pictures = [n for n in chosen if not pages[n - 1].get("text", "").strip() and pages[n - 1].get("images")]
    broken = [n for n in chosen if pages[n - 1].get("error")]
    if pictures:
        warnings.warn(
            f"{path.name}: no text on {_pages(pictures)} (images only?): going on without them; OCR them if they matter, e.g. ocrmypdf",
            InputWarning,
            stacklevel=2,
        )
    if broken:
        reason = pages[broken[0] - 1]["error"]
        warnings.warn(f"{path.name}: could not read {_pages(broken)} ({reason}): going on without them", InputWarning, stacklevel=2)


def _pages(numbers: list[int]) -> str:
    """[3, 17, 18, 19] -> "pages 3, 17-19"."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    text = ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
    return f"page{'s' if len(numbers) > 1 else ''} {text}"


def open_pdf(path: Path, password: str | None):
    """A PdfReader ready to read, or BadInput saying why not (damaged, encrypted, wrong password)."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns on every odd font; we report what matters
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(password or ""):
            hint = "the password is wrong" if password else "pass its password with --password"
            raise BadInput(f"{path} is encrypted: {hint}")
        len(reader.pages)  # a damaged page tree fails here, not halfway through the book
    except BadInput:
        raise
    except DependencyError as e:
        raise BadInput(f"{path} needs a decryption library: pip install cryptography ({e})") from None
    except Exception as e:  # pypdf raises many types for damaged files; all mean the same to a user
        raise BadInput(f"{path} could not be read as a PDF ({e}): it may be damaged; re-export it or repair it, e.g. with qpdf") from None
    return reader


def read_pdf(path: Path, password: str | None) -> dict:
    """Every page's text, in parallel when the book is long enough to pay for the processes."""
    reader = open_pdf(path, password)
    count = len(reader.pages)
    workers = min(os.cpu_count() or 1, count // (PARALLEL_FROM // 2))
    pages = None
    if count >= PARALLEL_FROM and workers > 1:
        pages = read_parallel(path, password, count, workers)
    if pages is None:
        with page_bar(path, count) as bar:
            pages = [read_page(page) for page in bar.wrap(reader.pages)]
    return {"pages": pages, "needs_password": reader.is_encrypted and bool(password)}


def read_parallel(path: Path, password: str | None, count: int, workers: int) -> list[dict] | None:
    """Pages read by `workers` processes, each opening the PDF once; None, with a warning, if
    the pool broke (the caller then reads serially, slower). Small spans balance the load
    across unequal pages."""
    size = max(1, count // (workers * 4))
    spans = [(start, min(start + size, count)) for start in range(0, count, size)]
    try:
        with ProcessPoolExecutor(workers, initializer=_open_in_worker, initargs=(str(path), password)) as pool, page_bar(path, count) as bar:
            return [page for span in bar.wrap(pool.map(_read_span, spans), size=len) for page in span]
    except (BrokenProcessPool, OSError) as e:
        warnings.warn(
            f"{path.name}: the {workers} worker processes failed ({type(e).__name__}: {e}): reading its {count} pages in one process instead (slower)",
            InputWarning,
            stacklevel=3,
        )
        return None


class page_bar:
    """A tqdm bar of pages read on stderr, for a PDF of PROGRESS_FROM pages or more; it vanishes when done."""

    def __init__(self, path: Path, count: int):
        from tqdm import tqdm

        self.bar = tqdm(total=count, desc=f"reading {path.name}", unit="page", leave=False, disable=count < PROGRESS_FROM)

    def wrap(self, items, size=lambda item: 1):
        for item in items:
            self.bar.update(size(item))
            yield item

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.bar.close()


_worker_reader = None  # each worker process's own PdfReader


def _open_in_worker(path: str, password: str | None) -> None:
    global _worker_reader
    _worker_reader = open_pdf(Path(path), password)


def _read_span(span: tuple[int, int]) -> list[dict]:
    return [read_page(_worker_reader.pages[i]) for i in range(*span)]


def read_page(page) -> dict:
    """{"text", "runs", "images"} for one page, or {"text": "", "error"} if pypdf fails on it:
    one bad page should cost that page, not the book."""
    try:
        text, runs = pdfruns.read(page)
    except Exception as e:
        return {"text": "", "error": f"{type(e).__name__}: {e}"[:200]}
    try:
        images = "/XObject" in (page.get("/Resources") or {})
    except Exception as e:  # a damaged resource dictionary
        if text.strip():
            return {"text": text, "runs": runs, "images": False}  # the text was read: whether it also has pictures does not matter
        return {"text": "", "error": f"its resources are damaged: {type(e).__name__}: {e}"[:200]}
    return {"text": text, "runs": runs, "images": images}
