"""An Evaluation -> report.md and PNG figures next to the model, and the terminal table."""

from __future__ import annotations

import json
from pathlib import Path

from train.evaluate import METRICS, RESAMPLES, Evaluation, Metric

EXAMPLES = 5


def table(metrics: list[Metric]) -> str:
    """The metrics table (Markdown, aligned so it also reads in a terminal)."""
    rows = [("metric", "base", "tuned", "tuned - base", "95% interval")]
    rows += [(m.name, f"{m.base:.3f}", f"{m.tuned:.3f}", f"{m.diff:+.3f}", f"[{m.low:+.3f}, {m.high:+.3f}]") for m in metrics]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write(evaluation: Evaluation, out: Path | None = None) -> Path:
    """report.md, loss.png, similarity.png and eval_answers.jsonl in `out` (default: the run folder)."""
    out = out or evaluation.run
    out.mkdir(parents=True, exist_ok=True)
    figures = {"loss": plot_losses(evaluation.inputs.log_history, out / "loss.png"), "similarity": plot_similarity(evaluation, out / "similarity.png")}
    path = out / "report.md"
    path.write_text(markdown(evaluation, figures), encoding="utf-8")
    (out / "eval_answers.jsonl").write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in answers(evaluation)), encoding="utf-8")
    return path


def answers(e: Evaluation) -> list[dict]:
    """Per held-out record: the question, both answers and their scores, to read or re-score."""
    return [
        {"id": r.id, "question": r.question, "passage": r.answer, "base": e.base[i].text, "tuned": e.tuned[i].text,
         "scores": {model: {name: values[i] for name, values in e.scores[model].items()} for model in ("base", "tuned")}}
        for i, r in enumerate(e.inputs.held_out)
    ]


def markdown(e: Evaluation, figures: dict[str, Path | None]) -> str:
    n = len(e.inputs.held_out)
    parts = [
        f"# Evaluation of {e.inputs.merged}",
        f"{n} held-out records (never trained on). Base: `{e.base_model}`. Tuned: `{e.inputs.merged}`. "
        f"Both answered every question with the same system prompt and greedy decoding (temperature 0), "
        f"at most {e.sampling.max_tokens} new tokens. Intervals: percentile bootstrap over the held-out records "
        f"({RESAMPLES} resamples, seeded); an interval that excludes 0 is a difference beyond resampling noise. "
        f"vLLM's greedy decoding is not guaranteed bit-reproducible (on the CPU build it is not): answers, and so these numbers, can move between runs.",
        table(e.metrics),
        "\n".join(f"- **{name}**: {note}" for name, (_, note) in METRICS.items()),
        f"Author's median passage length in the training data: {e.inputs.median_passage_chars:.0f} characters.",
    ]
    if figures["loss"]:
        parts.append("## Training\n\n![training and eval loss](loss.png)")
    parts.append("## Similarity to the true passage\n\n![similarity histogram](similarity.png)")
    best, worst = examples(e)
    parts += ["## Where the tuned model improved most", *(_example(e, i) for i in best)]
    parts += ["## Where the tuned model did worst", *(_example(e, i) for i in worst)] if worst else []
    return "\n\n".join(parts) + "\n"


def examples(e: Evaluation) -> tuple[list[int], list[int]]:
    """Record indices by similarity gain: the best five, then the worst five of the rest."""
    gain = [t - b for b, t in zip(e.scores["base"]["similarity"], e.scores["tuned"]["similarity"])]
    order = sorted(range(len(gain)), key=lambda i: gain[i], reverse=True)
    best = order[:EXAMPLES]
    worst = [i for i in reversed(order) if i not in best][:EXAMPLES]
    return best, worst


def _example(e: Evaluation, i: int) -> str:
    record = e.inputs.held_out[i]
    base, tuned = e.scores["base"]["similarity"][i], e.scores["tuned"]["similarity"][i]
    cells = [record.answer, e.base[i].text, e.tuned[i].text]
    return (
        f"**Q: {_cell(record.question)}** (similarity {base:.2f} -> {tuned:.2f}, {tuned - base:+.2f})\n\n"
        "| true passage | base answer | tuned answer |\n|---|---|---|\n| " + " | ".join(_cell(c) for c in cells) + " |"
    )


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or "*(empty)*"


def plot_losses(history: list[dict], path: Path) -> Path | None:
    """Training loss per logged step and eval loss per evaluation, against epochs."""
    train = [(h["epoch"], h["loss"]) for h in history if "loss" in h and "epoch" in h]
    evals = [(h["epoch"], h["eval_loss"]) for h in history if "eval_loss" in h and "epoch" in h]
    if not train and not evals:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if train:
        ax.plot(*zip(*train), label="training loss", color="tab:blue")
    if evals:
        ax.plot(*zip(*evals), "o-", label="eval loss (held out)", color="tab:orange")
    ax.set(xlabel="epoch", ylabel="loss", title="Training")
    ax.legend()
    return _save(fig, path)


def plot_similarity(e: Evaluation, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.5))
    base, tuned = e.scores["base"]["similarity"], e.scores["tuned"]["similarity"]
    bins = [i / 20 for i in range(int(min(base + tuned + [0]) * 20) - 1, 21)]
    ax.hist([base, tuned], bins=bins, label=["base", "tuned"], color=["tab:gray", "tab:green"])
    ax.set(xlabel="similarity of answer to the true passage", ylabel="held-out records", title="Answer vs passage")
    ax.legend()
    return _save(fig, path)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)
    return path
