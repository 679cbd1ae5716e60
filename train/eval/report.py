"""An Evaluation -> report.md (one page: verdict, table, figures, examples), PNG figures and
eval_answers.jsonl next to the model, and the terminal summary."""

from __future__ import annotations

from pathlib import Path

from voicetune import files
from voicetune.records import write_jsonl
from train.eval.evaluate import Evaluation
from train.eval.metrics import METRICS, Metric
from train.eval.intervals import RESAMPLES
from train.eval.intervals import records_needed

EXAMPLES = 3
GOAL_STOPPED = 0.9  # answers that end at <|im_end|>: at least 9 in 10


def table(metrics: list[Metric], names: tuple[str, str] = ("base", "tuned")) -> str:
    """The metrics table (Markdown, aligned so it also reads in a terminal); `names`: the two models compared."""
    rows = [("metric", "better", *names, f"{names[1]} - {names[0]}", "95% interval")]
    rows += [(m.name, m.better, f"{m.base:.3f}", f"{m.tuned:.3f}", f"{m.diff:+.3f}", f"[{m.low:+.3f}, {m.high:+.3f}]") for m in metrics]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def verdict(e: Evaluation) -> list[str]:
    """One line per question the evaluation answers, each with its number: the top of the report."""
    lines = []
    nll = e.metric("nll")
    if nll:
        lines.append(f"**Likelihood of the author's words**: {_won(nll)}: mean NLL per token {nll.base:.3f} (base) -> {nll.tuned:.3f} (tuned), "
                     f"difference {nll.diff:+.3f}, 95% interval [{nll.low:+.3f}, {nll.high:+.3f}].")
    style = e.metric("authorship")
    if style:
        trust = f" ({e.style_check})" if e.style_check else ""
        lines.append(f"**Style of the generated answers**: {_won(style)}: authorship {style.base:.3f} (base) -> {style.tuned:.3f} (tuned), "
                     f"95% interval of the difference [{style.low:+.3f}, {style.high:+.3f}]{trust}.")
    else:
        lines.append("**Style of the generated answers**: not measured (the run's training passages or enough base answers are missing).")
    stopped = e.metric("stopped")
    if stopped:
        n = round(stopped.tuned * stopped.n)
        lines.append(f"**Stopping**: {n} of {stopped.n} tuned answers end at `<|im_end|>` "
                     f"({'meets' if stopped.tuned >= GOAL_STOPPED else 'misses'} the goal of 9 in 10; base {stopped.base:.0%}).")
    if e.blind:
        lines.append(f"**Blind test**: {e.blind}.")
    lines += [f"**Warning**: {w}" for w in e.warnings()]
    return lines


def _won(m: Metric) -> str:
    if m.tuned_wins:
        return "the tuned model is better, beyond resampling noise"
    if m.decided:
        return "the tuned model is WORSE, beyond resampling noise"
    return "no difference beyond resampling noise"


def sizes(metrics: list[Metric], names=("nll", "authorship")) -> str:
    """How many held-out records an interval of a given width needs, from the observed spread."""
    rows = ["| metric | SD of differences | records for +-0.05 | for +-0.1 | to exclude 0 at the observed difference |", "|---|---|---|---|---|"]
    for m in metrics:
        if m.name in names and m.sd > 0:
            decide = m.records_to_decide()
            rows.append(f"| {m.name} | {m.sd:.3f} | {records_needed(m.sd, 0.05)} | {records_needed(m.sd, 0.1)} | {decide if decide else '-'} |")
    return "\n".join(rows)


def write(evaluation: Evaluation, out: Path | None = None) -> Path:
    """report.md, its figures and eval_answers.jsonl in `out` (default: the run folder)."""
    out = out or evaluation.run
    out.mkdir(parents=True, exist_ok=True)
    for name in ("loss.png", "nll.png", "style.png", "report.md", "eval_answers.jsonl"):
        files.refuse_link(out / name)  # before any is written: all or none
    figures = {"loss": plot_losses(evaluation.inputs.log_history, out / "loss.png"), "nll": plot_nll(evaluation, out / "nll.png"),
               "style": plot_style(evaluation, out / "style.png")}
    path = out / "report.md"
    files.write_text(path, markdown(evaluation, figures))
    write_jsonl(out / "eval_answers.jsonl", answers(evaluation))
    return path


def answers(e: Evaluation) -> list[dict]:
    """Per held-out record: the question, the true passage, both answers and their scores (the blind
    test in the review page reads id, question, passage and tuned)."""
    return [
        {"id": r.id, "question": r.question, "passage": r.answer, "base": e.base[i].text, "tuned": e.tuned[i].text,
         **({"sft": e.sft[i].text} if e.sft else {}),
         "scores": {model: {name: values[i] for name, values in e.scores[model].items()} for model in e.scores}}
        for i, r in enumerate(e.inputs.held_out)
    ]


