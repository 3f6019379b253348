"""Worker pools whose threads each run their signatures on one core.

Splitting one batch across threads (pysiglib's ``n_jobs``, torch's intra-op pool) leaves
cores idle whenever other work shares them: the split is static, so the slowest thread
sets the pace. Giving each worker a whole batch on one thread balances the load instead.
The backends read their thread count from ``torch.get_num_threads()``, which is why the
workers set it to 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import torch


@contextmanager
def single_threaded_workers(workers: int | None = None) -> Iterator[ThreadPoolExecutor]:
    """A pool of ``workers`` threads (default: torch's thread count), one core each."""
    threads = torch.get_num_threads()
    try:
        with ThreadPoolExecutor(
            workers or threads, initializer=torch.set_num_threads, initargs=(1,)
        ) as pool:
            yield pool
    finally:
        torch.set_num_threads(threads)  # a worker's setting is also the default for new threads
