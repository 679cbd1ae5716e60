"""`synth`: book or transcript -> interview.jsonl. Thin: parse options, call one function, turn
user errors into one line (click.ClickException). Defaults come from synth/config.py."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import click

from synth import pipeline
from synth.repair import segment
from synth.config import SynthConfig
from voicetune.errors import BadInput, Notice, unwritable
from voicetune.files import refuse_link
from synth.sources.extract import parse_pages
from voicetune import config
from voicetune.config import NATURAL, POSITIVE, SEED_RANGE, SHARE, Range, option_range
from voicetune.dataset import DatasetFile, latest_output
from voicetune.engine import ANSWER_MAX_TOKENS
from voicetune.models import DEFAULT_MODEL
from voicetune.records import MalformedFile, write_jsonl

D = SynthConfig  # the defaults, shown by --help


def segment_options(f):
    f = click.option("--min-chars", default=D.min_chars, show_default=True, help="Merge paragraphs shorter than this.")(f)
    f = click.option("--max-chars", default=D.max_chars, show_default=True, help="Split passages longer than this at sentence ends.")(f)
    f = click.option("--password", default=None, help="Password of an encrypted PDF.")(f)
    f = click.option("--limit", type=int, default=None, callback=option_range(POSITIVE), help="Only the first N passages.")(f)
    f = click.option(
        "--pages", default=None, callback=_page_range, help="PDF pages to use, e.g. 12-240 (skip front matter and index); counted as the PDF viewer does."
    )(f)
    f = click.option("--persona", default=D.persona, help="Who is interviewed, by name in the prompts [the author]; in a transcript, the speaker whose words become answers.")(f)
    return f


def _page_range(ctx, param, value):
    try:
        return parse_pages(value) if value else None
    except BadInput as e:
        raise click.BadParameter(str(e)) from None


def config_from(values: dict) -> SynthConfig:
    """The options as a SynthConfig; one out of range (checked there) is a one-line error."""
    try:
        return SynthConfig.from_dict(values)
    except ValueError as e:
        raise click.ClickException(str(e)) from None


def options_from(kwargs) -> pipeline.SegmentOptions:
    return pipeline.SegmentOptions(
        kwargs["min_chars"], kwargs["max_chars"], kwargs["password"], kwargs["limit"], kwargs["pages"], kwargs["persona"]
    )


def load_sources(books: tuple[Path, ...], kwargs) -> list[pipeline.Source]:
    """Each source's passages, with each warning or note about the input shown as one line on stderr."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sources = pipeline.gather(books, options_from(kwargs))
    except BadInput as e:
        raise click.ClickException(str(e)) from None
    finally:
        for warning in caught:
            click.echo(f"{'Note' if issubclass(warning.category, Notice) else 'Warning'}: {warning.message}", err=True)
    return sources


def output_path(out: Path) -> Path:
    """A file to write: a folder, a file inside a non-folder or a folder that refuses writing is a one-line error."""
    if out.is_dir():
        raise click.ClickException(f"{out} is a folder: --out takes a file path, e.g. {out / 'interview.jsonl'}")
    problem = unwritable(out)
    if problem:
        raise click.ClickException(problem)
    return out


def jsonl_output(path: Path) -> Path:
    """`path` to replace with JSON lines: a folder, an unwritable place or a symbolic link is a one-line error."""
    try:
        return refuse_link(output_path(path))
    except MalformedFile as e:
        raise click.ClickException(str(e)) from None


@click.group()
def cli():
    """Turn a book or transcript into interview questions and answers for fine-tuning."""