def markdown(e: Evaluation, figures: dict[str, Path | None]) -> str:
    n = len(e.inputs.held_out)
    parts = ["# Does the tuned model sound like the author?", "\n\n".join(verdict(e)), table(e.metrics)]
    parts.append(
        f"{n} held-out records (never trained on). Base: `{e.base_model}`. Tuned: `{e.inputs.merged}`. "
        f"Likelihood: a forward pass, no generation, deterministic. Answers: greedy decoding with a frequency penalty of {e.sampling.frequency_penalty} on the answer's own tokens, at most {e.sampling.max_tokens} new tokens, "
        f"same system prompt; vLLM's CPU build is not bit-reproducible, so the answer rows can move between runs. "
        f"Intervals: percentile bootstrap over records ({RESAMPLES} resamples, seeded); one that excludes 0 is a difference beyond resampling noise.")
    parts.append("\n".join(f"- **{name}**: {note}" for name, (_, _, note) in METRICS.items() if e.metric(name)))
    parts += [f"## {title}\n\n{table(rows, _names(title))}" for title, rows in e.comparisons.items()]
    parts.append("## How many records decide\n\n" + sizes(e.metrics) + "\n\n(normal approximation: records = (1.96 SD / half-width)^2.)")
    parts.append("## Figures\n\n" + " ".join(f"![{name}]({path.name})" for name, path in figures.items() if path))
    best, worst = examples(e)
    key = _example_key(e)
    parts += [f"## Where the tuned model gained most ({key})", *(_example(e, i, key) for i in best)]
    parts += [f"## Where it gained least ({key})", *(_example(e, i, key) for i in worst)] if worst else []
    timing = ", ".join(f"{stage} {s:.0f} s" for stage, s in e.seconds.items())
    if timing:
        parts.append(f"Wall time: {timing}.")
    return "\n\n".join(parts) + "\n"


def _example_key(e: Evaluation) -> str:
    return "authorship" if "authorship" in e.scores["base"] else "similarity"


def examples(e: Evaluation) -> tuple[list[int], list[int]]:
    """Record indices by gain in the style score (similarity when there is none): the best few, then the worst few of the rest."""
    key = _example_key(e)
    gain = [t - b for b, t in zip(e.scores["base"][key], e.scores["tuned"][key])]
    order = sorted(range(len(gain)), key=lambda i: gain[i], reverse=True)
    best = order[:EXAMPLES]
    worst = [i for i in reversed(order) if i not in best][:EXAMPLES]
    return best, worst


def _example(e: Evaluation, i: int, key: str) -> str:
    record = e.inputs.held_out[i]
    base, tuned = e.scores["base"][key][i], e.scores["tuned"][key][i]
    cells = [record.answer, e.base[i].text, e.tuned[i].text]
    return (
        f"**Q: {_cell(record.question)}** ({key} {base:.2f} -> {tuned:.2f})\n\n"
        "| true passage | base answer | tuned answer |\n|---|---|---|\n| " + " | ".join(_cell(c) for c in cells) + " |"
    )


CELL_CHARS = 400  # an answer that loops for 512 tokens would fill the page; eval_answers.jsonl has it whole


def _cell(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) > CELL_CHARS:
        flat = flat[:CELL_CHARS].rsplit(" ", 1)[0] + f" … (+{len(flat) - CELL_CHARS} chars)"
    return flat.replace("|", "\\|") or "*(empty)*"


def terminal(e: Evaluation, path: Path) -> str:
    """What `train eval` prints: the verdict, the table, where the report is."""
    plain = [line.replace("**", "") for line in verdict(e)]
    stages = "".join(f"\n\n{title}:\n{table(rows, _names(title))}" for title, rows in e.comparisons.items())
    return "\n".join(plain) + f"\n\n{len(e.inputs.held_out)} held-out records, base vs tuned:\n{table(e.metrics)}{stages}\n\nReport: {path}"


def _names(title: str) -> tuple[str, str]:
    """"base -> SFT" -> ("base", "SFT")."""
    first, second = title.split(" -> ")
    return first, second


def plot_losses(history: list[dict], path: Path) -> Path | None:
    """Training loss per logged step and eval loss per evaluation, against epochs."""
    train = [(h["epoch"], h["loss"]) for h in history if "loss" in h and "epoch" in h]
    evals = [(h["epoch"], h["eval_loss"]) for h in history if "eval_loss" in h and "epoch" in h]
    if not train and not evals:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    if train:
        ax.plot(*zip(*train), label="training loss", color="tab:blue")
    if evals:
        ax.plot(*zip(*evals), "o-", label="eval loss (held out)", color="tab:orange")
    ax.set(xlabel="epoch", ylabel="loss", title="Training")
    ax.legend()
    return _save(fig, path)


def plot_nll(e: Evaluation, path: Path) -> Path | None:
    """Per record: NLL under the base against NLL under the tuned model; points under the diagonal gained."""
    if "nll" not in e.scores["base"]:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    base, tuned = e.scores["base"]["nll"], e.scores["tuned"]["nll"]
    ax.scatter(base, tuned, s=12, color="tab:green")
    low, high = min(base + tuned), max(base + tuned)
    ax.plot([low, high], [low, high], color="tab:gray", linewidth=1)
    ax.set(xlabel="NLL per token, base", ylabel="tuned", title="The author's words (below the line: tuned likes them more)")
    ax.title.set_fontsize(8)
    return _save(fig, path)


def plot_style(e: Evaluation, path: Path) -> Path | None:
    """Histogram of the authorship score: base answers, tuned answers (and the true passages, the check)."""
    if "authorship" not in e.scores["base"]:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    series = [e.scores["base"]["authorship"], e.scores["tuned"]["authorship"]]
    ax.hist(series, bins=12, label=["base answers", "tuned answers"], color=["tab:gray", "tab:green"])
    if e.style_check:
        ax.axvline(e.style_check.passage, color="tab:red", linestyle="--", label="true passages (mean)")
    ax.set(xlabel="authorship (1 = like the author)", ylabel="held-out records", title="Style")
    ax.legend(fontsize=7)
    return _save(fig, path)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(files.refuse_link(path), dpi=110)
    _pyplot().close(fig)
    return path
