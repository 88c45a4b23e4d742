"""The access log's handler: one write per batch, whatever the stream's own buffering."""

from __future__ import annotations

import logging
import select
import time

from wise_kg.api.middleware.observability import BATCH_CHARS, BatchedStreamHandler


class _Unbuffered:
    """A stream that, like standard output under ``PYTHONUNBUFFERED=1``, writes every call."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> None:
        self.writes.append(text)

    def flush(self) -> None:
        pass


def _logger(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(f"test-access-{id(handler)}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_lines_are_written_out_in_one_write_per_interval_on_an_unbuffered_stream() -> None:
    stream = _Unbuffered()
    handler = BatchedStreamHandler(stream, interval=0.1)
    log = _logger(handler)
    try:
        for i in range(100):
            log.info("request %d", i)
        assert stream.writes == []  # nothing written per request
        deadline = time.monotonic() + 5
        while not stream.writes and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(stream.writes) == 1
        assert stream.writes[0].splitlines() == [f"request {i}" for i in range(100)]
    finally:
        handler.close()


def test_a_full_batch_is_written_at_once_and_the_rest_on_close() -> None:
    stream = _Unbuffered()
    handler = BatchedStreamHandler(stream, interval=60)
    log = _logger(handler)
    line = "x" * 99
    full = BATCH_CHARS // 100 + 1  # the line that fills the batch
    for _ in range(full + 9):
        log.info(line)
    assert "".join(stream.writes).count("\n") == full  # written before the interval
    handler.close()
    assert "".join(stream.writes).count("\n") == full + 9


def test_every_write_is_whole_lines_a_pipe_writes_at_once() -> None:
    """Server processes share one standard output: a write of at most PIPE_BUF bytes is
    never interleaved with another process's, so no line is cut by a batch."""
    stream = _Unbuffered()
    handler = BatchedStreamHandler(stream, interval=60)
    log = _logger(handler)
    lines = [f"{i:05d} " + "é" * (i % 300) for i in range(3_000)]  # up to 600 bytes each
    lines.insert(1_000, "L" * (2 * select.PIPE_BUF))  # longer than PIPE_BUF: alone
    for line in lines:
        log.info(line)
    handler.close()
    assert "".join(stream.writes).splitlines() == lines
    for text in stream.writes:
        assert text.endswith("\n")
        assert len(text.encode()) <= select.PIPE_BUF or text.count("\n") == 1
    assert len(stream.writes) < len(lines) / 5  # still batched
