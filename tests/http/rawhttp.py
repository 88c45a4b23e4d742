"""HTTP/1.1 over a raw socket: requests exactly as written (duplicate headers, odd Hosts),
which client libraries would tidy, and the responses as the server sent them."""

from __future__ import annotations

import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class RawResponse:
    """One response: status, header fields in order (names lowercased), body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of a header, or None."""
        return next((v for n, v in self.headers if n == name.lower()), None)


def exchange(url: str, head: str, timeout: float = 10.0) -> RawResponse:
    """Send ``head`` (request line and headers, ``\\n``-separated, no blank line) with
    ``Connection: close``, and read the one response."""
    host, port = url.removeprefix("http://").split(":")
    lines = [*head.strip().splitlines(), "Connection: close", "", ""]
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall("\r\n".join(lines).encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return parse(b"".join(chunks))


def parse(answer: bytes) -> RawResponse:
    """A response's status line, headers and (de-chunked) body."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = [(n.strip().lower(), v.strip()) for n, _, v in (f.partition(":") for f in fields)]
    if ("transfer-encoding", "chunked") in headers:
        body = _dechunked(body)
    return RawResponse(int(status_line.split()[1]), headers, body)


def _dechunked(body: bytes) -> bytes:
    out = []
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(body[:size])
        body = body[size + 2 :]
    return b"".join(out)
