"""The web process's end of a worker's pipe: messages read and written without blocking.

The worker keeps a plain :class:`multiprocessing.connection.Connection`; this end
speaks the same framing (a 4-byte big-endian length, or -1 and an 8-byte length)
on a descriptor it makes non-blocking itself. A blocking ``recv_bytes`` in the
event loop's reader callback held the whole server while a worker was still writing
a 256 KiB chunk, and failed outright (``BlockingIOError``, reported as a lost
worker) whenever the descriptor had been made non-blocking: seen in the test suite,
where something else in the process set that mode on the descriptor after the pool
had started (what, strace could not pin down). Here the mode is ours and assumed.
"""

from __future__ import annotations

import asyncio
import os
import struct
from multiprocessing.connection import Connection

#: Most bytes read from the pipe in one call.
READ_SIZE = 1 << 20
_SHORT = struct.Struct("!i")
_LONG = struct.Struct("!Q")


def frame(message: bytes) -> bytes:
    """``message`` with the length header :class:`Connection` expects."""
    if len(message) > 0x7FFFFFFF:
        return _SHORT.pack(-1) + _LONG.pack(len(message)) + message
    return _SHORT.pack(len(message)) + message


class PipeEnd:
    """Buffered, non-blocking messages over one end of a :class:`Connection`."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.fd = conn.fileno()
        os.set_blocking(self.fd, False)
        self.ended = False
        self._buffer = bytearray()

    def fill(self) -> None:
        """Read whatever the pipe holds now; note the end of file (the worker is gone)."""
        while not self.ended:
            try:
                data = os.read(self.fd, READ_SIZE)
            except BlockingIOError:
                return
            except OSError:
                self.ended = True
                return
            if not data:
                self.ended = True
                return
            self._buffer += data
            if len(data) < READ_SIZE:
                return

    def take(self) -> bytes | None:
        """The next whole message read so far, or None."""
        found = self._next()
        if found is None:
            return None
        start, end = found
        message = bytes(self._buffer[start:end])
        del self._buffer[:end]
        return message

    def holds_message(self) -> bool:
        """Whether a whole message has been read and not yet taken."""
        return self._next() is not None

    def _next(self) -> tuple[int, int] | None:
        """Where the next whole message lies in the buffer, or None."""
        buffer = self._buffer
        if len(buffer) < _SHORT.size:
            return None
        (size,) = _SHORT.unpack_from(buffer)
        start = _SHORT.size
        if size == -1:
            if len(buffer) < _SHORT.size + _LONG.size:
                return None
            (size,) = _LONG.unpack_from(buffer, _SHORT.size)
            start += _LONG.size
        if len(buffer) < start + size:
            return None
        return start, start + size

    def send_now(self, message: bytes) -> memoryview:
        """Write as much of one message as the pipe takes now; what is left to write."""
        view = memoryview(frame(message))
        try:
            return view[os.write(self.fd, view) :]
        except BlockingIOError:
            return view

    async def send(self, message: bytes) -> None:
        """Write one message, waiting (not blocking) while the pipe is full."""
        await self.finish(self.send_now(message))

    async def finish(self, view: memoryview) -> None:
        """Write the rest of a message (:meth:`send_now`), waiting while the pipe is full."""
        loop = asyncio.get_running_loop()
        while view:
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                writable = loop.create_future()
                loop.add_writer(self.fd, _settle, writable)
                try:
                    await writable
                finally:
                    loop.remove_writer(self.fd)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
