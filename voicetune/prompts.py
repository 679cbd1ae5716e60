"""Prompt templates live as files in prompts/; rendering is strict."""

from __future__ import annotations

from pathlib import Path
from string import Template

def _prompts_dir() -> Path:
    """prompts/ in a checkout (or editable install); the packaged copy (voicetune._prompts) otherwise."""
    here = Path(__file__).resolve().parent
    checkout = here.parent / "prompts"
    return checkout if checkout.is_dir() else here / "_prompts"  # pyproject.toml installs prompts/ there


PROMPTS_DIR = _prompts_dir()


class MissingVariables(KeyError):
    pass


def find(name_or_path: str | Path) -> Path:
    """A bare name ("question") is looked up in prompts/; anything else is a path."""
    path = Path(name_or_path)
    if not path.exists() and "/" not in str(name_or_path):
        path = PROMPTS_DIR / f"{name_or_path}.txt"
    if not path.exists():
        raise FileNotFoundError(f"no prompt template at {path}")
    return path


def load(name_or_path: str | Path) -> Template:
    return Template(find(name_or_path).read_text(encoding="utf-8"))


def variables(template: Template) -> set[str]:
    return {m.group("named") or m.group("braced") for m in template.pattern.finditer(template.template)} - {None}


def render(template: Template, **values: str) -> str:
    missing = variables(template) - values.keys()
    if missing:
        raise MissingVariables(f"prompt template needs {', '.join(sorted(missing))}")
    return template.substitute(values)
