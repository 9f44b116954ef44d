"""The ranges a run's settings must lie in (issue 19, point 5).

A value outside them is a usage error (exit 2), said at the command line by the
options that take them and again by the library, so no caller reaches the date
arithmetic or the process pool with it.

* D (``--as-of``): criteria count back from D by their windows (``D - windowDays``)
  and forward from records dated on or before D (a washout passes on ``date +
  windowDays + 1``), and ages are birth dates plus years. Python's dates end at
  0001-01-01 and 9999-12-31; D keeps a century from the top (more than any window or
  age limit) and starts in 1900, before which no patient screened today was born.
* ``--jobs``: every worker is a process forked when the run starts, so a number far
  beyond the cores is a typo, not a plan; 256 is well past any machine it runs on.
"""

from __future__ import annotations

import datetime as dt

from .errors import UsageError

EARLIEST_D = dt.date(1900, 1, 1)
LATEST_D = dt.date(9899, 12, 31)
MAX_JOBS = 256


def d_problem(as_of: dt.date) -> str | None:
    """Why D cannot be screened at, or None."""
    if EARLIEST_D <= as_of <= LATEST_D:
        return None
    return f"{as_of.isoformat()} is outside the dates blinakg screens at ({EARLIEST_D} to {LATEST_D})"


def check_run(as_of: dt.date, jobs: int | None = None) -> None:
    """Refuse a D or a number of worker processes outside their ranges.

    Raises:
        UsageError: naming the setting and its range.
    """
    problem = d_problem(as_of)
    if problem:
        raise UsageError(f"--as-of: {problem}")
    if jobs is not None and not 1 <= jobs <= MAX_JOBS:
        raise UsageError(f"--jobs: {jobs} is not between 1 and {MAX_JOBS} worker processes")


__all__ = ["EARLIEST_D", "LATEST_D", "MAX_JOBS", "check_run", "d_problem"]
