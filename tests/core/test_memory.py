"""Fresh buffers: zeroed, writable, private to this process, huge pages on request."""

from __future__ import annotations

import ctypes
import mmap
import sys
from pathlib import Path

import pytest

from shipyard.core.memory import fresh_buffer

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _mapping_of(buffer: mmap.mmap) -> list[str]:
    """The lines /proc/self/smaps shows for the mapping holding ``buffer``."""
    anchor = ctypes.c_char.from_buffer(buffer)
    address = ctypes.addressof(anchor)
    del anchor  # the buffer can be closed again
    block: list[str] = []
    found = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and ":" not in head:  # a new mapping starts
            if found:
                return block
            start, end = (int(part, 16) for part in head.split("-"))
            found = start <= address < end
            block = []
        block.append(line)
    if found:
        return block
    pytest.fail("the buffer is not among this process's mappings")


def _field(mapping: list[str], name: str) -> str:
    return next(line.split()[1] for line in mapping if line.startswith(f"{name}:"))


def _huge_pages_mode() -> str:
    try:
        text = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return "never"
    return text.split("[")[1].split("]")[0]


def test_a_fresh_buffer_is_zeroed_and_writable() -> None:
    buffer = fresh_buffer(3 * 4096)
    assert len(buffer) == 3 * 4096
    assert buffer[:] == bytes(3 * 4096)
    buffer[100:104] = b"abcd"
    assert buffer[98:106] == b"\0\0abcd\0\0"
    buffer.close()


@linux_only
def test_a_fresh_buffer_is_private_memory_not_shared() -> None:
    buffer = fresh_buffer(1024 * 1024)
    perms = _mapping_of(buffer)[0].split()[1]
    assert perms[3] == "p"  # mmap's default (shared) mapping shows "s"
    buffer.close()


@linux_only
@pytest.mark.skipif(_huge_pages_mode() != "madvise", reason="huge pages are not on request here")
def test_huge_pages_are_asked_for_only_when_wanted() -> None:
    plain = fresh_buffer(8 * 1024 * 1024)
    huge = fresh_buffer(8 * 1024 * 1024, huge_pages=True)
    assert _field(_mapping_of(plain), "THPeligible") == "0"
    assert _field(_mapping_of(huge), "THPeligible") == "1"
    plain.close()
    huge.close()
