"""How chunk sizes were chosen: FastCDC speed and dedup for candidate sizes.

The chunker is the store's own (pyfastcdc's FastCDC 2020, through
``shipyard.objects.chunking.cut_points``).

Run: .venv/bin/python bench/objects_chunking.py [--size-mib 256]

For each (min, avg, max) it cuts a random file, then the same file with 1 MiB
overwritten in the middle and with one byte inserted in the middle, and counts
the bytes of chunks the original did not have (what a new version would add to
the store), plus the chunks per GiB (requests and records to manage).
"""

from __future__ import annotations

import argparse
import os
import time

import blake3
from _common import print_table  # type: ignore[import-not-found]

from shipyard.objects.chunking import ChunkParams, cut_points

KiB = 1024
MiB = 1024 * KiB
CANDIDATES = [
    (64 * KiB, 256 * KiB, 1 * MiB),
    (128 * KiB, 512 * KiB, 2 * MiB),
    (256 * KiB, 512 * KiB, 2 * MiB),
    (256 * KiB, 1 * MiB, 4 * MiB),
    (512 * KiB, 1 * MiB, 4 * MiB),
    (768 * KiB, 1 * MiB, 4 * MiB),
    (512 * KiB, 2 * MiB, 8 * MiB),
    (1 * MiB, 1 * MiB, 4 * MiB),
    (1 * MiB, 2 * MiB, 8 * MiB),
    (1 * MiB, 4 * MiB, 16 * MiB),
]
"""pyfastcdc takes min ≤ 1 MiB, avg ≤ 4 MiB, max ≤ 16 MiB."""


def cuts(data: bytes | bytearray, lo: int, avg: int, hi: int) -> list[tuple[int, int]]:
    params = ChunkParams(min_size=lo, avg_size=avg, max_size=hi, threshold=hi)
    return list(cut_points(memoryview(data), params))


def digests(data: bytes | bytearray, spans: list[tuple[int, int]]) -> dict[bytes, int]:
    view = memoryview(data)
    return {blake3.blake3(view[o : o + n]).digest(): n for o, n in spans}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=256)
    size = parser.parse_args().size_mib * MiB
    base = bytearray(os.urandom(size))
    middle = size // 2
    edited = bytearray(base)
    edited[middle : middle + MiB] = os.urandom(MiB)
    inserted = base[:middle] + b"x" + base[middle:]
    rows = []
    for lo, avg, hi in CANDIDATES:
        start = time.perf_counter()
        original = cuts(base, lo, avg, hi)
        speed = size / (time.perf_counter() - start) / (1024 * MiB)
        known = digests(base, original)
        overwrite = sum(
            n for d, n in digests(edited, cuts(edited, lo, avg, hi)).items() if d not in known
        )
        insert = sum(
            n for d, n in digests(inserted, cuts(inserted, lo, avg, hi)).items() if d not in known
        )
        rows.append(
            [
                f"{lo // KiB}K / {avg // KiB}K / {hi // KiB}K",
                f"{speed:.2f} GiB/s",
                f"{len(original) * (1024 * MiB) // size:,}",
                f"{overwrite / MiB:.2f} MiB",
                f"{insert / MiB:.2f} MiB",
            ]
        )
    print(f"\nFastCDC on {size // MiB} MiB of random data, {time.strftime('%Y-%m-%d')}\n")
    print_table(
        ["min / avg / max", "speed", "chunks per GiB", "+1 MiB overwrite", "+1 byte insert"],
        rows,
    )


if __name__ == "__main__":
    main()
