"""`train eval` for real: a few training steps on twelve tiny records, then vLLM answers six
held-out questions with the base and with the merged model, and the report is written."""

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_real_engines import ANSWERS

pytestmark = pytest.mark.engine

EXTRA = [
    ("What did the harbour smell like?", "Diesel, tar and frying onions. I can still smell it when I close my eyes."),
    ("Who taught you to read a chart?", "My father did, on the kitchen table, with a ruler and his thumb."),
]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, embedded_model):
    from train import pipeline
    from train.config import TrainConfig

    folder = tmp_path_factory.mktemp("eval")
    data = folder / "interview.jsonl"
    data.write_text("".join(json.dumps({"id": f"r{i}", "question": q, "answer": a, "source": {}}) + "\n" for i, (q, a) in enumerate(ANSWERS + EXTRA)))
    config = TrainConfig(max_steps=2, batch_size=3, max_length=256, eval_share=0.5, persona="Agnes Tarrow")
    run = folder / "run"
    pipeline.run(config, data, run, log=lambda *_: None)
    done = subprocess.run([sys.executable, "-m", "train", "eval", str(run), "--max-tokens", "48"], cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    return run, done.stdout


def test_the_run_folder_has_what_eval_needs(evaluated):
    run, _ = evaluated
    held_out = [json.loads(line) for line in (run / "heldout.jsonl").read_text().splitlines()]
    assert len(held_out) == 6
    info = json.loads((run / "eval_inputs.json").read_text())
    assert "Agnes Tarrow" in info["system"] and info["median_passage_chars"] > 0
    assert any("loss" in entry for entry in json.loads((run / "log_history.json").read_text()))


def test_report_and_valid_png_figures(evaluated):
    from PIL import Image

    run, stdout = evaluated
    report = (run / "report.md").read_text()
    for name in ("loss.png", "similarity.png"):
        assert (run / name).read_bytes().startswith(PNG) and f"]({name})" in report
        with Image.open(run / name) as image:
            image.verify()
            assert image.size[0] > 300 and image.size[1] > 200
    assert "## Where the tuned model improved most" in report and "## Where the tuned model did worst" in report
    assert report.count("| true passage | base answer | tuned answer |") == 6  # 5 best + the 1 left
    assert f"Report: {run / 'report.md'}" in stdout and "| similarity" in stdout
    answers = [json.loads(line) for line in (run / "eval_answers.jsonl").read_text().splitlines()]
    assert len(answers) == 6 and all(a["base"] and a["tuned"] for a in answers)


def table_rows(text):
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"-?\d\.\d{3}", cells[1]):
            low, high = map(float, cells[4].strip("[]").split(","))
            rows[cells[0]] = (float(cells[1]), float(cells[2]), float(cells[3]), low, high)
    return rows


def test_table_numbers_are_within_their_ranges(evaluated):
    run, stdout = evaluated
    rows = table_rows((run / "report.md").read_text())
    assert set(rows) == {"similarity", "rouge_l", "first_person", "length_ratio", "stopped"} and rows == table_rows(stdout)
    for name, (base, tuned, diff, low, high) in rows.items():
        bounds = (-1, 1) if name == "similarity" else (0, 1) if name != "length_ratio" else (0, 100)
        assert bounds[0] <= base <= bounds[1] and bounds[0] <= tuned <= bounds[1], name
        assert diff == pytest.approx(tuned - base, abs=2e-3) and low <= high, name
    assert rows["similarity"][0] > 0  # a real embedding: answers to the question share something with the passage
