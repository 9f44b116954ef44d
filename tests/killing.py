"""Kill a writer at a chosen moment (issue 12, D1: atomic writes, tested by SIGKILL)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time


def kill_after(script: str, args: list[str], delay: float) -> str:
    """Run ``python -c script args``, wait for its ``ready`` line, SIGKILL it ``delay`` seconds later.

    Returns:
        What it printed after ``ready`` (its progress when it was killed).
    """
    writer = subprocess.Popen([sys.executable, "-c", script, *args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None
        line = writer.stdout.readline()
        assert line.strip() == "ready", writer.stderr.read() if writer.stderr else line
        time.sleep(delay)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
    return writer.stdout.read() if writer.stdout is not None else ""
