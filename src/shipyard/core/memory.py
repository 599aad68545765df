"""Big, reused buffers taken straight from the operating system."""

from __future__ import annotations

import mmap

__all__ = ["fresh_buffer"]

_PRIVATE = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)


def fresh_buffer(size: int) -> mmap.mmap:
    """``size`` bytes of zeroed memory that go back to the OS when closed.

    A private mapping, not ``mmap``'s default shared one, which the kernel
    backs with shared memory, slower to fault in. Not in huge pages: on the
    virtual machines measured, fresh huge pages cost the host's page faults
    and made a 1 GiB put slower (docs/objects.md, "Memory").
    """
    if not _PRIVATE:  # not a POSIX system
        return mmap.mmap(-1, size)
    return mmap.mmap(-1, size, flags=_PRIVATE)