@cli.command()
@click.argument("books", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--name", default=None, help="The dataset's name: output goes to data/<name>/interview.jsonl [the persona, else the first book's name].")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Output JSONL [data/<name>/interview.jsonl].")
@click.option("--model", default=None, help=f"Local model folder or hub id [embedded {DEFAULT_MODEL}]; with --endpoint, the served model's name.")
@click.option("--endpoint", default=None, help="An OpenAI-compatible server (e.g. http://host:8000/v1) instead of a local vLLM engine.")
@click.option("--concurrency", default=D.concurrency, show_default=True, help="With --endpoint: requests in flight at once.")
@click.option("--prompt", default=D.prompt, show_default=True, help="Template name in prompts/ or a file path.")
@click.option("--temperature", default=D.temperature, show_default=True)
@click.option("--top-p", default=D.top_p, show_default=True)
@click.option("--min-p", default=D.min_p, show_default=True, help="Never draw a token less likely than this share of the likeliest.")
@click.option("--max-tokens", default=D.max_tokens, show_default=True, help="Token limit of each generated question.")
@click.option("--seed", default=D.seed, show_default=True)
@click.option("-n", "--questions-per-passage", "per_passage", default=D.per_passage, show_default=True, help="Questions (records) per passage.")
@click.option("--context-chars", default=D.context_chars, show_default=True, help="Context: the previous passage's last sentences within this many characters (0: all of it).")
@click.option("--retries", default=D.retries, show_default=True, help="New tries (hotter, and a new seed where honoured) for a reply with no usable question.")
@click.option("--turns", default=D.turns, show_default=True, help="Interviews: up to N consecutive passages of a chapter make one conversation of follow-up questions.")
@click.option("--candidates", default=D.candidates, show_default=True, help="Replies per passage, spread over the openers (one prefill per request); the best question is kept.")
@click.option("--alternatives", default=D.alternatives, show_default=True, help="Of the other candidates, how many a record keeps for review to take instead of its question (0: none).")
@click.option("--max-rank", default=D.max_rank, show_default=True, help="Retry a question whose own passage ranks below this among the book's by MiniLM similarity (0: never).")
@click.option("--openers", default=D.openers, show_default=True, help="An interviewer's first words, '|' between: the model finishes a question begun with each ('' to let it write the whole question).")
@click.option("--free-reply", is_flag=True, default=D.free_reply, help="Let the model write on after its first question mark (by default a reply stops there).")
@click.option("--no-specificity", is_flag=True, default=D.no_specificity, help="Do not rank questions against the book's passages (no MiniLM; no specificity scores).")
@click.option("--tensor-parallel-size", default=D.tensor_parallel_size, show_default=True, help="GPUs per model replica.")
@click.option("--dry-run", is_flag=True, help="Show the passages that would be sent, without loading a model.")
@click.option("--verbose", is_flag=True, help="Show vLLM's own output on the terminal too (it always goes to interview.log next to the output).")
@segment_options
def run(books: tuple[Path, ...], name, out, model, endpoint, dry_run, password, limit, pages, verbose, **options):
    """Extract, segment and generate one interview question per passage of BOOKS (files or
    folders of books and transcripts: one dataset of one persona).

    Re-running the same command continues where a previous run stopped (or was killed)."""
    from synth import synthesis

    config = config_from(options)
    sources = load_sources(books, {**options, "password": password, "limit": limit, "pages": pages})
    passages = [p for source in sources for p in source.passages]
    if dry_run:
        click.echo(segment.report(passages, config.min_chars, config.max_chars))
        return
    try:
        out, note = pipeline.dataset_output(out and output_path(out), name, config.persona, books, sources)
    except BadInput as e:
        raise click.ClickException(str(e)) from None
    if note:
        click.echo(f"Note: {note}", err=True)
    out = output_path(out)
    try:
        synthesis.run(sources, passages, out, config, model=model, endpoint=endpoint, echo=click.echo, verbose=verbose)
    except synthesis.SynthError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Review it (make review, or synth review {out}), then: make train")


