"""Several server processes on one port: the parent accepts, the children serve.

uvicorn's ``--workers`` lets every process accept from one shared socket, and the
process awake first takes every connection a client opens at once: measured, two
processes gave 0.98 times the throughput of one in one run, 1.72 times in the next. The
parent owns the listening socket, accepts each connection and hands it to the
children in turn over a Unix socket (``SCM_RIGHTS``), so the connections of a client
are spread evenly whatever the timing. Each child is a whole server (the app, its
query workers, its own following of new builds), given its settings directly; one
that dies is started again, and the others serve meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import selectors
import signal
import socket
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

from wise_kg.config import Settings
from wise_kg.sparql.spawn import without_main_module

LOG = logging.getLogger("wise_kg.processes")
#: Connections the kernel keeps waiting for the parent's ``accept``.
BACKLOG = 2048
#: Seconds a child has to finish its requests once asked to stop.
STOP_SECONDS = 10.0


class HandedServer(uvicorn.Server):
    """A uvicorn server that listens on nothing: it serves the connections its parent
    sends over ``channel``, and stops when the parent is gone."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket):
        super().__init__(config)
        self.channel = channel

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start the app (no listening socket), then take connections from the channel."""
        await super().startup(sockets=[])
        loop = asyncio.get_running_loop()
        self.channel.setblocking(False)
        loop.add_reader(self.channel.fileno(), self._take, loop)

    def _take(self, loop: asyncio.AbstractEventLoop) -> None:
        """Serve each connection the parent sent (each message carries one)."""
        try:
            message, fds, _flags, _address = socket.recv_fds(self.channel, 1, 64)
        except BlockingIOError:
            return
        if not message:  # the parent has gone: finish the requests at hand and stop
            loop.remove_reader(self.channel.fileno())
            self.should_exit = True
            return
        config = self.config
        for fd in fds:
            connection = socket.socket(fileno=fd)
            protocol = config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )
            loop.create_task(loop.connect_accepted_socket(lambda p=protocol: p, connection))


def _child_main(settings: Settings, channel: socket.socket) -> None:
    """One server process: the app, served over the connections the parent hands over."""
    from wise_kg.api.app import create_app
    from wise_kg.api.middleware.observability import log_requests_to_stdout
    from wise_kg.api.middleware.server import uvicorn_options

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    log_requests_to_stdout()
    config = uvicorn.Config(create_app(settings), **uvicorn_options(settings))
    HandedServer(config, channel).run()


@dataclass
class _Child:
    """A server process and the parent's end of its channel."""

    number: int
    process: BaseProcess
    channel: socket.socket
    handed: int = field(default=0)

    @classmethod
    def start(cls, context: Any, settings: Settings, number: int) -> _Child:
        parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        process = context.Process(
            target=_child_main, args=(settings, child_end), name=f"wise-kg-server-{number}"
        )
        with without_main_module():  # the child imports the app, not the whole CLI
            process.start()
        child_end.close()
        return cls(number, process, parent_end)

    def hand(self, connection: socket.socket) -> bool:
        """Send one accepted connection to this child; False if it can no longer take one."""
        try:
            socket.send_fds(self.channel, [b"c"], [connection.fileno()])
        except OSError:
            return False
        self.handed += 1
        return True

    def stop(self) -> None:
        self.channel.close()  # the child reads the end of its channel as "stop"
        self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


class Supervisor:
    """The parent: one listening socket, ``workers`` children served in turn."""

    def __init__(self, settings: Settings, workers: int):
        self.settings, self.workers = settings, workers
        self.context = multiprocessing.get_context("spawn")
        self.children: list[_Child] = []
        self.turn = 0
        self.stopping = False

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM, then stop the children (each finishes its requests)."""
        listener = socket.create_server(
            (self.settings.host, self.settings.port),
            family=socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET,
            backlog=BACKLOG,
        )
        listener.setblocking(False)
        # a signal wakes the loop at once (through this pair), not at the next second's check
        woken, waker = socket.socketpair()
        waker.setblocking(False)
        signal.set_wakeup_fd(waker.fileno())
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._stop)
        self.children = [_Child.start(self.context, self.settings, n) for n in range(self.workers)]
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        selector.register(woken, selectors.EVENT_READ)
        try:
            while not self.stopping:
                if selector.select(timeout=1.0):
                    self._accept(listener)
                self._restart_the_dead()
        finally:
            signal.set_wakeup_fd(-1)
            selector.close()
            listener.close()
            woken.close()
            waker.close()
            for child in self.children:
                child.stop()

    def _stop(self, _signum: int, _frame: object) -> None:
        self.stopping = True

    def _accept(self, listener: socket.socket) -> None:
        """Take every waiting connection and hand each to the next child in turn."""
        while True:
            try:
                connection, _address = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:  # out of descriptors, say: the kernel keeps the rest waiting
                LOG.warning("accepting a connection failed: %s", err)
                return
            with connection:
                for _ in range(len(self.children)):
                    child = self.children[self.turn % len(self.children)]
                    self.turn += 1
                    if child.process.is_alive() and child.hand(connection):
                        break

    def _restart_the_dead(self) -> None:
        for index, child in enumerate(self.children):
            if not child.process.is_alive() and not self.stopping:
                LOG.warning(
                    "server process %d stopped (exit code %s); starting it again",
                    child.number,
                    child.process.exitcode,
                )
                child.channel.close()
                self.children[index] = _Child.start(self.context, self.settings, child.number)


def serve(settings: Settings, workers: int) -> None:
    """Serve the app with ``workers`` processes on the configured host and port."""
    Supervisor(settings, workers).run()
