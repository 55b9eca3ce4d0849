"""Deflating in batches, and inflating on a second thread, give the bytes, sizes and errors of one plain pass."""

from __future__ import annotations

import io
import os
import threading
import zlib

import pytest

from xlcrm.xlsx.streams import BATCH_BYTES, ReadAhead, deflate_into


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


def test_read_ahead_gives_the_same_bytes() -> None:
    data = os.urandom(5_000_000)
    with ReadAhead(io.BytesIO(data), 1 << 20) as ahead:
        read = []
        while chunk := ahead.read(1 << 20):
            read.append(chunk)
        assert ahead.read(1 << 20) == b""
    assert b"".join(read) == data


class Damaged(io.BytesIO):
    def read(self, size: int = -1) -> bytes:
        if self.tell() >= 2 << 20:
            raise zlib.error("Error -3 while decompressing data: invalid distance too far back")
        return super().read(size)


def test_read_ahead_raises_a_read_error_where_the_read_is_asked_for() -> None:
    with ReadAhead(Damaged(os.urandom(5_000_000)), 1 << 20) as ahead:
        assert len(ahead.read(1 << 20)) == 1 << 20
        assert len(ahead.read(1 << 20)) == 1 << 20
        with pytest.raises(zlib.error, match="invalid distance"):
            ahead.read(1 << 20)


def test_read_ahead_stops_when_the_reader_leaves_early() -> None:
    before = threading.active_count()
    with ReadAhead(io.BytesIO(os.urandom(50_000_000)), 1 << 20) as ahead:
        ahead.read(1 << 20)
    assert threading.active_count() == before


def test_read_ahead_serves_one_chunk_size() -> None:
    with ReadAhead(io.BytesIO(b"abc"), 1 << 20) as ahead:
        with pytest.raises(ValueError):
            ahead.read(10)
