"""A book as one long line: time and peak memory of `synth segment`, here and in other checkouts.

    python bench/long_lines.py [--mb 3.2 --mb 20] [--source data/sample/memoir.md] [--checkout /path/to/old/checkout ...]

Builds, in a temporary folder, a text file of the given size that is one line (the source's prose
repeated, headings left out), and the same text split into paragraphs; runs `python -m synth segment`
on each, in this checkout and in every --checkout given (e.g. a worktree of main before a change),
and prints seconds and peak memory (MB, the child's max RSS) side by side, in the same units.
The figures show how the cost grows with the length of a line: linear work doubles when the line
doubles, quadratic work quadruples.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]


def build(source: Path, chars: int, folder: Path) -> tuple[Path, Path]:
    """(one line, the same text in paragraphs) of about `chars` characters, ending at a full stop."""
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    prose = " ".join(" ".join(lines).split())
    text = ((prose + " ") * (chars // len(prose) + 1))[:chars].rsplit(".", 1)[0] + "."
    one, split = folder / f"one-line-{chars}.txt", folder / f"paragraphs-{chars}.txt"
    one.write_text(text, encoding="utf-8")
    split.write_text("\n\n".join(_paragraphs(text)), encoding="utf-8")
    return one, split


def _paragraphs(text: str, sentences: int = 6) -> list[str]:
    parts = text.split(". ")
    return [". ".join(parts[i : i + sentences]) + ("." if i + sentences < len(parts) else "") for i in range(0, len(parts), sentences)]


def run_segment(checkout: Path, book: Path) -> tuple[float, float, int]:
    """(seconds, peak MB, exit code) of `python -m synth segment BOOK` run in `checkout`."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "synth", "segment", str(book)], cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


@click.command()
@click.option("--mb", "sizes", type=float, multiple=True, default=(3.2, 20.0), show_default=True, help="file sizes, in MB (10^6 characters)")
@click.option("--source", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=ROOT / "data/sample/memoir.md", show_default=True)
@click.option("--checkout", "checkouts", type=click.Path(exists=True, file_okay=False, path_type=Path), multiple=True, help="another checkout to compare")
def main(sizes: tuple[float, ...], source: Path, checkouts: tuple[Path, ...]) -> None:
    compared = [ROOT, *checkouts]
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'file':<28} {'checkout':<40} {'seconds':>9} {'peak MB':>9} {'exit':>5}")
        for mb in sizes:
            for book in build(source, int(mb * 1_000_000), Path(tmp)):
                for checkout in compared:
                    seconds, peak, code = run_segment(checkout, book)
                    print(f"{book.name:<28} {str(checkout):<40} {seconds:>9.1f} {peak:>9.0f} {code:>5}", flush=True)


if __name__ == "__main__":
    main()
