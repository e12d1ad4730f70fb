"""gzip on every core through python-isal's threaded igzip (a maintained library).

The stream is cut into 1 MiB blocks deflated on worker threads by Intel's ISA-L and
written as one ordinary gzip member, so `gzip -d`, `tar xz` and Python's tarfile read it
like any other. Level 2 was picked by measurement (bench/README.md, "Compression"): on
mixed tar data it is the fastest isal level and compresses as well as zlib-ng's level 2,
within 10 % of `gzip -6`, at a fraction of the time.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable

from isal import igzip_threaded

LEVEL = 2
BLOCK = 1 << 20


class _Sink(io.RawIOBase):
    """A writable raw stream over a callable; after `discard()` it drops everything."""

    def __init__(self, out: Callable[[bytes], object]) -> None:
        super().__init__()
        self._out: Callable[[bytes], object] | None = out

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        if self._out is not None:
            self._out(bytes(data))
        return len(data)

    def discard(self) -> None:
        self._out = None


class ParallelGzip:
    """A binary file-like sink: write plaintext, gzip bytes go to `out` in order."""

    def __init__(self, out: Callable[[bytes], object], *, level: int = LEVEL,
                 workers: int | None = None) -> None:
        self._sink = _Sink(out)
        threads = workers or max(1, min(os.cpu_count() or 1, 8))
        self._gz = igzip_threaded.open(self._sink, "wb", compresslevel=level,
                                       threads=threads, block_size=BLOCK)
        self._closed = False

    def write(self, data: bytes) -> int:
        """Take plaintext; full blocks are handed to the workers."""
        return self._gz.write(data)

    def flush(self) -> None:
        """Nothing to do: blocks go out as they are compressed."""

    def close(self) -> None:
        """Compress what is left, write the gzip trailer and stop the workers."""
        if self._closed:
            return
        self._closed = True
        self._gz.close()

    def abort(self) -> None:
        """Stop without finishing the stream (the writer failed): nothing more goes out."""
        if self._closed:
            return
        self._closed = True
        self._sink.discard()
        try:
            self._gz.close()
        except Exception:  # noqa: BLE001 - the stream is being abandoned anyway
            pass
