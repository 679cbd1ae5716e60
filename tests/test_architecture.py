"""The layout's rules, read from the source with ast (nothing imported, no engine): the floors of
README's Architecture section hold, no folder outgrows a floor, no function outgrows a screen."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

# Which of the three packages each may import: voicetune is the floor both stages stand on and
# knows neither; the stages never import each other (what both need moves down into voicetune).
MAY_IMPORT = {"voicetune": {"voicetune"}, "synth": {"voicetune", "synth"}, "train": {"voicetune", "train"}}
MAX_MODULES = 12  # per folder of a package, __init__.py aside: more is a sign a floor is missing
MAX_LINES = 80  # per function, from its `def` to its last line
SOURCE = ("voicetune", "synth", "train", "tests", "bench", "scripts", "data")


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def imported_modules(tree: ast.Module, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a module of `package`, lazy ones and
    importlib.import_module("...") included; relative imports resolved against `package`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parent = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            found.append((node.lineno, ".".join(parent + ([node.module] if node.module else []))))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return sorted(found)


def forbidden_imports(tree: ast.Module, package: str) -> list[tuple[int, str]]:
    """The imports of another of the three packages than `package` (a dotted name inside one) may import."""
    top = package.split(".")[0]
    return [(line, name) for line, name in imported_modules(tree, package)
            if name.split(".")[0] in MAY_IMPORT and name.split(".")[0] not in MAY_IMPORT[top]]


def long_functions(tree: ast.Module) -> list[tuple[str, int]]:
    """(name, lines) of every function or method longer than MAX_LINES, nested ones included."""
    return [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > MAX_LINES]


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).parent.parts)


@pytest.mark.parametrize("top", sorted(MAY_IMPORT))
def test_each_package_imports_only_its_own_floor_and_the_ones_below(top):
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {name}"
             for path in python_files(top) for line, name in forbidden_imports(ast.parse(path.read_text()), package_of(path))]
    assert not wrong, f"{top} may import only {sorted(MAY_IMPORT[top])}; move what both stages need into voicetune:\n" + "\n".join(wrong)


# Inside a stage, the rooms of README's Architecture section, floor by floor: a room imports only
# itself and rooms on lower floors (two rooms on one floor know nothing of each other). A module at
# a stage's top (cli, config, pipeline, ...) is above all its rooms.
ROOM_FLOORS = {
    "synth.document": 0, "synth.sources": 1, "synth.repair": 2, "synth.transcripts": 3, "synth.generation": 3, "synth.dataset": 4,
    "train.data": 0, "train.model": 0, "train.eval": 1,
}


def room(module: str) -> str | None:
    """The room of a dotted module name (synth.repair.clean -> synth.repair); None at a stage's top."""
    return next((r for r in ROOM_FLOORS if module == r or module.startswith(r + ".")), None)


def room_violations(tree: ast.Module, package: str) -> list[tuple[int, str]]:
    """Imports from a room of a module in `package`'s room into a room on the same or a higher floor."""
    own = room(package) or room(package + ".")
    if own is None:
        return []
    return [(line, name) for line, name in imported_modules(tree, package)
            if (other := room(name)) not in (None, own) and ROOM_FLOORS[other] >= ROOM_FLOORS[own]]


@pytest.mark.parametrize("stage", ["synth", "train"])
def test_each_room_imports_only_rooms_on_lower_floors(stage):
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {name}"
             for path in python_files(stage) if path.parent != ROOT / stage or path.stem == "document"
             for line, name in room_violations(ast.parse(path.read_text()), f"{package_of(path)}.{path.stem}")]
    assert not wrong, "a room may import only rooms on lower floors (README, Architecture):\n" + "\n".join(wrong)


def test_the_room_rule_catches_an_import_upwards():
    tree = ast.parse("from synth.dataset import stats\nfrom synth.document import Passage\n")
    assert room_violations(tree, "synth.repair.clean") == [(1, "synth.dataset")]
    assert room_violations(tree, "synth.cli") == []


def test_no_folder_of_a_package_holds_more_than_twelve_modules():
    folders = {path.parent for path in python_files(*MAY_IMPORT)}
    crowded = {str(folder.relative_to(ROOT)): n for folder in sorted(folders)
               if (n := sum(1 for p in folder.glob("*.py") if p.name != "__init__.py")) > MAX_MODULES}
    assert not crowded, f"over {MAX_MODULES} modules (split the folder into rooms): {crowded}"


def test_no_function_is_over_eighty_lines():
    long = [f"{path.relative_to(ROOT)}: {name} ({lines} lines)"
            for path in python_files(*SOURCE) for name, lines in long_functions(ast.parse(path.read_text()))]
    assert not long, f"functions over {MAX_LINES} lines (take them apart):\n" + "\n".join(long)


def readme_tree() -> set[str]:
    """The paths README's Files tree names: two spaces of indent per folder level; a line starting
    with `[` is a note, not a file."""
    block = (ROOT / "README.md").read_text().split("\n## Files\n", 1)[1].split("```")[1]
    paths, folders = set(), []
    for line in block.splitlines():
        if not line.strip() or line.strip().startswith("["):
            continue
        depth = (len(line) - len(line.lstrip())) // 2
        names, folders = re.split(r"\s{2,}", line.strip())[0], folders[:depth]
        paths |= {"".join(folders) + name for name in names.split(", ")}
        if names.endswith("/"):
            folders.append(names)
    return paths


def test_the_readme_file_tree_names_every_module_and_only_modules_that_exist():
    tree = readme_tree()
    modules = {str(p.relative_to(ROOT)) for p in python_files(*MAY_IMPORT) if p.name != "__init__.py"}
    assert not modules - tree, f"modules missing from README's Files tree: {sorted(modules - tree)}"
    stale = sorted(path for path in tree if path.endswith(".py") and not (ROOT / path).exists())
    assert not stale, f"README's Files tree names modules that are gone: {stale}"


# The rules themselves, on literal source: each must catch what it is there to catch.

def test_the_import_rule_catches_direct_lazy_relative_and_importlib_imports():
    source = """
import voicetune.records
from synth.repair import clean
def later():
    from train.fit import fit
    import importlib
    importlib.import_module("synth.pipeline")
from .. import cli
from ..config import TrainConfig
"""
    tree = ast.parse(source)
    assert forbidden_imports(tree, "voicetune") == [(3, "synth.repair"), (5, "train.fit"), (7, "synth.pipeline")]
    assert forbidden_imports(tree, "synth.repair") == [(5, "train.fit")]
    # In train/eval/, `from .. import cli` is train's own cli and `from ..config` is train.config.
    assert imported_modules(tree, "train.eval")[-2:] == [(8, "train"), (9, "train.config")]
    assert forbidden_imports(tree, "train.eval") == [(3, "synth.repair"), (7, "synth.pipeline")]


def test_the_length_rule_counts_from_def_to_the_last_line_nested_functions_included():
    line = "x = 1\n"
    fits = "def fits():\n" + ("    " + line) * (MAX_LINES - 1)
    assert long_functions(ast.parse(fits)) == []
    method = "class C:\n    def method(self):\n" + ("        " + line) * MAX_LINES
    assert long_functions(ast.parse(method)) == [("method", MAX_LINES + 1)]
    nested = "def outer():\n    def inner():\n" + ("        " + line) * (MAX_LINES - 1)
    assert long_functions(ast.parse(nested)) == [("outer", MAX_LINES + 1)]
