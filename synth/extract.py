"""Files -> Document: the text of each page, as the file gives it (repairs live in clean.py)."""

from __future__ import annotations

import logging
from pathlib import Path

from synth.records import Document, Page

TEXT_SUFFIXES = {".txt", ".md"}


class BadInput(ValueError):
    """A problem with the user's file; the message says what is wrong and what to do."""


def extract(path: Path, password: str | None = None) -> Document:
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if path.is_dir():
        raise BadInput(f"{path} is a folder: give a PDF or a .txt/.md file")
    if path.suffix.lower() in TEXT_SUFFIXES:
        return Document(path, (Page(1, path.read_text(encoding="utf-8", errors="replace")),))
    return extract_pdf(path, password)


def extract_pdf(path: Path, password: str | None = None) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    with open(path, "rb") as f:
        head = f.read(1024)
    if not head:
        raise BadInput(f"{path} is empty (0 bytes): give the book's PDF")
    if b"%PDF-" not in head:
        raise BadInput(f"{path} is not a PDF (no %PDF header): give a PDF, or a .txt/.md file")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns on every odd font; we report what matters
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(password or ""):
            hint = "the password is wrong" if password else "pass its password with --password"
            raise BadInput(f"{path} is encrypted: {hint}")
        pages = tuple(Page(i, page.extract_text() or "") for i, page in enumerate(reader.pages, start=1))
    except PdfReadError as e:
        raise BadInput(f"{path} could not be read as a PDF ({e}): it may be damaged; re-export it or repair it, e.g. with qpdf") from None
    if not any(page.text.strip() for page in pages):
        raise BadInput(
            f"{path}: no extractable text on any of its {len(pages)} pages: it looks scanned; run OCR first, e.g. ocrmypdf"
        )
    return Document(path, pages)
