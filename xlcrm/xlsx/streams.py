"""Big parts of a workbook streamed through zlib: deflated a batch at a time, inflated on a second thread.

Rewriting a million-row sheet means inflating its XML, scanning the rows and
deflating the result. zlib and file reads release Python's global lock, so on a
machine with two cores the inflating can run while the scanning (which holds
the lock) goes on. Bytes, order and errors are exactly those of doing it all in
one thread.
"""

from __future__ import annotations

import queue
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

# Chunks are gathered to about this size before they are deflated: a call for each small piece (a report row, say)
# costs more than it saves.
BATCH_BYTES = 1 << 20
# Chunks read ahead at once: enough to keep both threads busy, few enough to bound the memory.
IN_FLIGHT = 3


@dataclass(frozen=True)
class Deflated:
    """What was written: checksum and sizes, as a zip entry records them."""

    crc: int
    size: int
    compressed_size: int


def deflate_into(chunks: Iterable[bytes], out: BinaryIO, level: int) -> Deflated:
    """Raw-deflate ``chunks`` into ``out`` (as a zip entry holds it): what was written."""
    # On this thread: a worker thread deflating meanwhile made a big first refresh slower, not faster (the parts are
    # written in helper processes beside the main one, and both cores are busy already).
    compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    crc = size = compressed = 0
    for batch in _batches(chunks):
        crc = zlib.crc32(batch, crc)
        size += len(batch)
        packed = compressor.compress(batch)
        compressed += len(packed)
        out.write(packed)
    packed = compressor.flush()
    out.write(packed)
    return Deflated(crc, size, compressed + len(packed))


def _batches(chunks: Iterable[bytes]) -> Iterable[bytes]:
    pending: list[bytes] = []
    size = 0
    for chunk in chunks:
        pending.append(chunk)
        size += len(chunk)
        if size >= BATCH_BYTES:
            yield b"".join(pending)
            pending.clear()
            size = 0
    if pending:
        yield b"".join(pending)


class ReadAhead:
    """A readable stream (a zip entry) read on a worker thread a few chunks ahead of its reader.

    Only ``read(chunk_size)`` calls of one fixed size are served, which is how sheet XML is read. Use it as a
    context manager: leaving stops the worker, whatever the reader did not take.
    """

    def __init__(self, handle: BinaryIO, chunk_size: int):
        self._handle = handle
        self._chunk_size = chunk_size
        self._chunks: queue.Queue[bytes | BaseException] = queue.Queue(IN_FLIGHT)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, name="xlcrm-inflate", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = self._handle.read(self._chunk_size)
            except BaseException as exc:  # handed to the reader, who raises it where the read was asked for
                self._put(exc)
                return
            self._put(chunk)
            if not chunk:
                return

    def _put(self, item: bytes | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._chunks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def read(self, size: int) -> bytes:
        """The next chunk (``size`` must be the chunk size); b"" at the end."""
        if size != self._chunk_size:
            raise ValueError(f"ReadAhead serves reads of {self._chunk_size} bytes, not {size}")
        if self._done:
            return b""
        item = self._chunks.get()
        if isinstance(item, BaseException):
            self._done = True
            raise item
        if not item:
            self._done = True
        return item

    def close(self) -> None:
        """Nothing; stops the reading thread."""
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
