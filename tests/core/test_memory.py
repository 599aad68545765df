"""Fresh buffers: zeroed, writable, and private to this process."""

from __future__ import annotations

import ctypes
import sys

import pytest

from shipyard.core.memory import fresh_buffer


def test_a_fresh_buffer_is_zeroed_and_writable() -> None:
    buffer = fresh_buffer(3 * 4096)
    assert len(buffer) == 3 * 4096
    assert buffer[:] == bytes(3 * 4096)
    buffer[100:104] = b"abcd"
    assert buffer[98:106] == b"\0\0abcd\0\0"
    buffer.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_a_fresh_buffer_is_private_memory_not_shared() -> None:
    buffer = fresh_buffer(1024 * 1024)
    anchor = ctypes.c_char.from_buffer(buffer)
    address = ctypes.addressof(anchor)
    del anchor  # the mapping can be closed again
    with open("/proc/self/maps") as maps:
        for line in maps:
            span, perms = line.split()[:2]
            start, end = (int(part, 16) for part in span.split("-"))
            if start <= address < end:
                break
        else:
            pytest.fail("the buffer is not among this process's mappings")
    assert perms[3] == "p"  # mmap's default (shared) mapping shows "s"
    buffer.close()
