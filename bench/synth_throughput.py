"""Generated tokens/s of question generation, three ways, on the same passages:

  1. naive: transformers `generate`, one prompt at a time (how a first script does it)
  2. raw vLLM: one `LLM.chat` call over every prompt
  3. this project's stage: synth.generate with the streaming vLLM engine, saving each record as
     it completes (retries off, so every way does the same work)

    .venv/bin/python bench/synth_throughput.py [--passages 64] [--naive 8] [--model PATH]

Targets (embedded SmolLM2-135M on 2 CPU cores): stage >= 90% of raw vLLM, >= 30x naive.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth import pipeline, prompts, store  # noqa: E402
from synth.engine import Sampling, VLLMEngine  # noqa: E402
from synth.generate import conversation, generate  # noqa: E402
from synth.models import resolve  # noqa: E402

BOOK = Path(__file__).resolve().parents[1] / "data" / "sample" / "memoir.pdf"


def workload(n: int):
    """n passages (the sample book's, cycled) with their prompts."""
    base = pipeline.passages(BOOK, pipeline.SegmentOptions())
    passages = list(islice(cycle(base), n))
    template = prompts.load("question")
    conversations = [conversation(template, p, passages[i - 1] if i else None) for i, p in enumerate(passages)]
    return passages, template, conversations


def naive(model: str, conversations, sampling: Sampling) -> tuple[int, float]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    lm = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)  # fp32: the faster choice on a CPU without AMX
    tokens, started = 0, time.perf_counter()
    for messages in conversations:
        inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        with torch.no_grad():
            out = lm.generate(**inputs, max_new_tokens=sampling.max_tokens, do_sample=False)
        tokens += out.shape[1] - inputs["input_ids"].shape[1]
    return tokens, time.perf_counter() - started


def raw_vllm(engine: VLLMEngine, conversations, sampling: Sampling) -> tuple[int, float]:
    started = time.perf_counter()
    outputs = engine.llm.chat(list(conversations), engine.params(sampling), use_tqdm=False)
    return sum(len(o.outputs[0].token_ids) for o in outputs), time.perf_counter() - started


def stage(engine: VLLMEngine, passages, template, sampling: Sampling) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as folder, store.Appender(Path(folder) / "interview.jsonl") as appender:
        started = time.perf_counter()
        _, summary = generate(passages, lambda: engine, template, sampling, prompt="question", model="bench", retries=0, save=lambda r: appender.add([r]))
        return summary.tokens, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=64)
    parser.add_argument("--naive", type=int, default=8, help="prompts for the one-at-a-time loop (its rate does not depend on how many)")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    model = resolve(args.model)
    passages, template, conversations = workload(args.passages)
    # Greedy: every way then generates (nearly) the same tokens. With sampling, run-to-run length
    # differences swamp the comparison, since prefill (~480 prompt tokens per ~50 generated) is
    # most of the time on a CPU.
    sampling = Sampling(temperature=0.0, max_tokens=96)

    rows = {}
    # The naive loop first: a live vLLM engine keeps its threads bound to the cores.
    rows["naive transformers loop"] = naive(model, conversations[: args.naive], sampling)
    engine = VLLMEngine(model)
    raw_vllm(engine, conversations, sampling)  # warm-up, not counted: the first full batch runs slower
    rows["raw vLLM chat"] = raw_vllm(engine, conversations, sampling)
    rows["this project's stage"] = stage(engine, passages, template, sampling)
    rows["raw vLLM chat (again)"] = raw_vllm(engine, conversations, sampling)  # shows run-to-run noise

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    prompt_tokens = sum(len(tokenizer.apply_chat_template(c, add_generation_prompt=True)["input_ids"]) for c in conversations) / len(conversations)
    generated = rows["raw vLLM chat"][0] / len(conversations)
    print(f"\n{args.passages} passages, max_tokens {sampling.max_tokens}, model {Path(model).name}, "
          f"{prompt_tokens:.0f} prompt tokens and {generated:.0f} generated tokens per request (mean), "
          f"VLLM_CPU_OMP_THREADS_BIND={os.environ.get('VLLM_CPU_OMP_THREADS_BIND', '(GPU)')}")
    print(f"{'way':<26}{'tokens':>8}{'seconds':>9}{'tok/s':>9}")
    speed = {}
    for name, (tokens, seconds) in rows.items():
        speed[name] = tokens / seconds
        print(f"{name:<26}{tokens:>8}{seconds:>9.1f}{speed[name]:>9.1f}")
    ours = speed["this project's stage"]
    raw = max(speed["raw vLLM chat"], speed["raw vLLM chat (again)"])
    print(f"\nstage / raw vLLM (the faster raw run): {ours / raw:.2f}  (target >= 0.90)")
    print(f"stage / naive:    {ours / speed['naive transformers loop']:.1f}x (target >= 30x)")


if __name__ == "__main__":
    main()
