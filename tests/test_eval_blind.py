"""`train eval` end to end with the models replaced by literal numbers: the blind test's share, the
warnings when too few records are held out, the progress of generation, and the style reference."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from voicetune.engine import Generation, Sampling
from train.eval import blind
from train.eval import answers
from train.eval import metrics
from train.eval import runs
from train.eval import likelihood
from train.cli import cli as train_cli
from train.eval.intervals import paired_sd, records_needed, wilson_interval


def guesses(run, rows):
    (run / "blind.jsonl").write_text("".join((json.dumps(r) if isinstance(r, dict) else r) + "\n" for r in rows))


def test_wilson_interval_on_literals():
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)


def test_records_needed_on_literals():
    assert records_needed(1.0, 0.1) == 385  # (1.96 * 1 / 0.1)^2 = 384.1
    assert records_needed(0.1, 0.05) == 16 and records_needed(0.0, 0.1) == 2


def test_blind_file_counts_the_last_guess_per_record(tmp_path):
    assert blind.read(tmp_path) is None
    guesses(tmp_path, [
        {"id": "a", "shown": ["author", "tuned"], "guess": "author", "correct": True},
        {"id": "b", "shown": ["tuned", "author"], "guess": "author", "correct": True},
        {"id": "c", "shown": ["tuned", "author"], "guess": "tuned", "correct": False},
        {"id": "a", "shown": ["author", "tuned"], "guess": "tuned", "correct": False},  # changed their mind
        "",
    ])
    result = blind.read(tmp_path)
    assert (result.guesses, result.correct) == (3, 1) and (result.low, result.high) == pytest.approx(wilson_interval(1, 3))
    assert "1 of 3 guesses right (33%" in str(result) and "cannot tell them apart" in str(result)


@pytest.mark.parametrize("line", ['{"id": "a", "guess": "author"}', '{"id": "a", "guess": "me", "correct": true}', "not json"])
def test_a_malformed_blind_line_is_named(tmp_path, line):
    guesses(tmp_path, [{"id": "x", "shown": ["author", "tuned"], "guess": "author", "correct": True}, line])
    with pytest.raises(blind.BlindFileError, match=r"blind.jsonl:2: not (a blind-test guess|valid JSON)"):
        blind.read(tmp_path)


def fake_run(tmp_path, monkeypatch, *, n, gain, spread):
    """A run folder with n held-out records and a data file, and models whose likelihoods differ by
    `gain` per record, give or take `spread`."""
    from tests.test_eval_style import ASSISTANT, AUTHOR

    run = tmp_path / "run"
    (run / "merged").mkdir(parents=True)
    (run / "merged" / "config.json").write_text("{}")
    records = [{"id": f"t{i}", "question": f"T{i}?", "answer": AUTHOR[i % len(AUTHOR)], "source": {}} for i in range(12)]
    held = [{"id": f"h{i}", "question": f"Q{i}?", "answer": AUTHOR[i % len(AUTHOR)], "source": {}} for i in range(n)]
    data = tmp_path / "interview.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records + held))
    (run / "heldout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in held))
    (run / "eval_inputs.json").write_text(json.dumps({"base": "base-model", "system": None, "median_passage_chars": 100, "data": str(data),
                                                      "train_ids": [r["id"] for r in records]}))
    monkeypatch.setattr(likelihood, "score", lambda model, held_out, system, log: [
        likelihood.Scored(3.0 - (gain + spread * (-1) ** i if model.endswith("merged") else 0), 10) for i in range(len(held_out))])
    replies = {"base-model": [Generation(ASSISTANT[i % len(ASSISTANT)], 20, True) for i in range(n)],
               "tuned": [Generation(AUTHOR[(i + 3) % len(AUTHOR)], 30, True) for i in range(n)]}
    monkeypatch.setattr(answers, "generate", lambda model, convs, sampling, log, progress, **engine_log: replies["base-model" if model == "base-model" else "tuned"])
    monkeypatch.setattr(metrics, "similarities", lambda answers, passages: [0.5] * len(answers))
    return run


def test_eval_reports_the_blind_share_and_a_decided_likelihood(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, n=12, gain=0.4, spread=0.05)
    guesses(run, [{"id": f"h{i}", "shown": ["author", "tuned"], "guess": "author", "correct": i < 9} for i in range(12)])
    result = CliRunner().invoke(train_cli, ["eval", str(run)])
    assert result.exit_code == 0, result.output
    assert "Likelihood of the author's words: the tuned model is better" in result.output
    assert "blind test: 9 of 12 guesses right (75%, 95% interval [47%, 91%]" in result.output
    assert "cannot separate the models on nll" not in result.output
    report = (run / "report.md").read_text()
    assert "blind test: 9 of 12" in report and "style check: held-out true passages score" in report


def test_eval_warns_when_too_few_records_are_held_out_and_says_how_many_would_do(tmp_path, monkeypatch):
    run = fake_run(tmp_path, monkeypatch, n=12, gain=0.05, spread=0.5)
    result = CliRunner().invoke(train_cli, ["eval", str(run)])
    assert result.exit_code == 0, result.output
    sd = paired_sd([3.0] * 12, [3.0 - (0.05 + 0.5 * (-1) ** i) for i in range(12)])
    need = records_needed(sd, 0.05)
    assert "12 held-out records cannot separate the models on nll" in result.output
    assert f"needs about {need} records" in result.output and need > 100


def test_generation_shows_the_childs_progress_and_keeps_its_other_output_for_errors(monkeypatch):
    child = ("import json, sys; print('INFO loading', file=sys.stderr); print('answers: 1/2', file=sys.stderr, flush=True);"
             "print('answers: 2/2', file=sys.stderr); json.dump([{'text': 'a', 'tokens': 1, 'finished': True}] * 2, open(sys.argv[2], 'w'))")
    real = subprocess.Popen
    monkeypatch.setattr(answers.subprocess, "Popen", lambda cmd, **kw: real([sys.executable, "-c", child, cmd[-2], cmd[-1]], **kw))
    shown = []
    generations = answers.generate("m", [[{"role": "user", "content": "q"}]] * 2, Sampling(0.0, 1.0, 8), log=lambda *_: None, progress=shown.append)
    assert shown == ["answers: 1/2", "answers: 2/2"] and len(generations) == 2
    failing = "import sys; print('answers: 1/2', file=sys.stderr); print('CUDA out of memory', file=sys.stderr); sys.exit(3)"
    monkeypatch.setattr(answers.subprocess, "Popen", lambda cmd, **kw: real([sys.executable, "-c", failing], **kw))
    with pytest.raises(answers.GenerationFailed, match=r"(?s)exit 3.*CUDA out of memory"):
        answers.generate("m", [[{"role": "user", "content": "q"}]], Sampling(0.0, 1.0, 8), log=lambda *_: None, progress=shown.append)


def test_style_reference_is_the_runs_training_passages(tmp_path):
    data = tmp_path / "interview.jsonl"
    rows = [{"id": "t", "question": "Q?", "answer": "trained", "source": {}}, {"id": "h", "question": "Q?", "answer": "held", "source": {}},
            {"id": "r", "question": "Q?", "answer": "rejected", "source": {}, "status": "rejected"}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    from voicetune.records import Record

    held = [Record("h", "Q?", "held", {})]
    assert runs.training_passages({"data": str(data), "train_ids": ["t"]}, held) == ["trained"]
    assert runs.training_passages({"data": str(data)}, held) == ["trained"]  # an older run: neither held out nor rejected
    assert runs.training_passages({"data": str(tmp_path / "gone.jsonl")}, held) == []


def test_the_childs_whole_output_goes_to_the_log_file_and_only_progress_to_the_terminal(monkeypatch, tmp_path):
    child = ("import json, sys; print('INFO 12-04 vllm engine noise'); print('Triton is installed, but', file=sys.stderr);"
             "print('answers: 1/1', file=sys.stderr, flush=True); json.dump([{'text': 'a', 'tokens': 1, 'finished': True}], open(sys.argv[2], 'w'))")
    real = subprocess.Popen
    monkeypatch.setattr(answers.subprocess, "Popen", lambda cmd, **kw: real([sys.executable, "-c", child, cmd[-2], cmd[-1]], **kw))
    shown, log = [], tmp_path / "eval.log"
    answers.generate("m", [[{"role": "user", "content": "q"}]], Sampling(0.0, 1.0, 8), log=lambda *_: None, progress=shown.append, log_file=log)
    assert shown == ["answers: 1/1"]
    assert "vllm engine noise" in log.read_text() and "Triton is installed" in log.read_text()
    answers.generate("m", [[{"role": "user", "content": "q"}]], Sampling(0.0, 1.0, 8), log=lambda *_: None, progress=shown.append, verbose=True)
    assert "INFO 12-04 vllm engine noise" in shown
