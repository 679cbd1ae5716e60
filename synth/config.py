"""Synth configuration: one frozen dataclass whose defaults the `synth` CLI shows and uses,
as train/config.py's `TrainConfig` serves `train`.

The defaults both stages share (the persona, the train/held-out split) live in voicetune.config.
"""

from __future__ import annotations

from dataclasses import dataclass

from synth.repair import segment
from synth.generation import specificity
from synth.generation.job import ALTERNATIVES, CONTEXT_CHARS, OPENERS
from voicetune.config import NATURAL, PERSONA, POSITIVE, SEED_RANGE, BadOption, Range, check_ranges, strict


MAX_TEMPERATURE = 2.0  # vLLM's SamplingParams refuses a hotter one (after the engine has started)
RANGES = {
    "min_chars": NATURAL, "max_chars": POSITIVE,
    "temperature": Range(0.0, MAX_TEMPERATURE), "top_p": Range(0.0, 1.0, open_low=True), "min_p": Range(0.0, 1.0),
    "max_tokens": POSITIVE, "seed": SEED_RANGE, "per_passage": POSITIVE, "context_chars": NATURAL, "retries": NATURAL,
    "turns": POSITIVE, "candidates": POSITIVE, "alternatives": NATURAL, "max_rank": NATURAL, "concurrency": POSITIVE, "tensor_parallel_size": POSITIVE,
}


@dataclass(frozen=True)
class SynthConfig:
    # passages
    min_chars: int = segment.MIN_CHARS  # merge paragraphs shorter than this
    max_chars: int = segment.MAX_CHARS  # split passages longer than this at sentence ends
    persona: str | None = None  # None: PERSONA in prompts; in transcripts, the speaker found (or asked for)
    # questions
    prompt: str = "question"  # template in prompts/ or a file path
    temperature: float = 0.7
    top_p: float = 1.0  # min_p truncates instead: on a CPU, top_p's sort of the vocabulary doubles decoding time
    min_p: float = 0.05
    max_tokens: int = 40  # token limit of each generated question: a longer one rambles (and costs the most)
    seed: int = 0
    per_passage: int = 1  # questions (records) per passage
    context_chars: int = CONTEXT_CHARS  # the previous passage's last sentences within this many characters (0: all)
    retries: int = 1  # new tries for a reply with no usable question (a last one is made from the key terms: natural.template)
    turns: int = 1  # interviews: up to N consecutive passages of a chapter make one conversation
    candidates: int = 18  # replies per passage, spread over the openers (one prefill per request); the best is kept
    alternatives: int = ALTERNATIVES  # of the other candidates, the best a record keeps for review to take instead (0: none)
    max_rank: int = specificity.MAX_RANK  # retry a question whose own passage ranks below this (0: never)
    openers: str = "|".join(OPENERS)  # an interviewer's first words, "|" between: each request's reply begins with one ("": none)
    free_reply: bool = False  # let the model write on after its first question mark
    no_specificity: bool = False  # no MiniLM ranking, no specificity scores
    # backends
    concurrency: int = 16  # with --endpoint: requests in flight at once
    tensor_parallel_size: int = 1  # GPUs per model replica

    def __post_init__(self):
        """Refuse a value out of range here, so that the command line and a dict are both checked
        before any work (a vLLM engine takes half a minute to start before it checks sampling)."""
        check_ranges(self, RANGES, {"per_passage": "--questions-per-passage"})
        if self.min_chars > self.max_chars:
            raise BadOption(f"--min-chars ({self.min_chars}) must not exceed --max-chars ({self.max_chars})")

    @property
    def prompt_persona(self) -> str:
        return self.persona or PERSONA

    @classmethod
    def from_dict(cls, values: dict) -> SynthConfig:
        return strict(cls, values, "synth")
