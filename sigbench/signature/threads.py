"""Worker pools whose threads each run their signatures on one core.

Splitting one batch across threads (pysiglib's ``n_jobs``, torch's intra-op pool) leaves
cores idle whenever other work shares them: the split is static, so the slowest thread
sets the pace. Giving each worker a whole batch on one thread balances the load instead.
The backends read their thread count from ``torch.get_num_threads()``, which is why the
workers set it to 1.

Kernels that need no torch (lanes') share one lasting pool instead (``kernel_workers``):
starting threads for every call cost more than signing a small batch.
"""

from __future__ import annotations

import os
import threading
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


_kernel_pools: dict[int, ThreadPoolExecutor] = {}
_kernel_pools_lock = threading.Lock()
# A forked child has none of the parent's threads: its pools would wait forever.
os.register_at_fork(after_in_child=_kernel_pools.clear)


def kernel_workers(workers: int) -> ThreadPoolExecutor:
    """A pool of ``workers`` threads kept for the life of the process, for kernels that
    release the GIL and read no torch settings. Its tasks must not wait on the pool."""
    with _kernel_pools_lock:
        pool = _kernel_pools.get(workers)
        if pool is None:
            pool = ThreadPoolExecutor(workers, thread_name_prefix="sigbench-kernel")
            _kernel_pools[workers] = pool
        return pool
