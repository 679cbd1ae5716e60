"""Generated tokens/s of question generation, three ways, on the same passages:

  1. naive: transformers `generate`, one prompt at a time (how a first script does it)
  2. raw vLLM: one `LLM.chat` call over every prompt
  3. this project's stage: synth.generation.generate with the streaming vLLM engine, saving each record as
     it completes (retries off, so every way does the same work)

    .venv/bin/python bench/synth_throughput.py [--passages 256] [--naive 0] [--decode-tokens 128] [--book PDF] [--model PATH]

It prints what it measures: the stage against raw vLLM (the stage should lose nothing to it), the
stage against the naive loop, and the ceiling that prefill sets on any vLLM way. Every vLLM way starts on an empty prefix cache (the ways share prompts), and the last lines
print how many cores the engine kept busy and the ceiling that prefill alone sets: a question is
~16 tokens after a ~330-token prompt, so on a CPU the work is mostly prefill, which batching
speeds up far less than decoding. A decode-bound reference (the same prompts, every reply forced
to --decode-tokens tokens) shows what the engine does where decoding dominates.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synth import pipeline  # noqa: E402
from voicetune import prompts
from voicetune.dataset import DatasetFile
from voicetune.engine import Sampling, VLLMEngine  # noqa: E402
from synth.generation.generate import generate  # noqa: E402
from synth.generation.job import Job  # noqa: E402
from voicetune.models import compute_dtype, dtype_name, resolve  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# A real book with hundreds of passages: every prompt distinct, as in a real run (cycling a short
# book's passages repeats prompts, and vLLM's prefix cache then skips their prefill).
SHERLOCK = ROOT.parent / "shared" / "corpora" / "pdf" / "01_book_sherlock-holmes_tex-ligatures-hyphenation-headers.pdf"


def workload(book: Path, n: int, sampling: Sampling):
    """The first n passages of the book, the stage's job (retries off, so every way does the
    same work) and the prompts it sends."""
    passages = pipeline.passages(book, pipeline.SegmentOptions(limit=n))
    if len(passages) < n:
        sys.exit(f"{book.name} has {len(passages)} passages; this needs {n} distinct ones (--book, --passages)")
    job = Job(prompts.load("question"), sampling, model="bench", retries=0)
    conversations = [job.conversation(p, passages[i - 1] if i else None) for i, p in enumerate(passages)]
    return passages, job, conversations


def naive(model: str, conversations, sampling: Sampling, dtype: str, forced: bool = False) -> tuple[int, float]:
    """forced: every reply runs to max_tokens (the decode-bound reference)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    lm = AutoModelForCausalLM.from_pretrained(model, dtype=dtype)
    tokens, started = 0, time.perf_counter()
    for messages in conversations:
        inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
        out = lm.generate(**inputs, max_new_tokens=sampling.max_tokens, min_new_tokens=sampling.max_tokens if forced else None, do_sample=False)
        tokens += out.shape[1] - inputs["input_ids"].shape[1]
    return tokens, time.perf_counter() - started


def raw_vllm(engine: VLLMEngine, conversations, sampling: Sampling, forced: bool = False) -> tuple[int, float]:
    params = engine.params(sampling)
    params.ignore_eos = forced
    started = time.perf_counter()
    outputs = engine.llm.chat(list(conversations), params, use_tqdm=False)
    return sum(len(o.outputs[0].token_ids) for o in outputs), time.perf_counter() - started


