"""Big parts of a workbook deflated as a zip entry holds them, a batch at a time."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

# Chunks are gathered to about this size before they are deflated: a call for each small piece (a report row, say)
# costs more than it saves.
BATCH_BYTES = 1 << 20


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
