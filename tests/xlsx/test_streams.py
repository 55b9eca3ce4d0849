"""Deflating in batches gives the bytes, sizes and errors of one plain pass."""

from __future__ import annotations

import io
import os
import zlib

import pytest

from xlcrm.xlsx.streams import BATCH_BYTES, deflate_into


def sheet_like_chunks() -> list[bytes]:
    """Many small pieces and a few large ones, some repetitive and some not, as sheet rows are."""
    rows = [f'<row r="{n}"><c r="A{n}"><v>{n * 7919 % 10007}</v></c></row>'.encode() for n in range(1, 60_000)]
    return rows + [os.urandom(3 * BATCH_BYTES), b"", b"</sheetData>"]


def test_deflate_matches_one_thread() -> None:
    chunks = sheet_like_chunks()
    out = io.BytesIO()
    done = deflate_into(iter(chunks), out, level=3)
    data = b"".join(chunks)
    compressor = zlib.compressobj(3, zlib.DEFLATED, -zlib.MAX_WBITS)
    assert out.getvalue() == compressor.compress(data) + compressor.flush()
    assert (done.crc, done.size, done.compressed_size) == (zlib.crc32(data), len(data), len(out.getvalue()))
    assert zlib.decompress(out.getvalue(), -zlib.MAX_WBITS) == data


def test_deflate_of_nothing_is_a_valid_empty_stream() -> None:
    out = io.BytesIO()
    done = deflate_into(iter(()), out, level=3)
    assert zlib.decompress(out.getvalue(), -zlib.MAX_WBITS) == b""
    assert (done.crc, done.size) == (0, 0)


class FullDisk(io.BytesIO):
    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell() > 100_000:
            raise OSError(28, "No space left on device")
        return super().write(data)


def test_a_write_error_reaches_the_caller() -> None:
    with pytest.raises(OSError, match="No space left"):
        deflate_into(iter(sheet_like_chunks()), FullDisk(), level=3)


def test_an_error_making_the_chunks_reaches_the_caller() -> None:
    def chunks():
        yield os.urandom(2 * BATCH_BYTES)
        raise ValueError("a cell that cannot be written")

    with pytest.raises(ValueError, match="cannot be written"):
        deflate_into(chunks(), io.BytesIO(), level=3)
