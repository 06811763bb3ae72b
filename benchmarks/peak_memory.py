"""Peak memory growth of a block of code, shared by the benchmark scripts."""

import tracemalloc


def _status(key):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(key)


class PeakMemory:
    """Peak memory growth of this process inside a ``with`` block, in bytes.

    Linux: the peak resident set size (VmHWM), reset on entry through
    ``/proc/self/clear_refs``; elsewhere tracemalloc's peak (Python
    allocations only). ``method`` says which.
    """

    def __enter__(self):
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # reset the peak resident set size (VmHWM)
            self.start = _status("VmRSS")
            self.method = "peak RSS growth"
        except OSError:
            tracemalloc.start()
            self.method = "tracemalloc peak"
        return self

    def __exit__(self, *exc):
        if self.method == "peak RSS growth":
            # RSS can fall below its value at entry; growth is never negative.
            self.peak = max(_status("VmHWM") - self.start, 0)
        else:
            self.peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
