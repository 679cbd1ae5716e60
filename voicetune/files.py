"""Every file voicetune writes goes through here: never through a symbolic link it did not make.

A link where the tool writes (interview.manifest.json -> ~/.bashrc, a dangling interview.jsonl
-> a folder outside the project, RUN/report.md -> anywhere) would have the tool overwrite,
append to or create a file outside the project. So every write checks its path first
(`refuse_link`), opens with O_NOFOLLOW where the open is ours (no window between the check and
the open), and replaces a file by renaming a temporary file made with O_EXCL (which never follows
a link) over it, after checking the path again. A refusal is `LinkRefused`, one line naming the
link, which every command's edge shows as it shows a malformed file.

Links above the file (data/ on another disk) are the user's layout and are followed; only the
file itself, the last part of the path, may not be a link.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator, TextIO


class MalformedFile(ValueError):
    """A file the tool cannot use as it is; the message names it (and its line) and what to do."""


class LinkRefused(MalformedFile):
    """A path the tool would write is a symbolic link."""


def refuse_link(path: Path) -> Path:
    """`path`, unless it is a symbolic link (dangling or not): then LinkRefused, naming it."""
    if os.path.islink(path):
        raise LinkRefused(f"{path} is a symbolic link (to {os.readlink(path)}); voicetune does not write through links: remove it, or give another path")
    return path


def refuse_links_in(folder: Path) -> None:
    """Refuse a folder the tool writes into (a training run's) that is a link or holds one, at any depth."""
    refuse_link(folder)
    if folder.is_dir():
        for root, dirs, names in os.walk(folder):
            for name in dirs + names:
                refuse_link(Path(root) / name)


def open_append(path: Path) -> TextIO:
    """`path` open for appending text (created if missing), never through a link."""
    refuse_link(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as e:
        if e.errno == errno.ELOOP:  # made a link since the check
            refuse_link(path)
        raise
    return os.fdopen(fd, "a", encoding="utf-8")


def open_update(path: Path):
    """An existing `path` open for reading and writing bytes (a repair in place), never through a link."""
    refuse_link(path)
    return os.fdopen(os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC), "rb+")


@contextmanager
def replaced(path: Path) -> Iterator[TextIO]:
    """A text file whose content replaces `path` at once when the block ends: a crash leaves either
    the old file or the new one, never half. The temporary file has a name of its own (two writers,
    say the review page and synth, never share one) in the same folder (a rename, not a copy); the
    new file keeps the old one's permissions."""
    refuse_link(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode) if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, refuse_link(path))
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: Path, text: str) -> Path:
    """Replace `path` with `text` atomically (see `replaced`)."""
    with replaced(path) as f:
        f.write(text)
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
