"""Both models' answers to the held-out questions: vLLM, greedy, one process per model.

Each model generates in its own process (`python -m train.eval.answers MODEL IN OUT`), so the first
engine's worker processes and KV cache are surely gone before the second starts (an offline vLLM
engine has no documented shutdown; a second one in the same process was not tried). The parent
shows the child's progress lines, writes all of the child's output (vLLM's, torch's) to a log file
in the run folder (and to the terminal with --verbose) and keeps its tail for an error message.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable, Sequence

from voicetune import files
from voicetune.engine import ANSWER_FREQUENCY_PENALTY as FREQUENCY_PENALTY  # noqa: F401 (train's name for it)
from voicetune.engine import Generation, Sampling
from voicetune.engine import answer_sampling as sampling  # noqa: F401 (train eval's; synth pairs uses it too)

PROGRESS = re.compile(r"^answers:")  # the child's own progress line; vLLM's warnings stay in the tail


class GenerationFailed(RuntimeError):
    pass


def conversations(questions: Sequence[str], system: str | None) -> list[list[dict]]:
    from voicetune.chat import prompt

    return [prompt(q, system) for q in questions]


def generate(
    model: str, convs: list[list[dict]], sampling: Sampling, *, log=print, progress: Callable[[str], None] | None = None,
    log_file: Path | None = None, verbose: bool = False,
) -> list[Generation]:
    """All answers of one model, from a fresh process that runs one vLLM engine; the child's whole
    output appended to `log_file`, and shown with `verbose`."""
    with tempfile.TemporaryDirectory(prefix="voicetune-eval-") as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        inp.write_text(json.dumps({"conversations": convs, "sampling": asdict(sampling)}))
        log(f"Generating {len(convs)} answers with {model} (greedy, frequency penalty {sampling.frequency_penalty}, at most {sampling.max_tokens} tokens each) ...")
        start = time.perf_counter()
        env = {**os.environ, "VLLM_LOGGING_LEVEL": "INFO"}  # all of it to the log file; the terminal shows progress
        process = subprocess.Popen([sys.executable, "-m", "train.eval.answers", model, str(inp), str(out)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", env=env)
        tail = _show_progress(process.stdout, progress or _to_stderr, log_file, verbose)
        code, kept = process.wait(), tail()  # every line shown and logged before going on
        if code != 0 or not out.exists():
            raise GenerationFailed(f"generation with {model} failed (exit {code}):\n{kept[-3000:]}")
        log(f"  {len(convs)} answers in {time.perf_counter() - start:.0f} s")
        return [Generation(**g) for g in json.loads(out.read_text())]


def _show_progress(stream, show, log_file: Path | None = None, verbose: bool = False) -> Callable[[], str]:
    """Read the child's output as it comes: progress lines go to `show`, every line to `log_file`, the
    rest is kept for an error message (and shown too if `verbose`). Returns a function that gives
    the kept text once the stream is done."""
    kept: list[str] = []

    def pump():
        with files.open_append(log_file) if log_file else open(os.devnull, "w") as logged:  # never through a link
            for line in iter(stream.readline, ""):
                logged.write(line)
                logged.flush()
                if PROGRESS.match(line) or verbose:
                    show(line.rstrip("\n"))
                if not PROGRESS.match(line):
                    kept.append(line)
                    del kept[:-200]

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()

    def tail() -> str:
        reader.join()
        return "".join(kept)

    return tail


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _generate_here(model: str, inp: Path, out: Path) -> None:
    from voicetune.engine import VLLMEngine

    request = json.loads(inp.read_text())
    engine = VLLMEngine(model, max_model_len=4096)
    convs = request["conversations"]
    results, last = {}, 0.0
    try:
        for index, generation in engine.stream(convs, Sampling(**request["sampling"])):
            results[index] = generation
            if len(results) == len(convs) or time.monotonic() - last > 5:  # at most a line per 5 s: readable in a log
                last = time.monotonic()
                print(f"answers: {len(results)}/{len(convs)}", file=sys.stderr, flush=True)
    finally:
        engine.close()  # now, not at exit, where vLLM reports its engine process as "exited unexpectedly"
    out.write_text(json.dumps([asdict(results[i]) for i in range(len(convs))]))


if __name__ == "__main__":  # one model's generations: python -m train.eval.answers MODEL IN.json OUT.json
    _generate_here(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
