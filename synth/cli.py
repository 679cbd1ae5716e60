"""`synth`: book or transcript -> interview.jsonl. Thin: parse options, call the pipeline."""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

import click
from tqdm import tqdm

from synth import pipeline, prompts, segment
from synth.endpoint import EndpointError
from synth.engine import Sampling
from synth.generate import CONTEXT_CHARS, Job
from synth.specificity import MAX_RANK, MiniLMRanker
from synth.extract import BadInput, parse_pages
from synth.models import DEFAULT_MODEL, ModelNotFound
from synth.prompts import MissingVariables
from synth.records import MalformedFile, read_records


def segment_options(f):
    f = click.option("--min-chars", default=300, show_default=True, help="Merge paragraphs shorter than this.")(f)
    f = click.option("--max-chars", default=2000, show_default=True, help="Split passages longer than this at sentence ends.")(f)
    f = click.option("--password", default=None, help="Password of an encrypted PDF.")(f)
    f = click.option("--limit", type=int, default=None, help="Only the first N passages.")(f)
    f = click.option(
        "--pages", default=None, callback=_page_range, help="PDF pages to use, e.g. 12-240 (skip front matter and index); counted as the PDF viewer does."
    )(f)
    f = click.option("--persona", default=None, help="Who is interviewed, by name in the prompts; in a transcript, the speaker whose words become answers.")(f)
    return f


def _page_range(ctx, param, value):
    try:
        return parse_pages(value) if value else None
    except BadInput as e:
        raise click.BadParameter(str(e)) from None


def options_from(kwargs) -> pipeline.SegmentOptions:
    return pipeline.SegmentOptions(
        kwargs["min_chars"], kwargs["max_chars"], kwargs["password"], kwargs["limit"], kwargs["pages"], kwargs["persona"]
    )


