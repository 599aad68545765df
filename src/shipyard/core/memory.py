"""Big, reused buffers taken straight from the operating system."""

from __future__ import annotations

import contextlib
import mmap

__all__ = ["fresh_buffer"]

_PRIVATE = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)


def fresh_buffer(size: int, *, huge_pages: bool = False) -> mmap.mmap:
    """``size`` bytes of zeroed memory that go back to the OS when closed.

    A private mapping, not ``mmap``'s default shared one, which the kernel
    backs with shared memory, slower to fault in. ``huge_pages`` asks for
    2 MiB pages (where the kernel offers them on request), for the few
    long-lived buffers written with ``O_DIRECT``: each write pins every page
    of its buffer, 4 huge pages per 8 MiB instead of 2,048 small ones. Not
    for buffers made often or in numbers: fresh huge pages cost more to
    fault in (docs/objects.md, "Writing").
    """
    if not _PRIVATE:  # not a POSIX system
        return mmap.mmap(-1, size)
    buffer = mmap.mmap(-1, size, flags=_PRIVATE)
    advice = getattr(mmap, "MADV_HUGEPAGE", None)
    if huge_pages and advice is not None:
        with contextlib.suppress(OSError):  # a kernel without transparent huge pages
            buffer.madvise(advice)
    return buffer
