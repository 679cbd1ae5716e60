"""What a run with a local engine prints: the tool's own lines on the terminal, the engine's output
(vLLM, torch, triton, from C++, child processes and warnings) in a log file next to the output."""

import logging
import os
import re
import subprocess
import sys
import warnings

import pytest

from voicetune.engine import EngineLog
from tests.conftest import ROOT, SAMPLE_BOOK

CHILD = "import sys; print('INFO 12-04 [core.py:1] child stdout noise'); print('WARNING child stderr noise', file=sys.stderr)"


def noisy_engine() -> None:
    """What an engine does while it starts: child processes and C++ write to fds 1 and 2, a
    library warns, and one error that the user must see."""
    subprocess.run([sys.executable, "-c", CHILD], check=True)
    os.write(2, b"C++ noise straight to fd 2\n")
    print("Loading weights noise: 0%|          | 0/103", file=sys.stderr)  # a library's own progress bar
    logging.getLogger("vllm.triton_utils.importing").warning("Triton noise, logged before logging is set up")
    warnings.warn_explicit("torch.distributed.reduce_op is deprecated", FutureWarning, "/site-packages/torch/distributed/c10d.py", 1)
    subprocess.run([sys.executable, "-c", "import sys; print('(EngineCore pid=7) ERROR 12-04 [core.py:9] out of memory', file=sys.stderr)"], check=True)


def test_third_party_output_goes_to_the_log_and_the_tool_s_lines_to_the_terminal(tmp_path, capfd, monkeypatch):
    monkeypatch.setattr(logging.root, "handlers", [])  # as outside pytest: a logger without handlers writes to sys.stderr
    log = tmp_path / "interview.log"
    with EngineLog(log) as terminal:
        print("questions: 2/2")
        print("a bar on stderr", file=terminal.stderr)
        noisy_engine()
    print("Wrote 2 records")
    out, err = capfd.readouterr()
    assert "questions: 2/2" in out and "a bar on stderr" in err and "Wrote 2 records" in out
    assert not re.search("noise|reduce_op", out + err)
    assert "out of memory" in err  # an error still reaches the user
    kept = log.read_text()
    for line in ("child stdout noise", "child stderr noise", "C++ noise", "reduce_op is deprecated", "out of memory", "Loading weights", "Triton noise"):
        assert line in kept


def test_verbose_shows_the_engine_s_output_on_the_terminal_too(tmp_path, capfd):
    with EngineLog(tmp_path / "interview.log", verbose=True):
        noisy_engine()
    out, err = capfd.readouterr()
    assert "child stdout noise" in out + err and "C++ noise" in out + err
    assert "child stdout noise" in (tmp_path / "interview.log").read_text()


NOISE = [
    "LD_PRELOAD", "libtcmalloc", "Triton is installed", "reduce_op", "NUMA", "Model Runner V2",
    "engine core exited unexpectedly", "starting cleanup", "FutureWarning", "WARNING", "INFO",
]


@pytest.mark.engine
def test_synth_run_on_the_sample_book_prints_only_its_own_lines(tmp_path, embedded_model):
    out = tmp_path / "interview.jsonl"
    done = subprocess.run([sys.executable, "-m", "synth", "run", str(SAMPLE_BOOK), "--out", str(out), "--limit", "2"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    terminal = done.stdout + done.stderr
    assert done.returncode == 0, terminal[-3000:]
    assert "Wrote 2 records" in terminal
    assert [n for n in NOISE if n in terminal] == [], terminal
    lines = [line for line in re.split(r"[\r\n]", terminal) if line.strip() and not line.startswith("questions")]
    assert len(lines) <= 6, "\n".join(lines)
    log = (tmp_path / "interview.log").read_text()
    assert "vllm" in log.lower() and "INFO" in log