def load_passages(book: Path, kwargs):
    """Passages, with each warning about the input shown as one line on stderr."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            passages = pipeline.passages(book, options_from(kwargs))
    except BadInput as e:
        raise click.ClickException(str(e)) from None
    finally:
        for warning in caught:
            click.echo(f"Warning: {warning.message}", err=True)
    return passages


@click.group()
def cli():
    """Turn a book or transcript into interview questions and answers for fine-tuning."""


@cli.command()
@click.argument("book", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Output JSONL [data/<book>/interview.jsonl].")
@click.option("--model", default=None, help=f"Local model folder or hub id [embedded {DEFAULT_MODEL}]; with --endpoint, the served model's name.")
@click.option("--endpoint", default=None, help="An OpenAI-compatible server (e.g. http://host:8000/v1) instead of a local vLLM engine.")
@click.option("--concurrency", default=16, show_default=True, help="With --endpoint: requests in flight at once.")
@click.option("--prompt", default="question", show_default=True, help="Template name in prompts/ or a file path.")
@click.option("--temperature", default=0.7, show_default=True)
@click.option("--top-p", default=0.95, show_default=True)
@click.option("--max-tokens", default=96, show_default=True, help="Token limit of each generated question.")
@click.option("--seed", default=0, show_default=True)
@click.option("-n", "--questions-per-passage", "per_passage", default=1, show_default=True, help="Questions (records) per passage.")
@click.option("--context-chars", default=CONTEXT_CHARS, show_default=True, help="Context: the previous passage's last sentences within this many characters (0: all of it).")
@click.option("--retries", default=2, show_default=True, help="New tries (hotter, and a new seed where honoured) for a reply with no usable question.")
@click.option("--turns", default=1, show_default=True, type=click.IntRange(1), help="Interviews: up to N consecutive passages of a chapter make one conversation of follow-up questions.")
@click.option("--candidates", default=4, show_default=True, type=click.IntRange(1), help="Replies per request (one prefill); the question that points best to its passage is kept.")
@click.option("--max-rank", default=MAX_RANK, show_default=True, type=click.IntRange(0), help="Retry a question whose own passage ranks below this among the book's by MiniLM similarity (0: never).")
@click.option("--free-reply", is_flag=True, help="Let the model write on after its first question mark (by default a reply stops there).")
@click.option("--no-specificity", is_flag=True, help="Do not rank questions against the book's passages (no MiniLM; no specificity scores).")
@click.option("--tensor-parallel-size", default=1, show_default=True, help="GPUs per model replica.")
@click.option("--dry-run", is_flag=True, help="Show the passages that would be sent, without loading a model.")
@segment_options
def run(book: Path, out, model, endpoint, concurrency, prompt, temperature, top_p, max_tokens, seed, per_passage, context_chars, retries, turns, candidates, max_rank, free_reply, no_specificity, tensor_parallel_size, dry_run, **kwargs):
    """Extract, segment and generate one interview question per passage of BOOK.

    Re-running the same command continues where a previous run stopped (or was killed)."""
    passages = load_passages(book, kwargs)
    if dry_run:
        click.echo(segment.report(passages, kwargs["min_chars"], kwargs["max_chars"]))
        return
    out = out or pipeline.default_output(book)
    try:
        prompt_path = prompts.find(prompt)
        template = prompts.load(prompt_path)
        start_engine, name, backend = engine_factory(model, endpoint, concurrency, tensor_parallel_size)
        job = Job(
            template, Sampling(temperature, top_p, max_tokens, seed, candidates, () if free_reply else ("?",)), prompt=prompt, model=name, persona=kwargs["persona"] or "the author",
            context_chars=context_chars, per_passage=per_passage, retries=retries, turns=turns,
            ranker=None if no_specificity else MiniLMRanker, max_rank=max_rank,
        )
    except (ModelNotFound, FileNotFoundError, EndpointError, MissingVariables) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{book}: {len(passages)} passages -> {out}; questions from {name} ({backend})")
    started = time.monotonic()
    try:
        with tqdm(total=len(passages) * per_passage, desc="questions", unit="record", dynamic_ncols=True) as bar:
            records, summary = pipeline.synthesize(passages, out, start_engine, job, progress=bar.update)
    except MalformedFile as e:
        raise click.ClickException(str(e)) from None
    except EndpointError as e:
        raise click.ClickException(f"{e}; what was generated so far is saved, re-run to continue") from None
    except KeyboardInterrupt:
        raise click.ClickException(f"interrupted: what was generated so far is saved in {out}; re-run the same command to continue") from None
    elapsed = time.monotonic() - started
    pipeline.write_manifest(out, job, summary=summary, records=records, backend=backend, prompt_path=prompt_path, elapsed=elapsed)
    click.echo(summary_line(out, records, summary, elapsed))
    click.echo(f"Review it (make review, or synth review {out}), then: make train")


def engine_factory(model, endpoint, concurrency, tensor_parallel_size):
    """(start_engine, model name, backend label); nothing heavy starts until start_engine()."""
    from synth import models

    if endpoint:
        from synth.endpoint import Endpoint

        client = Endpoint(endpoint, model, concurrency=concurrency)
        return (lambda: client), client.model, f"endpoint {client.url}"
    path = models.resolve(model)

    def start():
        from synth.engine import VLLMEngine

        return VLLMEngine(path, tensor_parallel_size=tensor_parallel_size)

    return start, model or DEFAULT_MODEL, "vLLM"


def summary_line(out: Path, records, summary, elapsed: float) -> str:
    parts = [f"{summary.generated} generated", f"{summary.reused} reused"]
    if summary.from_transcript:
        parts.append(f"{summary.from_transcript} from the transcript")
    if summary.failed:
        parts.append(f"{summary.failed} without a usable question (flagged)")
    rejected = sum(summary.rejected_replies.values())
    if rejected:
        reasons = ", ".join(f"{n} {reason}" for reason, n in summary.rejected_replies.most_common())
        parts.append(f"{rejected} replies rejected ({reasons}; see {pipeline.sidecar(out, 'rejects.jsonl')})")
    speed = f", generating at {summary.tokens_per_second:.0f} tok/s" if summary.tokens_per_second else ""
    return f"Wrote {len(records)} records to {out}: " + "; ".join(parts) + f" [{elapsed:.0f} s{speed}]"


@cli.command("segment")
@click.argument("book", type=click.Path(path_type=Path))
@click.option("--stats", is_flag=True, help="Only the counts and the length histogram, no passages.")
@click.option("--show", type=int, default=3, show_default=True, help="How many passages to print after the stats.")
@segment_options
def segment_command(book: Path, stats: bool, show: int, **kwargs):
    """Show how BOOK is cut into passages (count, length histogram, first passages), without loading a model."""
    passages = load_passages(book, kwargs)
    click.echo(segment.report(passages, kwargs["min_chars"], kwargs["max_chars"], show=0 if stats else show))


def existing_output(file: Path | None) -> Path:
    """FILE, or the latest data/*/interview.jsonl; ClickException if there is none."""
    file = file or pipeline.latest_output()
    if file is None:
        raise click.ClickException("no data/*/interview.jsonl found: run `make synth` first, or pass FILE")
    if not file.is_file():
        raise click.ClickException(f"{file}: no such file")
    return file


@cli.command()
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--port", default=0, show_default=True, help="Port on 127.0.0.1 (0: a free one).")
@click.option("--no-browser", is_flag=True, help="Only print the URL.")
def review(file: Path | None, port: int, no_browser: bool):
    """Review FILE [the latest data/*/interview.jsonl] in a local web page: accept, reject, edit.

    Every change is saved to FILE at once. Stop with Ctrl-C."""
    from synth import review as page

    file = existing_output(file)
    try:
        records = read_records(file)
        server = page.make_server(file, port=port)
    except (MalformedFile, OSError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Reviewing {len(records)} records of {file} at {page.url(server)}  (Ctrl-C to stop; every change is saved at once)")
    if not no_browser and (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform == "darwin"):
        import webbrowser

        webbrowser.open(page.url(server))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.server_close()


@cli.command()
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--top", default=10, show_default=True, help="How many records worth a look first to list.")
def stats(file: Path | None, top: int):
    """Counts by status and flag, lengths, near-duplicate questions, and what to review first in FILE [the latest]."""
    from synth import stats as dataset_stats

    file = existing_output(file)
    try:
        records = read_records(file)
    except MalformedFile as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{file}: {len(records)} records")
    click.echo(dataset_stats.report(records, top=top))


def main():
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    cli()
