"""Text files in any common encoding: UTF-8 (with or without a BOM) as is, others detected with
charset-normalizer and said so (Windows-1252 winning ties), UTF-16 told by its BOM or, without
one, by its NUL bytes in every other position, undecidable ones refused. Never a silent
replacement character, never a NUL character in a passage."""

from __future__ import annotations

import unicodedata
import warnings
from pathlib import Path

from voicetune.errors import BadInput, Notice

MAX_CHAOS = 0.1  # charset-normalizer's mess ratio above which a guess is not trusted


def utf16_codec(data: bytes) -> str | None:
    """The UTF-16 codec of `data`, or None. With a BOM it says which; without one, text that is
    mostly Latin has a NUL byte in most of its high bytes and none in its low ones (all that
    'valid UTF-8' would otherwise make of it is a NUL between every two letters)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if len(data) < 2 or len(data) % 2:
        return None
    for high, low, codec in ((data[1::2], data[0::2], "utf-16-le"), (data[0::2], data[1::2], "utf-16-be")):
        if high.count(0) * 2 >= len(high) and not low.count(0):
            return codec
    return None


def read_text(path: Path) -> str:
    data = path.read_bytes()
    codec = utf16_codec(data) if b"\x00" in data else None
    if codec:
        return without_nul(path, decode_utf16(path, data, codec))
    try:
        return without_nul(path, data.decode("utf-8-sig"))
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
    if (best is None or best.chaos > MAX_CHAOS) and (western := few_accents(data)) is not None:
        warnings.warn(f"{path.name}: not UTF-8; read as cp1252", Notice, stacklevel=2)
        return without_nul(path, western)
    if best is None or best.chaos > MAX_CHAOS:
        raise BadInput(
            f"{path}: not UTF-8 (byte {data[where]:#04x} at offset {where}) and its encoding could not be told: "
            "convert it to UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8 (with its real encoding)"
        )
    warnings.warn(f"{path.name}: not UTF-8; read as {best.encoding}", Notice, stacklevel=2)
    return without_nul(path, str(best))


def few_accents(data: bytes, share: float = 0.01) -> str | None:
    """`data` read as Windows-1252 where that gives English-like text with a few accented letters
    or typographic marks (under `share` of its characters), else None. charset-normalizer
    distrusts such a file (a Gutenberg play in ISO-8859-1 with twelve of them in 240,000
    characters scores 0.17), yet nothing else reads it as well."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    high = [c for c in text if ord(c) > 127]
    if len(high) > share * len(text) or not all(unicodedata.category(c)[0] in "LPSZ" for c in high):
        return None
    return text


def decode_utf16(path: Path, data: bytes, codec: str) -> str:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as e:
        raise BadInput(f"{path}: looks like {codec.upper()} but is not ({e.reason} at byte {e.start}): convert it to UTF-8") from None
    warnings.warn(f"{path.name}: not UTF-8; read as {codec.upper()}", Notice, stacklevel=3)
    return text


def without_nul(path: Path, text: str) -> str:
    """`text`, refused where it holds a NUL character: no passage may carry one."""
    if "\x00" in text:
        raise BadInput(f"{path}: holds NUL characters, so it is not plain text (a binary file, or UTF-16/32 that cannot be told): convert it to UTF-8")
    return text
