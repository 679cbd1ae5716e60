"""PDF text extraction: speed and split words.

    python bench/extract.py BOOK.pdf [BOOK.pdf ...] [--password PW] [--kerned PAGES]

For each book: seconds and pages/s of pypdf's plain mode in one process, of its layout mode
in one process, of this project's extraction (parallel, cold cache; then cached) and of the
text repairs (clean.py, split-word join included); then the count of split-word suspects
(adjacent fragments whose concatenation is a word the book uses elsewhere while a fragment
is not) in the plain text, in the layout text, and left after the repairs. `--kerned PAGES`
adds a book built here with per-letter positioning (TJ kerning) inside some words.

The cache is pointed at a temporary folder, so the user's own cache is neither used nor touched.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(ROOT / "tests"))  # pdfs.py builds the kerned book


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def pypdf_text(book: Path, password: str | None, mode: str) -> str:
    from synth.sources.extract import open_pdf

    texts = []
    for page in open_pdf(book, password).pages:
        try:
            texts.append(page.extract_text(extraction_mode=mode) or "")
        except Exception:  # a page pypdf cannot read counts as empty here, as in extract.read_page
            texts.append("")
    return "\n".join(texts)


def kerned_book(folder: Path, pages: int, seed: int = 0) -> Path:
    """A book whose every 12th word has a kerning step inside it: 3 in 4 of them small enough
    for pypdf's layout mode to read the word whole, 1 in 4 as wide as a space."""
    import pdfs

    rng = random.Random(seed)
    lines = []
    for line in pdfs.wrap(pdfs.story(pages * 8, seed), 80):
        words = line.split(" ")
        for i, word in enumerate(words):
            if len(word) > 4 and word.isalpha() and rng.random() < 1 / 12:
                cut = rng.randint(1, len(word) - 1)
                words[i] = word[:cut] + ("^" if rng.random() < 0.25 else "|") + word[cut:]
        lines.append(" ".join(words))
    return pdfs.kerned_pdf(folder / f"kerned-{pages}p.pdf", lines)


def measure(book: Path, password: str | None) -> None:
    from synth.repair import clean, splitwords
    from synth.sources import extract

    pages = len(extract.open_pdf(book, password).pages)
    plain_s, plain = timed(lambda: pypdf_text(book, password, "plain"))
    layout_s, layout = timed(lambda: pypdf_text(book, password, "layout"))
    cold_s, document = timed(lambda: extract.extract_pdf(book, password))
    cached_s, _ = timed(lambda: extract.extract_pdf(book, password))
    clean_s, paragraphs = timed(lambda: clean.paragraphs(document))
    repaired = clean.repaired_text(paragraphs)
    click.echo(f"{book.name}: {pages} pages")
    for name, seconds in [
        ("pypdf plain, one process", plain_s),
        ("pypdf layout, one process", layout_s),
        (f"voicetune extraction, parallel ({os.cpu_count()} cores), cold", cold_s),
        ("voicetune extraction, cached", cached_s),
        ("voicetune repairs (clean.py, split words included)", clean_s),
    ]:
        click.echo(f"  {name:<56} {pages / seconds:9.1f} pages/s  ({seconds:.2f} s)")
    for name, text in [("pypdf plain", plain), ("pypdf layout", layout)]:
        broad, strict = splitwords.suspects(text, strict=False), splitwords.suspects(text)
        examples = ", ".join(" ".join(pair) for pair, _ in broad.most_common(5))
        click.echo(f"  split-word suspects, {name:<14} {sum(broad.values()):6} ({sum(strict.values())} joined by the repair)  e.g. {examples}")
    left = splitwords.suspects(repaired, strict=False)
    click.echo(f"  split-word suspects left after the repairs {sum(left.values()):6}  e.g. {', '.join(' '.join(p) for p, _ in left.most_common(5))}")


@click.command()
@click.argument("books", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--password", default=None)
@click.option("--kerned", type=int, default=0, help="Also measure a book of this many pages built with per-letter kerning.")
def main(books: tuple[Path, ...], password: str | None, kerned: int):
    from voicetune.errors import InputWarning

    warnings.simplefilter("ignore", InputWarning)  # a benchmark, not a check of the book
    with tempfile.TemporaryDirectory() as tmp:
        from synth.sources import cache

        cache.root = lambda: Path(tmp) / "cache"  # noqa: E731 (never the user's cache)
        for book in [*books, *([kerned_book(Path(tmp), kerned)] if kerned else [])]:
            measure(book, password)


if __name__ == "__main__":
    main()
