"""Which engine makes the questions: a local vLLM engine or an OpenAI-compatible endpoint.
Nothing heavy starts until `Backend.start()` is called (a dry run or a fully reused file never does)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from voicetune.engine import Engine
from voicetune.models import DEFAULT_MODEL


@dataclass(frozen=True)
class Backend:
    start: Callable[[], Engine]
    model: str  # the name recorded with each question
    label: str  # for the user: "vLLM" or "endpoint URL"
    local: bool  # a vLLM engine in this process tree (it has child processes to guard)


def choose(model: str | None, endpoint: str | None, *, concurrency: int, tensor_parallel_size: int) -> Backend:
    """The backend for these options; ModelNotFound / EndpointError if it cannot be used."""
    from voicetune import models

    if endpoint:
        from synth.generation.endpoint import Endpoint

        client = Endpoint(endpoint, model, concurrency=concurrency)
        return Backend(lambda: client, client.model, f"endpoint {client.url}", local=False)
    path = models.resolve(model)

    def start() -> Engine:
        from voicetune.engine import VLLMEngine

        return VLLMEngine(path, tensor_parallel_size=tensor_parallel_size)

    return Backend(start, model or DEFAULT_MODEL, "vLLM", local=True)
