"""Pages per second of PDF text extraction: this project's (parallel, then cached) against
single-process pypdf, and against poppler's pdftotext when it is installed.

    python bench/extract.py BOOK.pdf [--password PW]

The cache is pointed at a temporary folder, so the user's own cache is neither used nor touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import click

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def pypdf_serial(book: Path, password: str | None) -> None:
    from synth.extract import open_pdf

    for page in open_pdf(book, password).pages:
        page.extract_text()


def pdftotext(book: Path, password: str | None) -> None:
    command = ["pdftotext", *(["-upw", password] if password else []), str(book), "-"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@click.command()
@click.argument("book", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--password", default=None)
def main(book: Path, password: str | None):
    from synth import extract

    warnings.simplefilter("ignore", extract.InputWarning)  # a benchmark, not a check of the book
    pages = len(extract.open_pdf(book, password).pages)
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["VOICETUNE_CACHE"] = tmp
        rows = [
            ("pypdf, one process", timed(lambda: pypdf_serial(book, password))),
            (f"voicetune, parallel ({cores} cores), cold cache", timed(lambda: extract.extract_pdf(book, password))),
            ("voicetune, second run (cached)", timed(lambda: extract.extract_pdf(book, password))),
        ]
    if shutil.which("pdftotext"):
        rows.append(("pdftotext (poppler)", timed(lambda: pdftotext(book, password))))
    else:
        rows.append(("pdftotext (poppler)", None))
    click.echo(f"{book.name}: {pages} pages")
    for name, seconds in rows:
        speed = f"{pages / seconds:9.1f} pages/s  ({seconds:.2f} s)" if seconds else "   not installed (apt install poppler-utils)"
        click.echo(f"  {name:<42} {speed}")


if __name__ == "__main__":
    main()
