"""`synth`: book or transcript -> interview.jsonl. Thin: parse options, call the pipeline."""

from __future__ import annotations

import os
import statistics
from pathlib import Path

import click

from synth import pipeline
from synth.engine import Sampling
from synth.extract import BadInput
from synth.models import DEFAULT_MODEL, ModelNotFound


def segment_options(f):
    f = click.option("--min-chars", default=300, show_default=True, help="Merge paragraphs shorter than this.")(f)
    f = click.option("--max-chars", default=2000, show_default=True, help="Split passages longer than this at sentence ends.")(f)
    f = click.option("--password", default=None, help="Password of an encrypted PDF.")(f)
    f = click.option("--limit", type=int, default=None, help="Only the first N passages.")(f)
    return f


def options_from(kwargs) -> pipeline.SegmentOptions:
    return pipeline.SegmentOptions(kwargs["min_chars"], kwargs["max_chars"], kwargs["password"], kwargs["limit"])


def load_passages(book: Path, kwargs):
    try:
        return pipeline.passages(book, options_from(kwargs))
    except BadInput as e:
        raise click.ClickException(str(e)) from None


@click.group()
def cli():
    """Turn a book or transcript into interview questions and answers for fine-tuning."""


@cli.command()
@click.argument("book", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Output JSONL [data/<book>/interview.jsonl].")
@click.option("--model", default=None, help=f"Local model folder or hub id [embedded {DEFAULT_MODEL}].")
@click.option("--prompt", default="question", show_default=True, help="Template name in prompts/ or a file path.")
@click.option("--temperature", default=0.7, show_default=True)
@click.option("--top-p", default=0.95, show_default=True)
@click.option("--max-tokens", default=96, show_default=True, help="Token limit of each generated question.")
@click.option("--seed", default=0, show_default=True)
@click.option("--tensor-parallel-size", default=1, show_default=True, help="GPUs per model replica.")
@segment_options
def run(book: Path, out, model, prompt, temperature, top_p, max_tokens, seed, tensor_parallel_size, **kwargs):
    """Extract, segment and generate one interview question per passage of BOOK."""
    from synth import engine, models

    passages = load_passages(book, kwargs)
    out = out or pipeline.default_output(book)
    try:
        path = models.resolve(model)
        from synth import prompts

        prompts.load(prompt)
    except (ModelNotFound, FileNotFoundError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{book}: {len(passages)} passages; generating questions with {model or DEFAULT_MODEL}")
    chat = engine.load(path, tensor_parallel_size=tensor_parallel_size)
    records = pipeline.generate(
        passages, chat, prompts.load(prompt), Sampling(temperature, top_p, max_tokens, seed), model=model or DEFAULT_MODEL, prompt=prompt
    )
    pipeline.write_records(out, records)
    flagged = sum(1 for r in records if r.flags)
    click.echo(f"Wrote {len(records)} records to {out}" + (f" ({flagged} without a usable question, flagged)" if flagged else ""))
    click.echo("Review it by hand, then: make train")


@cli.command("segment")
@click.argument("book", type=click.Path(path_type=Path))
@segment_options
def segment_command(book: Path, **kwargs):
    """Show how BOOK is cut into passages, without loading a model."""
    passages = load_passages(book, kwargs)
    lengths = [len(p.text) for p in passages]
    click.echo(f"{book}: {len(passages)} passages, {sum(lengths):,} characters")
    click.echo(f"length: shortest {min(lengths)}, median {int(statistics.median(lengths))}, longest {max(lengths)}")
    for p in passages[:3]:
        click.echo(f"\n[{p.id} p.{p.pages}] {p.text[:300]}{'...' if len(p.text) > 300 else ''}")


def main():
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cli()
