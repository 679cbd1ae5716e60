"""What the synth stage tells a user about their input: errors that stop it, warnings and notes that do not."""

from __future__ import annotations

import tempfile
from pathlib import Path


class BadInput(ValueError):
    """A problem with the user's file; the message says what is wrong and what to do."""


class InputWarning(UserWarning):
    """Something the user should know about their file that does not stop the run."""


class Notice(UserWarning):
    """What the input was taken to be, where it was a choice (which speaker --persona named, the
    text encoding, how much publisher boilerplate was removed): shown, never an error."""


def unwritable(out: Path, option: str = "--out") -> str | None:
    """Why `out` (a file or folder to write, created where missing) cannot be written, or None.
    Checked before the long work (extraction, an engine, training), so that a read-only folder
    fails at once. A file is really created and removed: os.access says yes to root on any folder."""
    if any(parent.exists() and not parent.is_dir() for parent in out.parents):
        return f"{out}: a part of that path is a file, not a folder; choose another {option}"
    folder = next((p for p in (out, *out.parents) if p.is_dir()), Path("."))
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
        if out.is_file():
            out.open("a").close()
    except OSError as e:
        return f"{out}: cannot write there ({e.strerror}); choose another {option}"
    return None
