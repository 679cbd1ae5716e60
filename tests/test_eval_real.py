"""`train eval` for real: a few training steps on twelve tiny records, then vLLM answers six
held-out questions with the base and with the merged model, and the report is written."""

import json
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
    return run, done.stdout, done.stderr


def test_the_run_folder_has_what_eval_needs(evaluated):
    run, _, _ = evaluated
    held_out = [json.loads(line) for line in (run / "heldout.jsonl").read_text().splitlines()]
    assert len(held_out) == 6
    info = json.loads((run / "eval_inputs.json").read_text())
    assert "Agnes Tarrow" in info["system"] and info["median_passage_chars"] > 0
    assert any("loss" in entry for entry in json.loads((run / "log_history.json").read_text()))


def test_report_and_valid_png_figures(evaluated):
    from PIL import Image

    run, stdout, _ = evaluated
    report = (run / "report.md").read_text()
    assert report.startswith("# Does the tuned model sound like the author?\n\n**Likelihood of the author's words**")
    for name in ("loss.png", "nll.png"):
        assert (run / name).read_bytes().startswith(PNG) and f"]({name})" in report
        with Image.open(run / name) as image:
            image.verify()
            assert image.size[0] > 300 and image.size[1] > 200
    assert "## Where the tuned model gained most" in report and "## Where it gained least" in report
    assert report.count("| true passage | base answer | tuned answer |") == 6  # 3 best + 3 worst
    assert f"Report: {run / 'report.md'}" in stdout and "| similarity" in stdout
    answers = [json.loads(line) for line in (run / "eval_answers.jsonl").read_text().splitlines()]
    assert len(answers) == 6 and all(a["base"] and a["tuned"] for a in answers)


def test_generation_shows_progress_instead_of_minutes_of_silence(evaluated):
    _, _, stderr = evaluated
    assert stderr.count("answers: 6/6") == 2  # base, then tuned


def test_likelihood_is_deterministic(evaluated):
    from voicetune.records import read_records
    from train.eval import likelihood

    run, _, _ = evaluated
    answers = [json.loads(line) for line in (run / "eval_answers.jsonl").read_text().splitlines()]
    system = json.loads((run / "eval_inputs.json").read_text())["system"]
    again = likelihood.score(str(run / "merged"), read_records(run / "heldout.jsonl"), system, log=lambda *_: None)
    assert [s.nll for s in again] == [a["scores"]["tuned"]["nll"] for a in answers]  # bit for bit, unlike generation


def test_the_terminal_shows_eval_s_own_lines_and_the_engines_output_is_in_eval_log(evaluated):
    run, stdout, stderr = evaluated
    terminal = stdout + stderr
    noise = ["LD_PRELOAD", "Triton is installed", "reduce_op", "NUMA", "Model Runner V2", "exited unexpectedly"]
    assert [n for n in noise if n in terminal] == [], terminal
    log = (run / "eval.log").read_text()
    assert "vllm" in log.lower() and "answers: 6/6" in log and "exited unexpectedly" not in log