def spread(items: list, n: int) -> list:
    """n items evenly spaced over the list (the naive loop's sample: passages differ in length)."""
    return [items[i * len(items) // n] for i in range(min(n, len(items)))]


def stage(engine: VLLMEngine, passages, job: Job) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as folder, DatasetFile(Path(folder) / "interview.jsonl").appender() as appender:
        started = time.perf_counter()
        _, summary = generate(passages, lambda: engine, job, save=lambda r: appender.add([r]))
        return summary.tokens, time.perf_counter() - started


def cold(engine: VLLMEngine, way):
    """Run a vLLM way on an empty prefix cache, so no way reuses another's prefill; also return
    how many cores the engine kept busy (CPU time of this process and its workers / wall time)."""
    import psutil

    assert engine.llm.reset_prefix_cache(), "vLLM did not empty its prefix cache"
    tree = [psutil.Process(), *psutil.Process().children(recursive=True)]

    def cpu() -> float:
        return sum(t.user + t.system for t in (p.cpu_times() for p in tree))

    before, started = cpu(), time.perf_counter()
    tokens, seconds = way()
    return tokens, seconds, (cpu() - before) / (time.perf_counter() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=256, help="passages (>= 64); a book has hundreds, all in flight at once")
    parser.add_argument("--naive", type=int, default=0, help="prompts for the one-at-a-time loop, spread over the passages, for a quicker estimate (0: all, the same work as the other ways; ~1 s each)")
    parser.add_argument("--decode-tokens", type=int, default=128, help="reply length of the decode-bound reference (0: skip it)")
    parser.add_argument("--naive-dtype", default=None, help="[the stage's: bfloat16 where the CPU has it, else float32] auto: the checkpoint's bf16, transformers' default")
    parser.add_argument("--book", type=Path, default=SHERLOCK, help="a book with at least --passages passages [../shared/corpora Sherlock Holmes]")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    if not args.book.exists():
        sys.exit(f"no book at {args.book}: pass --book with a PDF or text of at least {args.passages} passages")
    model = resolve(args.model)
    args.naive_dtype = args.naive_dtype or dtype_name(compute_dtype())  # both sides in the faster dtype for this CPU
    # Greedy: every way then generates (nearly) the same tokens. With sampling, run-to-run length
    # differences swamp the comparison, since prefill is most of the time on a CPU.
    sampling = Sampling(temperature=0.0, max_tokens=96)
    passages, job, conversations = workload(args.book, args.passages, sampling)

    rows = {}
    # The naive loop first: a live vLLM engine keeps its threads bound to the cores.
    sample = spread(conversations, args.naive or len(conversations))
    tokens, seconds = naive(model, sample, sampling, args.naive_dtype)
    rows["naive transformers loop"] = tokens, seconds, None
    forced = Sampling(temperature=0.0, max_tokens=args.decode_tokens)
    if args.decode_tokens:
        reference = {"naive, forced length": (*naive(model, sample[:4], forced, args.naive_dtype, forced=True), None)}
    engine = VLLMEngine(model)
    cold(engine, lambda: raw_vllm(engine, conversations, sampling))  # warm-up, not counted: the first batch runs slower
    rows["raw vLLM chat"] = cold(engine, lambda: raw_vllm(engine, conversations, sampling))
    rows["this project's stage"] = cold(engine, lambda: stage(engine, passages, job))
    rows["raw vLLM chat (again)"] = cold(engine, lambda: raw_vllm(engine, conversations, sampling))  # shows run-to-run noise
    # The same prompts with one token each: the prefill every vLLM way pays before it generates.
    _, prefill, _ = cold(engine, lambda: raw_vllm(engine, conversations, Sampling(temperature=0.0, max_tokens=1)))
    if args.decode_tokens:
        reference["raw vLLM, forced length"] = cold(engine, lambda: raw_vllm(engine, conversations[:64], forced, forced=True))

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    prompt_tokens = sum(len(tokenizer.apply_chat_template(c, add_generation_prompt=True)["input_ids"]) for c in conversations)
    generated = rows["raw vLLM chat"][0]
    print(f"\n{args.passages} passages of {args.book.name}, max_tokens {sampling.max_tokens}, model {Path(model).name} "
          f"in {dtype_name(compute_dtype())} (naive loop: {args.naive_dtype}), "
          f"{prompt_tokens / len(conversations):.0f} prompt tokens and {generated / len(conversations):.0f} generated tokens per request (mean), "
          f"VLLM_CPU_OMP_THREADS_BIND={os.environ.get('VLLM_CPU_OMP_THREADS_BIND', '(GPU)')}")
    print(f"{'way':<26}{'prompts':>8}{'tokens':>8}{'seconds':>9}{'tok/s':>9}{'prompts/s':>10}{'cores':>7}")
    speed = {}
    for name, (tokens, seconds, cores) in rows.items():
        speed[name] = tokens / seconds
        n = len(sample) if name.startswith("naive") else len(conversations)
        print(f"{name:<26}{n:>8}{tokens:>8}{seconds:>9.1f}{speed[name]:>9.1f}{n / seconds:>10.2f}{cores or float('nan'):>7.2f}")
    ours, slow = speed["this project's stage"], speed["naive transformers loop"]
    raw = max(speed["raw vLLM chat"], speed["raw vLLM chat (again)"])
    print(f"\nstage / raw vLLM (the faster raw run): {ours / raw:.2f}")
    print(f"stage / naive:    {ours / slow:.1f}x")
    # Even if decoding cost nothing, no vLLM way could beat generated tokens / prefill time.
    print(f"prefill alone takes {prefill:.1f} s ({prompt_tokens / prefill:.0f} prompt tok/s), so no vLLM way on these prompts can exceed "
          f"{generated / prefill:.0f} tok/s = {generated / prefill / slow:.1f}x naive")
    if args.decode_tokens:
        (a, a_s, _), (b, b_s, cores) = reference.values()
        print(f"\ndecode-bound reference, every reply {args.decode_tokens} tokens: naive {a / a_s:.1f} tok/s (4 prompts), "
              f"raw vLLM {b / b_s:.1f} tok/s (64 prompts, {cores:.2f} cores) = {b / b_s / (a / a_s):.1f}x naive")


if __name__ == "__main__":
    main()
