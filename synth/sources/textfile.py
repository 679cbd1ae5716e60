"""Text files in any common encoding: UTF-8 (with or without a BOM) as is, others detected with
charset-normalizer and said so (Windows-1252 winning ties), undecidable ones refused. Never a
silent replacement character."""

from __future__ import annotations

import warnings
from pathlib import Path

from voicetune.errors import BadInput, Notice

MAX_CHAOS = 0.1  # charset-normalizer's mess ratio above which a guess is not trusted


def read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        where = e.start
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    best = min(matches, key=lambda m: m.chaos, default=None)
    if best is not None:
        # on short texts several single-byte encodings read equally clean; Windows-1252 is what
        # Western text that is not UTF-8 almost always is, so it wins a tie
        tied = [m for m in matches if m.chaos <= best.chaos + 0.01]
        best = next((m for m in tied if m.encoding == "cp1252"), best)
    if best is None or best.chaos > MAX_CHAOS:
        raise BadInput(
            f"{path}: not UTF-8 (byte {data[where]:#04x} at offset {where}) and its encoding could not be told: "
            "convert it to UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8 (with its real encoding)"
        )
    warnings.warn(f"{path.name}: not UTF-8; read as {best.encoding}", Notice, stacklevel=2)
    return str(best)
