"""kill -9 of a real `synth run` (vLLM engine started and generating) leaves no process of the run behind."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests.conftest import ROOT, SAMPLE_BOOK
from tests.test_guard import gone

pytestmark = pytest.mark.engine


def test_kill_9_of_synth_run_leaves_no_engine_process(tmp_path, embedded_model):
    out = tmp_path / "interview.jsonl"
    log = open(tmp_path / "run.log", "w")
    run = subprocess.Popen([sys.executable, "-m", "synth", "run", str(SAMPLE_BOOK), "--out", str(out), "--retries", "0"],
                           cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline and run.poll() is None and not (out.exists() and out.read_text().count("\n") >= 1):
        time.sleep(0.5)  # until the engine is up and has written a record
    tree = psutil.Process(run.pid).children(recursive=True) if run.poll() is None else []
    names = [" ".join(p.cmdline()[:3]) for p in tree]
    rss = sum(p.memory_info().rss for p in tree) / 2**30
    if run.poll() is not None:
        pytest.fail(f"synth run ended before it could be killed: {(tmp_path / 'run.log').read_text()[-2000:]}")
    os.kill(run.pid, signal.SIGKILL)
    run.wait(10)
    survivors = [p for p in tree if not gone(p.pid, within=30)]
    for p in survivors:
        os.kill(p.pid, signal.SIGKILL)
    print(f"\n{len(tree)} processes under synth run ({rss:.1f} GiB): {names}")
    assert len(tree) >= 3, names  # worker, watchdog, and vLLM's EngineCore at least
    assert not survivors, [" ".join(p.cmdline()[:3]) for p in survivors]
