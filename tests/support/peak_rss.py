"""Run a command and measure its own peak RSS.

``os.wait4`` on a child started by ``subprocess`` from the test process does not give
the child's own peak: Linux carries the parent's RSS high-water mark through fork/vfork
and exec into the child's ``ru_maxrss``, so a pytest process that once held 600 MiB
makes every later child "peak" at 600 MiB. The command is therefore started by a tiny
Python launcher (~10 MiB) that forks, execs it and reports its ``wait4`` figure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


def run_peak(
    cmd: list[str],
    *,
    env: dict[str, str] | None = None,
    stdout: int | IO | None = subprocess.DEVNULL,
    stderr: int | IO | None = None,
    timeout: float | None = None,
) -> tuple[int, int]:
    """Run ``cmd``; return (exit code, its own peak RSS in KiB)."""
    fd, report = tempfile.mkstemp(prefix="peak-rss-")
    os.close(fd)
    try:
        # a session of its own: on a timeout the command goes too, not just the launcher
        proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, report, *cmd],
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        text = Path(report).read_text()
        return rc, int(text) if text else 0
    finally:
        os.unlink(report)
