"""Memory: refuse work that clearly exceeds what the machine has."""

from __future__ import annotations

import os


def available_memory() -> int | None:
    """Bytes of memory available to new allocations, or None if unknown."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(nbytes: float, what: str) -> None:
    """Raise MemoryError, before allocating, if ``nbytes`` exceeds what is free."""
    free = available_memory()
    if free is not None and nbytes > free:
        raise MemoryError(
            f"{what} needs about {nbytes / 2**30:.1f} GiB of working memory, but "
            f"only {free / 2**30:.1f} GiB is available; use a smaller grid or "
            f"another method"
        )
