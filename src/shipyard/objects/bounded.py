"""Running transfer jobs on a thread pool, results in job order, memory bounded.

Copies and HTTP transfers both read or send many batches in parallel; at most
``window`` jobs are in flight, so a slow consumer never makes the pool read
the whole store ahead of it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["bounded_results"]

J = TypeVar("J")
R = TypeVar("R")


def bounded_results(
    jobs: Iterable[J], run: Callable[[J], R], workers: int, *, window: int, name: str
) -> Iterator[R]:
    """Results of ``run(job)`` in job order, with at most ``window`` jobs in flight."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name) as pool:
        pending: deque[Future[R]] = deque()
        queue = iter(jobs)
        try:
            for job in queue:
                pending.append(pool.submit(run, job))
                if len(pending) >= window:
                    break
            while pending:
                result = pending.popleft().result()
                following = next(queue, None)
                if following is not None:
                    pending.append(pool.submit(run, following))
                yield result
        finally:
            for future in pending:
                future.cancel()
