# voicetune: book -> interview.jsonl -> fine-tuned model that answers in the author's voice.
#   make synth [BOOK=kc.pdf] [MODEL=path-or-hub-id]    questions for every passage of the book
#     BOOK may name several files and folders: BOOK="memoir.pdf interviews/ essays.epub" (one dataset);
#     quote a path with spaces inside it: BOOK='"my memoir.pdf" interviews/'
#   make review [DATA=data/kc/interview.jsonl]        review the records in a local web page
#   make stats [DATA=...]                              counts, lengths, duplicates, what to review first
#   make export [DATA=...] [FORMAT=messages|sharegpt|hf] the training data for other tools (next to DATA)
#   make train [DATA=data/kc/interview.jsonl] [BASE=...] QLoRA fine-tune, merge, ask one question, then `make eval`
#   make eval [RUN=runs/kc] [BASE=...]                 held-out questions, base vs tuned model: RUN/report.md
#   make test                                          the test suite, real engines included
# MODEL switches both stages to another model (e.g. a local Qwen2.5-7B-Instruct folder on a GPU);
# BASE overrides the training base alone. Extra flags: SYNTH_ARGS="--limit 10", TRAIN_ARGS="--epochs 1 --no-eval",
# EVAL_ARGS="--max-tokens 128".

PY := .venv/bin/python
BOOK ?= data/sample/memoir.pdf
MODEL ?=
BASE ?= $(MODEL)
DATA ?=
FORMAT ?= messages

.PHONY: setup synth segment review stats export train eval test sample-pdf clean

setup: .venv/.installed

.venv/.installed: pyproject.toml requirements/cpu.txt requirements/gpu.txt scripts/setup.sh scripts/requirements.py
	bash scripts/setup.sh

synth: setup
	$(PY) -m synth run $(BOOK) $(if $(MODEL),--model "$(MODEL)") $(SYNTH_ARGS)

segment: setup
	$(PY) -m synth segment $(BOOK) --stats $(SYNTH_ARGS)

review: setup
	$(PY) -m synth review $(if $(DATA),"$(DATA)") $(REVIEW_ARGS)

stats: setup
	$(PY) -m synth stats $(if $(DATA),"$(DATA)")

export: setup
	$(PY) -m synth export $(if $(DATA),"$(DATA)") --format $(FORMAT) $(EXPORT_ARGS)

train: setup
	$(PY) -m train run $(if $(DATA),--data "$(DATA)") $(if $(BASE),--base "$(BASE)") $(TRAIN_ARGS)

eval: setup
	$(PY) -m train eval $(RUN) $(if $(BASE),--base "$(BASE)") $(EVAL_ARGS)

test: setup
	$(PY) -m pytest $(TEST_ARGS)

sample-pdf: setup
	$(PY) data/sample/build_pdf.py

clean:
	rm -rf .venv .pytest_cache
