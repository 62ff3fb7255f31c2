"""How many crawl processes one host runs at once: `max_concurrent_crawls`, by default from
the host.

A crawl process runs up to `crawls_per_process` sources (crawler.scheduling.batches; about
130 MB resident for one, 180 MB for eight small ones, see docs/scaling.md); with no bound,
500 sources due at once would be 500 processes. The default takes the smaller of
CRAWLS_PER_CORE per core (a polite crawl mostly waits on the network) and what the host's
memory holds at CRAWL_MEMORY_BUDGET_MB per crawl, leaving a fifth of it to everything else.
"""

from __future__ import annotations

import os

from crawler import settings as defaults


def memory_mb() -> int:
    """The host's physical memory in MiB (0 when the platform does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    except (ValueError, OSError):
        return 0


def default_max_concurrent_crawls(cores: int | None = None, memory: int | None = None) -> int:
    """Crawls at once on this host: min(cores x CRAWLS_PER_CORE, 80% of memory / budget)."""
    cores = cores or len(os.sched_getaffinity(0)) or 1
    memory = memory_mb() if memory is None else memory
    by_cpu = cores * defaults.CRAWLS_PER_CORE
    by_memory = int(memory * 0.8) // defaults.CRAWL_MEMORY_BUDGET_MB if memory else by_cpu
    return max(1, min(by_cpu, by_memory))


def max_concurrent_crawls(configured: int | None = None) -> int:
    """The configured bound, else the setting, else the host's default."""
    value = configured or defaults.MAX_CONCURRENT_CRAWLS
    return int(value) if value else default_max_concurrent_crawls()