@cli.command("segment")
@click.argument("books", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--stats", is_flag=True, help="Only the counts and the length histogram, no passages.")
@click.option("--show", type=int, default=3, show_default=True, callback=option_range(NATURAL), help="How many passages to print after the stats.")
@click.option("--jsonl", type=click.Path(path_type=Path), default=None,
              help="Also write every passage to this file, one JSON line each: id, text, chapter, source, question (a real one), speaker.")
@segment_options
def segment_command(books: tuple[Path, ...], stats: bool, show: int, jsonl: Path | None, **kwargs):
    """Show how BOOKS are cut into passages (speakers found, boilerplate removed, count, length
    histogram, first passages), without loading a model."""
    config_from({k: kwargs[k] for k in ("min_chars", "max_chars", "persona")})  # their ranges, checked before any work
    if jsonl:
        jsonl_output(jsonl)  # a folder or a link there is said before any work
    sources = load_sources(books, kwargs)
    for source in sources:
        for note in source.notes:
            click.echo(note)
    passages = [p for source in sources for p in source.passages]
    click.echo(segment.report(passages, kwargs["min_chars"], kwargs["max_chars"], show=0 if stats else show))
    if jsonl:
        try:
            written = write_jsonl(jsonl_output(jsonl), pipeline.passage_lines(sources))
        except (MalformedFile, OSError) as e:  # a link at that path, a full disk
            raise click.ClickException(str(e)) from None
        click.echo(f"Wrote {written} passage{'s' if written != 1 else ''} to {jsonl}")


def existing_output(file: Path | None) -> Path:
    """FILE, or the latest data/*/interview.jsonl; ClickException if there is none."""
    file = file or latest_output()
    if file is None:
        raise click.ClickException("no data/*/interview.jsonl found: run `make synth` first, or pass FILE")
    if file.is_dir():
        raise click.ClickException(f"{file} is a folder: pass the interview file, e.g. {file / 'interview.jsonl'}")
    if not file.is_file():
        raise click.ClickException(f"{file}: no such file")
    return file


def existing_records(file: Path | None):
    file = existing_output(file)
    try:
        return file, DatasetFile(file).read()
    except MalformedFile as e:
        raise click.ClickException(str(e)) from None
    except UnicodeDecodeError as e:
        raise click.ClickException(f"{file}: not UTF-8 text ({e.reason} at byte {e.start}); save it as UTF-8") from None


@cli.command()
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--port", default=0, show_default=True, callback=option_range(Range(0, 65535)), help="Port on 127.0.0.1 (0: a free one).")
@click.option("--no-browser", is_flag=True, help="Only print the URL.")
@click.option("--blind", "blind_run", type=click.Path(path_type=Path), help="Blind test of a training RUN folder: which of two answers is the author's? (reads RUN/eval_answers.jsonl, saves RUN/blind.jsonl)")
def review(file: Path | None, port: int, no_browser: bool, blind_run: Path | None):
    """Review FILE [the latest data/*/interview.jsonl] in a local web page: accept, reject, edit.

    Every change is saved to FILE at once. Stop with Ctrl-C."""
    from synth.dataset import review as page

    try:
        if blind_run:
            test = page.BlindTest(blind_run)
            server = page.make_server(blind_run, port=port, blind=test)
            what = f"Blind test of {len(test.rows)} answers of {blind_run} ({test.score()['guessed']} guessed before)"
        else:
            file, records = existing_records(file)
            server = page.make_server(file, port=port)
            what = f"Reviewing {len(records)} records of {file}"
    except (MalformedFile, OSError) as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{what} at {page.url(server)}  (Ctrl-C to stop; every change is saved at once)")
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
@click.option("--top", default=10, show_default=True, callback=option_range(NATURAL), help="How many records worth a look first to list.")
def stats(file: Path | None, top: int):
    """Counts by status and flag, lengths, near-duplicate questions, and what to review first in FILE [the latest]."""
    from synth.dataset import stats as dataset_stats

    file, records = existing_records(file)
    click.echo(f"{file}: {len(records)} records")
    click.echo(dataset_stats.report(records, top=top))


@cli.command("pairs")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--model", default=None, help=f"The training base, whose answers are the rejected side: local folder or hub id, as train run --base [embedded {DEFAULT_MODEL}]; with --endpoint, the served model's name.")
@click.option("--endpoint", default=None, help="An OpenAI-compatible server (e.g. http://host:8000/v1) instead of a local vLLM engine.")
@click.option("--concurrency", default=D.concurrency, show_default=True, help="With --endpoint: requests in flight at once.")
@click.option("--persona", default=config.PERSONA, show_default=True, help="Who the model speaks as (system prompt), as in train run.")
@click.option("--system-prompt", default=config.SYSTEM_PROMPT, show_default=True, help="Template in prompts/, a path, or '' for none, as in train run.")
@click.option("--max-tokens", default=ANSWER_MAX_TOKENS, show_default=True, callback=option_range(POSITIVE), help="Token limit of each answer, as train eval's.")
@click.option("--verbose", is_flag=True, help="Show vLLM's own output on the terminal too (it always goes to interview.log next to FILE).")
def pairs_command(file, model, endpoint, concurrency, persona, system_prompt, max_tokens, verbose):
    """Preference pairs: the base model's own answer to every usable record of FILE [the latest]
    (rejected: it; chosen: the author's passage), written to interview.pairs.jsonl beside it.

    Re-running continues where a previous run stopped (or was killed), and regenerates the pairs
    of records whose question changed."""
    from synth import synthesis
    from voicetune.prompts import MissingVariables
    from voicetune.conversations import system_message

    file = existing_output(file)
    try:
        system = system_message(system_prompt or None, persona)
    except (MissingVariables, FileNotFoundError) as e:
        raise click.ClickException(str(e)) from None
    try:
        done = synthesis.pairs(file, model=model, endpoint=endpoint, system=system, max_tokens=max_tokens, concurrency=concurrency, verbose=verbose, echo=click.echo)
    except synthesis.SynthError as e:
        raise click.ClickException(str(e)) from None
    cut = f"; {done.unfinished} cut at {max_tokens} tokens" if done.unfinished else ""
    speed = f" [{done.seconds:.0f} s, {done.tokens / done.seconds:.0f} tok/s]" if done.seconds else ""
    click.echo(f"Wrote {done.path}: {done.turns} pairs, {done.generated} generated, {done.reused} reused{cut}{speed}")
    click.echo(f"Review both sides (synth review {file}), then: synth export {file} --format preference")


@cli.command("export")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--format", "format_", type=click.Choice(["messages", "sharegpt", "hf", "preference"]), default="messages", show_default=True,
              help="messages: OpenAI messages JSONL (TRL, axolotl, LLaMA-Factory); sharegpt: ShareGPT JSON; hf: a datasets folder (save_to_disk) split as train run splits;"
                   " preference: prompt/chosen/rejected JSONL (TRL's conversational preference layout) from the pairs of synth pairs.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Output file (hf: folder) [next to FILE: interview.<format>.jsonl|.json|/].")
