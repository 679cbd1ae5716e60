"""A non-editable install (a built wheel) works outside the checkout: its prompts come with it."""

import shutil
import subprocess
import sys
import zipfile

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
