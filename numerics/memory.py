"""The memory budget of sampling loops (one home: the CLI's ``--max-memory`` default and the Monte Carlo
batch sizes read it from here). Standard library only, so the CLI can use it without numpy.

Without ``--max-memory`` a command may use half of the memory the system reports available, at most
:data:`MAX_DEFAULT_BUDGET` (larger batches buy no speed on this workload); docs/cli.md states it.
"""

from __future__ import annotations

import os

#: share of the available memory a command may use for sampling when ``--max-memory`` is not given
DEFAULT_MEMORY_FRACTION = 0.5
#: cap of the default budget (batches beyond a few GB are no faster) and the fallback when the available
#: memory cannot be read (not Linux, no sysconf)
MAX_DEFAULT_BUDGET = 2 * 1024**3


def available_memory_bytes() -> int | None:
    """MemAvailable of /proc/meminfo (Linux), else free physical pages from sysconf, else None."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def default_max_memory_bytes() -> int:
    """The sampling budget without ``--max-memory``: DEFAULT_MEMORY_FRACTION of the available memory, at
    most MAX_DEFAULT_BUDGET."""
    avail = available_memory_bytes()
    return int(min(MAX_DEFAULT_BUDGET, DEFAULT_MEMORY_FRACTION * avail)) if avail else MAX_DEFAULT_BUDGET
