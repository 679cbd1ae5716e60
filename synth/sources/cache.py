"""A small on-disk cache of extracted text, keyed by the content hash of the input file.

Extracting a 400-page book with pypdf takes most of a minute; the second run of the same
book should not pay it again. Keys are content hashes, so a renamed or moved copy is still a
hit and an edited file is a miss. Entries record the extractor version that made them: a
newer extractor ignores older entries instead of trusting them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from voicetune import files


def root() -> Path:
    from voicetune.models import cache_dir  # models.py holds the one definition of where caches live

    return cache_dir() / "extract"


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load(key: str, version: str) -> dict | None:
    """The cached entry, or None if there is none, it is from another version or it is damaged."""
    try:
        entry = json.loads((root() / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) and entry.get("version") == version else None


def save(key: str, version: str, entry: dict) -> None:
    """Write atomically (temp file, then rename): a crash or a parallel run never leaves half a
    file. A cache that cannot be written (read-only home) is not an error, only a slower rerun."""
    try:
        files.write_text(root() / f"{key}.json", json.dumps({**entry, "version": version}, ensure_ascii=False))
    except (OSError, files.LinkRefused):  # a link there is not followed: the entry is only not cached
        pass
