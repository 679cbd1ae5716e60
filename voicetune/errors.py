"""What the synth stage tells a user about their input: errors that stop it, warnings and notes that do not."""

from __future__ import annotations


class BadInput(ValueError):
    """A problem with the user's file; the message says what is wrong and what to do."""


class InputWarning(UserWarning):
    """Something the user should know about their file that does not stop the run."""


class Notice(UserWarning):
    """What the input was taken to be, where it was a choice (which speaker --persona named, the
    text encoding, how much publisher boilerplate was removed): shown, never an error."""
