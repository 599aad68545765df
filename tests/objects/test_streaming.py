"""Large objects stream through with bounded memory, in both directions."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_SCRIPT = textwrap.dedent(
    """
    import json, random, sys
    from pathlib import Path
    from shipyard.objects import open_store

    SIZE = int(sys.argv[2])

    class Generated:
        '''SIZE bytes of pseudo-random data, made as they are read (never all in memory).'''
        def __init__(self):
            self.left = SIZE
            self.rnd = random.Random(0)
        def read(self, n=-1):
            n = self.left if n is None or n < 0 else min(n, self.left, 1 << 20)
            self.left -= n
            return self.rnd.randbytes(n)

    store = open_store(sys.argv[1])
    def peak_kib():
        # VmHWM restarts at exec; ru_maxrss would include the parent's size at fork.
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    ref = store.put_stream(Generated())
    after_put = peak_kib()
    out = Path(sys.argv[1]) / "restored.bin"
    store.get_file(ref.digest, out)
    after_get = peak_kib()
    print(json.dumps({"size": ref.size, "restored": out.stat().st_size,
                      "put_kib": after_put, "get_kib": after_get}))
    """
)


@pytest.mark.slow
def test_putting_and_getting_a_large_stream_keeps_memory_bounded(tmp_path: Path) -> None:
    size = 640 * 1024 * 1024
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path / "store"), str(size)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout)
    assert result["size"] == size
    assert result["restored"] == size
    assert result["put_kib"] < 256 * 1024, result
    assert result["get_kib"] < 256 * 1024, result
