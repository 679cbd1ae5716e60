"""The evaluation's pure parts on literal inputs: intervals, ROUGE-L, voice, the table, the errors."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from voicetune.engine import Generation
from train.eval import evaluate as ev
from train.eval import metrics
from train.eval import runs
from train.cli import cli as train_cli
from train.eval.intervals import IntervalError, bootstrap_interval
from train.eval.report import table


def test_interval_of_a_constant_difference_is_that_difference():
    assert bootstrap_interval([1, 2, 3, 4, 5], [1.5, 2.5, 3.5, 4.5, 5.5]) == pytest.approx((0.5, 0.5))


def test_interval_of_mean_difference_on_literal_numbers():
    # differences 1..5: the mean of 5 draws with replacement lies in [1, 5]; its 95% interval
    # is about mean +- 1.96 * sd/sqrt(n) = 3 +- 1.96 * 1.414/2.236 = [1.76, 4.24]
    low, high = bootstrap_interval([0, 0, 0, 0, 0], [1, 2, 3, 4, 5], seed=0)
    assert (low, high) == (1.8, 4.2)  # seeded: the same every run
    assert 1.6 <= low < 3 < high <= 4.4


def test_interval_is_reproducible_and_depends_on_the_seed():
    base, tuned = [0.1, 0.4, 0.3, 0.2, 0.5, 0.3], [0.2, 0.3, 0.6, 0.2, 0.9, 0.4]
    assert bootstrap_interval(base, tuned, seed=1) == bootstrap_interval(base, tuned, seed=1)
    assert bootstrap_interval(base, tuned, seed=1) != bootstrap_interval(base, tuned, seed=2)


def test_a_noisy_difference_straddles_zero_and_a_consistent_gain_does_not():
    noisy = bootstrap_interval([0, 0, 0, 0, 0, 0], [1, -1, 1, -1, 1, -1])
    assert noisy[0] < 0 < noisy[1]
    gain = bootstrap_interval([0.1, 0.2, 0.1, 0.3, 0.2, 0.1], [0.5, 0.6, 0.4, 0.7, 0.5, 0.6])
    assert 0 < gain[0] <= gain[1]


def test_median_interval_is_of_the_difference_of_medians():
    base, tuned = [1] * 10, [2, 2, 2, 2, 9, 2, 2, 2, 2, 2]
    # one outlier in ten moves a resample's median only when drawn 5+ times (p < 0.2%): not in 95%
    assert bootstrap_interval(base, tuned, statistic=np.median) == (1.0, 1.0)
    low, high = bootstrap_interval(base, tuned)  # the mean feels it
    assert low == pytest.approx(1.0) and high > 2


def test_interval_needs_paired_values():
    with pytest.raises(IntervalError, match="at least 2"):
        bootstrap_interval([1.0], [2.0])
    with pytest.raises(IntervalError):
        bootstrap_interval([1.0, 2.0], [2.0])


def test_rouge_l_on_literals():
    assert metrics.rouge_l("the cat sat on the mat", "the cat sat on the mat") == 1.0
    # LCS "the cat on the mat" = 5 of 6 words each side
    assert metrics.rouge_l("the cat sat on the mat", "the cat was on the mat") == pytest.approx(5 / 6)
    assert metrics.rouge_l("Hello, world!", "HELLO world") == 1.0
    assert metrics.rouge_l("nothing shared", "entirely different") == 0.0
    assert metrics.rouge_l("", "a passage") == 0.0


@pytest.mark.parametrize("text, share", [
    ("one two three four five", 0.0),
    ("I went home. I went home. I went home.", 0.5),  # 6 four-grams, the last 3 repeat the first 3
    ("a b c", 0.0),  # under five words: no 4-gram repeats
    ("Well well well well well", 0.5),
])
def test_repetition_is_the_share_of_repeated_word_4grams(text, share):
    assert metrics.repetition(text) == pytest.approx(share)


def test_first_person():
    assert metrics.first_person("I kept every letter.") and metrics.first_person("That's how we did it.")
    assert metrics.first_person("It was my ship") and metrics.first_person("Our town, I'm sure")
    assert not metrics.first_person("The author kept every letter.")
    assert not metrics.first_person("Imagine the scene.")


def test_per_record_and_summary_are_within_their_ranges():
    passages = ["I went to sea at sixteen.", "My mother was afraid.", "We lived by the harbour.", "It was cold.", "I never forgot."]
    base = [Generation("The author went to sea.", 6, True), Generation("She was.", 3, True), Generation("Harbour life.", 3, False), Generation("", 0, False), Generation("Forgot.", 2, True)]
    tuned = [Generation(p, 6, True) for p in passages]
    median = 22.0
    scores_b = metrics.per_record(base, passages, median, [0.5, 0.2, 0.3, 0.0, 0.4])
    scores_t = metrics.per_record(tuned, passages, median, [1.0] * 5)
    assert scores_t["rouge_l"] == [1.0] * 5 and scores_b["stopped"] == [1.0, 1.0, 0.0, 0.0, 1.0]
    summary = {m.name: m for m in metrics.summarize(scores_b, scores_t)}
    assert summary["first_person"].base == 0.0 and summary["first_person"].tuned == 0.8
    assert summary["stopped"].base == 0.6 and summary["stopped"].tuned == 1.0
    assert summary["length_ratio"].tuned == pytest.approx(21 / 22)  # median passage: "My mother was afraid."
    for m in summary.values():
        assert m.low <= m.diff <= m.high, m


def test_table_lists_every_metric_with_its_direction_and_interval():
    rows = [metrics.Metric("similarity", 0.31, 0.52, 0.12, 0.30), metrics.Metric("nll", 3.7, 3.2, -0.55, -0.45)]
    text = table(rows)
    assert "| similarity | higher | 0.310 | 0.520 | +0.210       | [+0.120, +0.300] |" in text
    assert "| nll        | lower  | 3.700 | 3.200 | -0.500       | [-0.550, -0.450] |" in text
    assert text.splitlines()[0].startswith("| metric") and len(text.splitlines()) == 4


def test_a_lower_nll_wins_and_a_lower_style_score_loses():
    assert metrics.Metric("nll", 3.7, 3.2, -0.55, -0.45).tuned_wins
    assert not metrics.Metric("authorship", 0.7, 0.2, -0.55, -0.45).tuned_wins and metrics.Metric("authorship", 0.7, 0.2, -0.55, -0.45).decided
    assert not metrics.Metric("nll", 3.7, 3.6, -0.3, 0.1).decided


def write_run(folder, held_out: int):
    folder.mkdir()
    lines = [{"id": f"r{i}", "question": f"Q{i}?", "answer": f"I did {i}.", "source": {}} for i in range(held_out)]
    (folder / "heldout.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    (folder / "eval_inputs.json").write_text(json.dumps({"base": "x", "system": None, "median_passage_chars": 10}))
    (folder / "merged").mkdir()
    (folder / "merged" / "config.json").write_text("{}")
    return folder


@pytest.mark.parametrize("held_out, message", [(0, "held-out split is empty"), (3, "3 held-out records; a 95% interval needs at least 5")])
def test_too_few_held_out_records_is_a_clear_error(tmp_path, held_out, message):
    run = write_run(tmp_path / "run", held_out)
    result = CliRunner().invoke(train_cli, ["eval", str(run)])
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_eval_of_a_folder_that_is_not_a_run_says_what_to_do(tmp_path):
    result = CliRunner().invoke(train_cli, ["eval", str(tmp_path)])
    assert result.exit_code == 1 and "train first" in result.output


def test_from_25_records_training_holds_out_enough_for_an_interval(tokenizer, tmp_path):
    from train.data import dataset as data

    path = tmp_path / "interview.jsonl"
    for n, expected in ((10, 1), (24, 2), (27, 5), (100, 10)):
        path.write_text("".join(json.dumps({"id": f"r{i}", "question": f"Q{i}?", "answer": f"A{i}.", "source": {}}) + "\n" for i in range(n)))
        split = data.load(path, tokenizer, system=None, max_length=64, eval_share=0.1, seed=0)
        assert len(split.held_out) == expected, n


def literal_evaluation(tmp_path, n=7, style=False, blind=None):
    from voicetune.engine import Sampling
    from voicetune.records import Record

    held_out = [Record(f"r{i}", f"Question {i}?", f"I did thing {i}.", {}) for i in range(n)]
    inputs = runs.RunInputs("base-model", tmp_path / "merged", "You are A.", held_out, 15.0, [{"epoch": 0.5, "loss": 3.0}, {"epoch": 1.0, "loss": 2.5}, {"epoch": 1.0, "eval_loss": 2.8}])
    base = [Generation(f"Thing {i} happened.", 4, True) for i in range(n)]
    tuned = [Generation(f"I did thing {i}.", 5, i != 3) for i in range(n)]
    sims = {"base": [0.1 * i for i in range(n)], "tuned": [0.5] * n}
    scores = {k: metrics.per_record(g, [r.answer for r in held_out], 15.0, sims[k]) for k, g in (("base", base), ("tuned", tuned))}
    scores["base"]["nll"], scores["tuned"]["nll"] = [3.0 + 0.1 * (i % 3) for i in range(n)], [2.5 + 0.1 * (i % 2) for i in range(n)]
    check = None
    if style:
        scores["base"]["authorship"], scores["tuned"]["authorship"] = [0.1 * (i % 2) for i in range(n)], [0.5 + 0.1 * (i % 4) - 0.05 * i for i in range(n)]
        check = metrics.StyleCheck(0.9, 0.1, 0.97)
    return ev.Evaluation(tmp_path, "base-model", inputs, base, tuned, scores, metrics.summarize(scores["base"], scores["tuned"]), Sampling(0.0, 1.0, 64), check, blind)


def test_report_reads_top_to_bottom_verdict_table_figures_examples(tmp_path):
    from PIL import Image

    from train.eval import report

    evaluation = literal_evaluation(tmp_path, style=True)
    text = report.write(evaluation).read_text()
    headings = ["# Does the tuned model sound like the author?", "**Likelihood of the author's words**: the tuned model is better",
                table(evaluation.metrics), "## How many records decide", "## Figures", "## Where the tuned model gained most (authorship)",
                "## Where it gained least (authorship)"]
    assert [text.index(h) for h in headings] == sorted(text.index(h) for h in headings)
    assert "6 of 7 tuned answers end at `<|im_end|>` (misses the goal" in text
    gains = [t - b for b, t in zip(evaluation.scores["base"]["authorship"], evaluation.scores["tuned"]["authorship"])]
    best, worst = report.examples(evaluation)
    assert best == sorted(range(7), key=lambda i: -gains[i])[:3] and len(worst) == 3 and not set(best) & set(worst)
    assert min(gains[i] for i in best) >= max(gains[i] for i in worst)
    for name in ("loss.png", "nll.png", "style.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and f"]({name})" in text
        Image.open(tmp_path / name).verify()
    rows = [json.loads(line) for line in (tmp_path / "eval_answers.jsonl").read_text().splitlines()]
    assert {"id", "question", "passage", "base", "tuned"} <= set(rows[3])  # what the blind page reads
    assert rows[3]["tuned"] == "I did thing 3." and rows[3]["scores"]["tuned"]["stopped"] == 0.0 and len(rows) == 7


def test_with_an_sft_model_the_report_compares_all_three(tmp_path):
    from dataclasses import replace

    from train.eval import report

    e = literal_evaluation(tmp_path, style=True)
    sft = {name: [v + 0.05 for v in values] for name, values in e.scores["tuned"].items()}
    e = replace(e, sft=e.tuned, scores={**e.scores, "sft": sft},
                comparisons={"base -> SFT": metrics.summarize(e.scores["base"], sft), "SFT -> tuned": metrics.summarize(sft, e.scores["tuned"])})
    text = report.write(e).read_text()
    assert "## base -> SFT" in text and "## SFT -> tuned" in text and "| SFT - base" in text and "| tuned - SFT" in text
    nll = next(m for m in e.comparisons["SFT -> tuned"] if m.name == "nll")
    assert nll.diff == pytest.approx(-0.05) and nll.high < 0  # the preference stage's own difference, with its interval
    assert "SFT -> tuned:" in report.terminal(e, tmp_path / "report.md")
    rows = [json.loads(line) for line in (tmp_path / "eval_answers.jsonl").read_text().splitlines()]
    assert set(rows[0]["scores"]) == {"base", "sft", "tuned"} and rows[0]["sft"] == e.tuned[0].text


def test_without_style_scores_the_report_says_so_and_orders_examples_by_similarity(tmp_path):
    from train.eval import report

    evaluation = literal_evaluation(tmp_path)
    text = report.write(evaluation).read_text()
    assert "**Style of the generated answers**: not measured" in text and not (tmp_path / "style.png").exists()
    assert report.examples(evaluation) == ([0, 1, 2], [6, 5, 4])  # gains 0.5 - 0.1 i: best first, then worst first


def test_records_needed_follow_the_observed_spread(tmp_path):
    from train.eval import report

    evaluation = literal_evaluation(tmp_path)
    # nll differences tuned - base: -0.5 -0.5 -0.7 -0.4 -0.6 -0.6 -0.5, mean -3.8/7; squared
    # deviations sum to 0.4/7, so SD = sqrt(0.4/7/6) = 0.0976. Records for +-0.05: (1.96 * 0.0976 /
    # 0.05)^2 = 14.6 -> 15; for +-0.1: 3.7 -> 4; to exclude 0 at 0.543: 0.12 -> the floor of 2.
    assert evaluation.metric("nll").sd == pytest.approx(0.09759, abs=1e-5)
    assert "| nll | 0.098 | 15 | 4 | 2 |" in report.sizes(evaluation.metrics)


def test_a_long_looping_answer_is_cut_in_the_report_and_kept_whole_in_the_answers_file(tmp_path):
    from train.eval import report

    evaluation = literal_evaluation(tmp_path)
    looping = "I was going to tell you that " * 80
    evaluation.tuned[0] = Generation(looping, 512, False)
    text = report.write(evaluation).read_text()
    assert looping.strip() not in text and f"(+{len(looping.strip()) - report.CELL_CHARS} chars)" in text
    rows = [json.loads(line) for line in (tmp_path / "eval_answers.jsonl").read_text().splitlines()]
    assert rows[0]["tuned"] == looping


@pytest.fixture
def record():
    from voicetune.records import Record

    return Record("r1", "Question?", "I did the thing.", {})


def _train_run(folder, record):
    folder.mkdir(parents=True)
    data = folder / "interview.jsonl"
    data.write_text("")
    runs.save_run_inputs(folder, base="base-model", system=None, held_out=[record], train_ids=set(), data_path=data, log_history=[])
    return folder


def test_the_latest_run_is_the_one_trained_last_even_after_an_older_one_is_evaluated_again(tmp_path, record):
    import os

    older = _train_run(tmp_path / "runs" / "older", record)
    newer = _train_run(tmp_path / "runs" / "newer", record)
    for path in (older, older / "eval_inputs.json"):
        os.utime(path, (1e9, 1e9))  # a run trained long ago, whatever the clock of this test run
    assert runs.latest_run(tmp_path / "runs") == newer
    (older / "report.md").write_text("evaluated again\n")  # `train eval runs/older` writes into its folder
    os.utime(older, None)
    assert runs.latest_run(tmp_path / "runs") == newer


def test_a_run_from_before_creation_times_were_kept_is_dated_by_its_eval_inputs(tmp_path, record):
    import os

    old_style = _train_run(tmp_path / "runs" / "old-style", record)
    new_style = _train_run(tmp_path / "runs" / "new-style", record)
    info = json.loads((old_style / "eval_inputs.json").read_text())
    del info["created"]
    (old_style / "eval_inputs.json").write_text(json.dumps(info))
    os.utime(old_style / "eval_inputs.json", (json.loads((new_style / "eval_inputs.json").read_text())["created"] + 60,) * 2)
    os.utime(new_style, None)
    assert runs.latest_run(tmp_path / "runs") == old_style
