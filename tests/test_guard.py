"""kill -9 of a guarded run leaves no process of it behind (the real engine: test_guard_real.py)."""

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from synth.generation import guard
from tests.conftest import ROOT

# A worker that starts a grandchild in its own process group, as vLLM starts EngineCore, and reports both pids.
WORKER = "import subprocess, sys, time; c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); print(c.pid, flush=True); time.sleep(600)"
SUPERVISOR = f"import sys; from synth.generation import guard; sys.exit(guard.supervise([sys.executable, '-c', {WORKER!r}]))"


def gone(pid: int, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_no_process_outlives_a_killed_or_interrupted_supervisor(how):
    supervisor = subprocess.Popen([sys.executable, "-c", SUPERVISOR], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
    grandchild = int(supervisor.stdout.readline())
    tree = [p.pid for p in psutil.Process(supervisor.pid).children(recursive=True)]
    assert grandchild in tree and len(tree) >= 3  # worker, its child, the watchdog
    supervisor.send_signal(how)
    supervisor.wait(30)
    survivors = [pid for pid in tree if not gone(pid)]
    for pid in survivors:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    assert not survivors


def test_only_a_local_engine_run_is_guarded(monkeypatch):
    monkeypatch.delenv(guard.GUARDED, raising=False)
    assert guard.needed(["run", "book.pdf", "--limit", "3"]) and guard.needed(["pairs", "data/x/interview.jsonl"])
    assert not guard.needed(["pairs", "--endpoint", "http://x/v1"])
    assert not guard.needed(["run", "book.pdf", "--endpoint", "http://x/v1"]) and not guard.needed(["run", "b.pdf", "--dry-run"])
    assert not guard.needed(["stats"]) and not guard.needed(["review"])
    monkeypatch.setenv(guard.GUARDED, "1")
    assert not guard.needed(["run", "book.pdf"])  # the worker itself
