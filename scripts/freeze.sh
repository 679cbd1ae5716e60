#!/usr/bin/env bash
# Re-pin requirements/cpu.txt from the working .venv after an upgrade (run on a CPU machine where
# `make setup` installed it), then derive requirements/gpu.txt from it.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
# Not pinned here: this project, and the --no-deps packages, whose exact versions pyproject.toml gives.
exclude=(--exclude-editable)
for requirement in $("$py" scripts/requirements.py no-deps); do exclude+=(--exclude "${requirement%%[=<>!~]*}"); done
{
  sed -n '1,4p' requirements/cpu.txt
  "$py" -m pip freeze --disable-pip-version-check "${exclude[@]}"
} > requirements/cpu.txt.new
mv requirements/cpu.txt.new requirements/cpu.txt
"$py" scripts/requirements.py gpu
