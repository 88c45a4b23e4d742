"""The HTTP server's transport on its own: what one step of the event loop writes leaves
in one system call, and nothing is held past the step."""

from __future__ import annotations

import asyncio

from wise_kg.api.middleware.server import HELD_BYTES, OneWrite


class Recorded:
    """A transport that records what it is asked to do."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes]] = []

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.calls.append(("close", b""))

    def is_closing(self) -> bool:
        return False


def _run(steps: list[list[str]]) -> list[tuple[str, bytes]]:
    """Each step's actions on a OneWrite over a Recorded transport, a loop step apart."""

    async def act() -> list[tuple[str, bytes]]:
        recorded = Recorded()
        transport = OneWrite(recorded, asyncio.get_running_loop())  # type: ignore[arg-type]
        for step in steps:
            for action in step:
                transport.close() if action == "close" else transport.write(action.encode())
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        return recorded.calls

    return asyncio.run(act())


def test_a_head_and_body_written_in_one_step_leave_in_one_write() -> None:
    assert _run([["HTTP/1.1 200 OK\r\n\r\n", "body"]]) == [
        ("write", b"HTTP/1.1 200 OK\r\n\r\nbody")
    ]


def test_nothing_is_held_past_the_step_it_was_written_in() -> None:
    assert _run([["head"], ["chunk 1"], ["chunk 2"]]) == [
        ("write", b"head"),
        ("write", b"chunk 1"),
        ("write", b"chunk 2"),
    ]


def test_close_writes_what_is_held_first() -> None:
    assert _run([["head", "body", "close"]]) == [("write", b"headbody"), ("close", b"")]


def test_other_calls_reach_the_transport() -> None:
    async def closing() -> bool:
        return OneWrite(Recorded(), asyncio.get_running_loop()).is_closing()  # type: ignore[arg-type]

    assert asyncio.run(closing()) is False


def test_a_producer_that_never_yields_is_written_as_it_goes() -> None:
    big = "x" * HELD_BYTES
    calls = _run([["head", big, big]])
    assert [len(data) for _, data in calls] == [4 + HELD_BYTES, HELD_BYTES]