@click.option("--persona", default=config.PERSONA, show_default=True, help="Who the model speaks as (system prompt), as in train run.")
@click.option("--system-prompt", default=config.SYSTEM_PROMPT, show_default=True, help="Template in prompts/, a path, or '' for none, as in train run.")
@click.option("--only-reviewed", is_flag=True, help="Accepted and edited records only, as train run --only-reviewed [default: all but rejected].")
@click.option("--eval-share", default=config.EVAL_SHARE, show_default=True, callback=option_range(SHARE), help="hf: share of conversations held out, as in train run.")
@click.option("--seed", default=config.SEED, show_default=True, callback=option_range(SEED_RANGE), help="hf: the split's seed, as in train run.")
def export_command(file, format_, out, persona, system_prompt, only_reviewed, eval_share, seed):
    """Write FILE's records [the latest] as training data for other tools: rejected ones left out,
    conversations as multi-turn, with the system message train run uses."""
    from synth.dataset import export
    from voicetune.prompts import MissingVariables
    from voicetune.conversations import DataError, system_message

    file = existing_output(file)
    out = out or export.default_path(file, format_)
    if format_ == "hf":
        if out.exists() and not out.is_dir():
            raise click.ClickException(f"{out} is a file: --format hf writes a folder")
        if problem := unwritable(out):
            raise click.ClickException(problem)
    else:
        output_path(out)
    try:
        done = export.export(file, format_, out, system=system_message(system_prompt or None, persona), only_reviewed=only_reviewed,
                             eval_share=eval_share, seed=seed)
    except (DataError, MalformedFile, MissingVariables, OSError) as e:
        raise click.ClickException(str(e)) from None
    if format_ == "preference":
        click.echo(f"Wrote {done.turns} preference pair{'s' if done.turns != 1 else ''} (prompt, chosen: the author's, rejected: the base model's) to {done.path}")
        return
    split = f" (train {done.conversations - done.held_out}, test {done.held_out} held out)" if done.held_out is not None else ""
    click.echo(f"Wrote {done.conversations} conversation{'s' if done.conversations != 1 else ''}, {done.turns} turn{'s' if done.turns != 1 else ''}{split}, to {done.path}")


def main():
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from synth.generation import guard

    if guard.needed(sys.argv[1:]):  # a local vLLM engine: its processes must not outlive the run
        sys.exit(guard.run(sys.argv[1:]))
    cli()
