"""Peak memory of a piece of work: resident-set growth and Python allocations."""

from __future__ import annotations

import tracemalloc

__all__ = ["PeakMemory"]


def _status(key: str) -> int:
    """A ``kB`` field of ``/proc/self/status``, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(key)


class PeakMemory:
    """Peak memory growth of this process inside a ``with`` block, in bytes.

    Linux: the peak resident set size (VmHWM), reset on entry through
    ``/proc/self/clear_refs``, less the resident size at entry (never
    negative: memory freed meanwhile can leave the reset peak below it);
    elsewhere tracemalloc's peak (Python allocations only). ``method`` says
    which, ``peak`` holds the result after the block.

    Examples
    --------
    >>> import numpy as np
    >>> with PeakMemory() as memory:
    ...     x = np.ones(2**20)
    >>> memory.peak >= 0
    True
    """

    def __enter__(self):
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # reset the peak resident set size (VmHWM)
            self.start = _status("VmRSS")
            self.method = "peak RSS growth"
        except (OSError, ValueError):
            tracemalloc.start()
            self.method = "tracemalloc peak"
        return self

    def __exit__(self, *exc):
        if self.method == "peak RSS growth":
            self.peak = max(_status("VmHWM") - self.start, 0)
        else:
            self.peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
