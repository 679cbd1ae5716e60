"""`synth run` after its options are parsed: prompt, backend, job, generation with a progress
bar, manifest and summary. Every error a user can fix is a `SynthError` with one line."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Callable, Sequence

from synth import pipeline
from voicetune import prompts
from synth.generation.backend import Backend, choose
from synth.config import SynthConfig
from synth.generation.endpoint import EndpointError
from voicetune.engine import EngineLog, Sampling, answer_sampling
from voicetune.engine import close as close_engine
from synth.generation.job import Job, Summary
from synth.generation import pairs as pair_data
from voicetune.models import ModelNotFound
from synth.generation.specificity import MiniLMRanker
from voicetune.conversations import DataError
from voicetune.dataset import DatasetFile
from voicetune.records import MalformedFile, Record
from synth.document import Passage


class SynthError(RuntimeError):
    """What stopped the run, in one line with what to do."""


def job_for(config: SynthConfig, model: str) -> Job:
    template = prompts.load(prompts.find(config.prompt))
    sampling = Sampling(
        config.temperature, config.top_p, config.max_tokens, config.seed, config.candidates, () if config.free_reply else ("?",), min_p=config.min_p
    )
    return Job(
        template, sampling, prompt=config.prompt, model=model, persona=config.prompt_persona, context_chars=config.context_chars,
        per_passage=config.per_passage, retries=config.retries, turns=config.turns,
        ranker=None if config.no_specificity else MiniLMRanker, max_rank=config.max_rank, checks=True,
        openers=tuple(o.strip() for o in config.openers.split("|") if o.strip()), alternatives=config.alternatives,
    )


def prepare(config: SynthConfig, *, model: str | None, endpoint: str | None) -> tuple[Backend, Job, Path]:
    try:
        prompt_path = prompts.find(config.prompt)
        backend = choose(model, endpoint, concurrency=config.concurrency, tensor_parallel_size=config.tensor_parallel_size)
        return backend, job_for(config, backend.model), prompt_path
    except (ModelNotFound, FileNotFoundError, EndpointError, prompts.MissingVariables) as e:
        raise SynthError(str(e)) from None


def run(
    sources: Sequence[pipeline.Source], passages: list[Passage], out: Path, config: SynthConfig, *, model: str | None, endpoint: str | None,
    echo: Callable[[str], None] = print, verbose: bool = False,
) -> list[Record]:
    backend, job, prompt_path = prepare(config, model=model, endpoint=endpoint)
    echo(f"{', '.join(s.name for s in sources)}: {len(passages)} passages -> {out}; questions from {backend.model} ({backend.label})")
    started = time.monotonic()
    dataset = DatasetFile(out)
    pipeline.write_sources(dataset, sources)
    try:
        records, summary = generate(passages, dataset, backend, job, verbose)
    except MalformedFile as e:
        raise SynthError(str(e)) from None
    except UnicodeDecodeError as e:
        raise SynthError(f"{out}: not UTF-8 text ({e.reason} at byte {e.start}); save it as UTF-8") from None
    except EndpointError as e:
        raise SynthError(f"{e}; what was generated so far is saved, re-run to continue") from None
    except KeyboardInterrupt:
        raise SynthError(f"interrupted: what was generated so far is saved in {out}; re-run the same command to continue") from None
    elapsed = time.monotonic() - started
    pipeline.write_manifest(dataset, job, summary=summary, records=records, backend=backend.label, prompt_path=prompt_path, elapsed=elapsed, sources=sources)
    echo(summary_line(dataset, records, summary, elapsed))
    return records


def generate(passages: list[Passage], dataset: DatasetFile, backend: Backend, job: Job, verbose: bool) -> tuple[list[Record], Summary]:
    """The questions, with a progress bar (see `engine_session`)."""
    with engine_session(backend, dataset, verbose, len(passages) * job.per_passage, "questions") as (start, progress):
        return pipeline.synthesize(passages, dataset, start, job, progress=progress)


@contextmanager
def engine_session(backend: Backend, dataset: DatasetFile, verbose: bool, total: int, what: str):
    """(start, progress) for work of `total` records on `backend`: a local engine's output in the
    dataset's log file (on the terminal too with --verbose), a progress bar, and every engine
    started shut down before the block ends, so nothing follows the summary."""
    from tqdm import tqdm

    engines = []

    def start():
        engines.append(backend.start())
        return engines[-1]

    with EngineLog(dataset.sidecar("log"), verbose) if backend.local else nullcontext() as log:  # interview.log
        try:
            terminal = log.stderr if log else sys.stderr
            with tqdm(total=total, desc=what, unit="record", dynamic_ncols=True, file=terminal) as bar:
                yield start, bar.update
        finally:
            for engine in engines:
                close_engine(engine)


def pairs(path: Path, *, model: str | None, endpoint: str | None, system: str | None, max_tokens: int, concurrency: int = 16,
          verbose: bool = False, echo: Callable[[str], None] = print) -> pair_data.PairsSummary:
    """`synth pairs`: the base model's answer to every usable turn of `path` (synth/generation/pairs.py)."""
    try:
        backend = choose(model, endpoint, concurrency=concurrency, tensor_parallel_size=1)
        sampling = answer_sampling(max_tokens)
        echo(f"{path}: the base model's answers from {backend.model} ({backend.label}; greedy, frequency penalty {sampling.frequency_penalty}, at most {max_tokens} tokens)")
        dataset = DatasetFile(path)
        dataset.refuse_links()
        with engine_session(backend, dataset, verbose, len(pair_data.wanted(path, system)), "pairs") as (start, progress):
            return pair_data.make(path, start, backend.model, sampling, system=system, progress=progress)
    except (ModelNotFound, EndpointError, MalformedFile, DataError) as e:
        raise SynthError(f"{e}; what was generated so far is saved, re-run to continue" if isinstance(e, EndpointError) else str(e)) from None
    except KeyboardInterrupt:
        raise SynthError(f"interrupted: the pairs made so far are saved beside {path}; re-run the same command to continue") from None


def summary_line(dataset: DatasetFile, records: list[Record], summary: Summary, elapsed: float) -> str:
    parts = [f"{summary.generated} generated", f"{summary.reused} reused"]
    if summary.from_transcript:
        parts.append(f"{summary.from_transcript} from the transcript")
    if summary.templates:
        parts.append(f"{summary.templates} from key terms (no reply a reviewer could keep)")
    if summary.failed:
        parts.append(f"{summary.failed} without a usable question (flagged)")
    rejected = sum(summary.rejected_replies.values())
    if rejected:
        reasons = ", ".join(f"{n} {reason}" for reason, n in summary.rejected_replies.most_common())
        parts.append(f"{rejected} replies rejected ({reasons}; see {dataset.rejects})")
    speed = f", generating at {summary.tokens_per_second:.0f} tok/s" if summary.tokens_per_second else ""
    return f"Wrote {len(records)} records to {dataset.path}: " + "; ".join(parts) + f" [{elapsed:.0f} s{speed}]"
