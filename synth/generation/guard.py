"""No process of a run outlives it, even when the run is killed with `kill -9`.

vLLM starts an EngineCore process and workers (several GB) that nothing stops if the process
that owns them dies without running its clean-up. So `synth run` (and `synth pairs`) with a local engine runs as
three processes:

    supervisor (what the user started) ── worker (the real `synth run`, its own process group;
         │                                         vLLM's processes join that group)
         └── watchdog (its own group): waits on a pipe only the supervisor holds open

When the supervisor dies in any way, the pipe closes and the watchdog kills the worker's whole
group. When the worker ends on its own, the supervisor kills whatever is left of the group and
tells the watchdog to go. Ctrl-C and SIGTERM reach the supervisor and are passed to the worker,
which saves what it has and says so, as an unguarded run does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Sequence

GUARDED = "VOICETUNE_GUARDED"  # set in the worker: it runs the command itself

WATCHDOG = """
import os, signal, sys
fd, group = int(sys.argv[1]), int(sys.argv[2])
signal.signal(signal.SIGINT, signal.SIG_IGN)
word = os.read(fd, 1)   # b"" when the supervisor is gone, however it went
if word != b"x":
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass
"""


def needed(argv: Sequence[str]) -> bool:
    """`synth run` or `synth pairs` with a local engine, on a POSIX system, not already inside a guard."""
    args = list(argv)
    return (os.name == "posix" and not os.environ.get(GUARDED) and args[:1] in (["run"], ["pairs"])
            and not any(a in ("--dry-run", "--help") or a.startswith("--endpoint") for a in args))


def kill_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run(argv: Sequence[str]) -> int:
    """Run `python -m synth ARGV` as a guarded worker; its exit status."""
    return supervise([sys.executable, "-m", "synth", *argv])


def supervise(command: Sequence[str]) -> int:
    """Run `command` as the worker, its process group guarded as the module docstring says."""
    worker = subprocess.Popen(list(command), env={**os.environ, GUARDED: "1"}, start_new_session=True)
    read, write = os.pipe()
    watchdog = subprocess.Popen([sys.executable, "-S", "-c", WATCHDOG, str(read), str(worker.pid)], pass_fds=(read,), start_new_session=True)
    os.close(read)

    def forward(signum, frame):
        try:
            worker.send_signal(signum)
        except ProcessLookupError:
            pass

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                code = worker.wait()
                break
            except KeyboardInterrupt:  # a second Ctrl-C while the worker saves: keep waiting
                continue
    finally:
        kill_group(worker.pid)  # the engine's processes, if the worker left any behind
        os.write(write, b"x")
        os.close(write)
        watchdog.wait()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return code if code >= 0 else 128 - code
