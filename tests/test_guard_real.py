"""A real `synth run` (vLLM engine started and generating) killed with kill -9, or stopped with
Ctrl-C, leaves no process of the run behind."""

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


def started_run(tmp_path):
    """A `synth run` that has written its first record, and every process under it then."""
    out = tmp_path / "interview.jsonl"
    log = open(tmp_path / "run.log", "w")
    run = subprocess.Popen([sys.executable, "-m", "synth", "run", str(SAMPLE_BOOK), "--out", str(out), "--retries", "0", "--no-specificity"],
                           cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline and run.poll() is None and not (out.exists() and out.read_text().count("\n") >= 1):
        time.sleep(0.5)
    if run.poll() is not None:
        pytest.fail(f"synth run ended before it could be stopped: {(tmp_path / 'run.log').read_text()[-2000:]}")
    tree = psutil.Process(run.pid).children(recursive=True)
    rss = sum(p.memory_info().rss for p in tree) / 2**30
    print(f"\n{len(tree)} processes under synth run ({rss:.1f} GiB): {[name(p) for p in tree]}")
    assert len(tree) >= 3  # worker, watchdog and vLLM's EngineCore at least (unguarded: EngineCore and more)
    return run, tree, out


def name(process) -> str:
    try:
        return " ".join(process.cmdline()[:3])
    except psutil.Error:
        return str(process.pid)


def survivors(tree) -> list[str]:
    names = {p.pid: name(p) for p in tree}  # taken while they run
    left = [p.pid for p in tree if not gone(p.pid, within=30)]
    for pid in left:  # clean up before failing
        os.kill(pid, signal.SIGKILL)
    return [names[pid] for pid in left]


def test_kill_9_of_synth_run_leaves_no_engine_process(tmp_path, embedded_model):
    run, tree, _ = started_run(tmp_path)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(10)
    assert not survivors(tree)


def test_ctrl_c_of_synth_run_saves_says_so_and_leaves_no_process(tmp_path, embedded_model):
    run, tree, out = started_run(tmp_path)
    os.kill(run.pid, signal.SIGINT)
    assert run.wait(120) == 1
    assert "Error: interrupted: what was generated so far is saved" in (tmp_path / "run.log").read_text()
    assert not survivors(tree) and out.read_text().count("\n") >= 1
