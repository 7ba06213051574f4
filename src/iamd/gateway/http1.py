"""A small HTTP/1.1 client for the backend: pooled connections, streamed bodies both ways.

The gateway's hop to its backend is the hot path of every call. A general-purpose client spent
twice the CPU of everything else the gateway does, so this one does only what the hop needs:
one request at a time per connection, ``Content-Length`` or chunked responses parsed by
httptools (uvicorn's parser), a request body written as it arrives with flow control, a
response body handed over chunk by chunk with reading paused while the client is slow, and
keep-alive connections reused when the backend allows it. A backend that closes every
connection instead (moto's) gets the next request's connection opened as soon as an answer is
done, off the next request's path: that took a third off the gateway's added latency.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import AsyncIterator
from types import TracebackType
from typing import cast

import httptools

HIGH_WATER = 1024 * 1024
"""Response bytes buffered before reading from the backend pauses."""
MAX_IDLE = 64


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.head_done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.complete = False
        self.lost: BaseException | None = None
        self.reusable = False
        self.head = False
        self._wake = asyncio.Event()
        self._can_write = asyncio.Event()
        self._can_write.set()
        self._paused = False

    # asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ConnectionError("the backend switched protocols"))
        except httptools.HttpParserError as error:
            self._fail(ConnectionError(f"the backend's answer does not parse: {error}"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.complete:
            self._fail(exc or ConnectionError("the backend closed the connection"))
        self.reusable = False
        self._can_write.set()

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    # httptools callbacks -----------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if not self.head_done.done():
            self.head_done.set_result(None)
        if self.head or self.status in (204, 304) or 100 <= self.status < 200:
            self._finish(reusable=False)

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and not self._paused and self.transport is not None:
            self.transport.pause_reading()
            self._paused = True
        self._wake.set()

    def on_message_complete(self) -> None:
        self._finish(reusable=self.parser.should_keep_alive())

    # --------------------------------------------------------------------------------------

    def _finish(self, reusable: bool) -> None:
        if not self.complete:
            self.complete = True
            self.reusable = reusable
            self._wake.set()

    def _fail(self, error: BaseException) -> None:
        self.lost = error
        if not self.head_done.done():
            self.head_done.set_exception(error)
            self.head_done.exception()  # retrieved: no "never retrieved" warning
        self._wake.set()
        if self.transport is not None:
            self.transport.close()

    def reset(self, head: bool) -> None:
        """Ready for the next request on a kept-alive connection."""
        self.parser = httptools.HttpResponseParser(self)
        self.head_done = asyncio.get_running_loop().create_future()
        self.status = 0
        self.headers = []
        self.chunks.clear()
        self.buffered = 0
        self.complete = False
        self.reusable = False
        self.head = head
        self._wake.clear()

    async def write(self, data: bytes) -> None:
        if self.lost is not None:
            raise self.lost
        assert self.transport is not None
        self.transport.write(data)
        if not self._can_write.is_set():
            await self._can_write.wait()

    async def next_chunk(self) -> bytes | None:
        while True:
            if self.chunks:
                chunk = self.chunks.popleft()
                self.buffered -= len(chunk)
                if self._paused and self.buffered <= HIGH_WATER // 2 and self.transport:
                    self.transport.resume_reading()
                    self._paused = False
                return chunk
            if self.lost is not None:
                raise self.lost
            if self.complete:
                return None
            self._wake.clear()
            await self._wake.wait()


class Response:
    """The backend's answer: status and raw headers at once, the body as it arrives."""

    def __init__(self, pool: Pool, key: tuple[str, int, bool], connection: _Connection) -> None:
        self._pool = pool
        self._key = key
        self._connection = connection
        self.status = connection.status
        self.raw_headers = connection.headers
        self._released = False

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        while (chunk := await self._connection.next_chunk()) is not None:
            yield chunk

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.iter_chunks()])

    def close(self) -> None:
        if not self._released:
            self._released = True
            self._pool.release(self._key, self._connection)

    async def __aenter__(self) -> Response:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


class Pool:
    def __init__(self) -> None:
        self._idle: dict[tuple[str, int, bool], list[_Connection]] = {}
        self._opening: dict[tuple[str, int, bool], asyncio.Task[None]] = {}
        self._closed = False

    def release(self, key: tuple[str, int, bool], connection: _Connection) -> None:
        transport = connection.transport
        if (
            connection.complete
            and connection.reusable
            and transport is not None
            and not transport.is_closing()
        ):
            idle = self._idle.setdefault(key, [])
            if len(idle) < MAX_IDLE:
                idle.append(connection)
                return
        if transport is not None:
            transport.close()
        if connection.complete and not self._idle.get(key):
            self._prime(key)

    def _prime(self, key: tuple[str, int, bool]) -> None:
        """Open the next request's connection now that this answer is done: a backend that
        closes every connection (moto's werkzeug server does) would otherwise make the next
        request wait for a connect, and for the backend to start the connection's thread."""
        if key in self._opening or self._closed:
            return
        self._opening[key] = asyncio.get_running_loop().create_task(self._open_spare(key))

    async def _open_spare(self, key: tuple[str, int, bool]) -> None:
        try:
            connection = await self._open(key)
        except (OSError, ssl.SSLError):
            return  # the next request connects itself, and reports what fails
        finally:
            self._opening.pop(key, None)
        idle = self._idle.setdefault(key, [])
        if len(idle) < MAX_IDLE and not self._closed and connection.transport is not None:
            idle.append(connection)
        elif connection.transport is not None:
            connection.transport.close()

    def close(self) -> None:
        self._closed = True
        for task in list(self._opening.values()):
            task.cancel()
        for idle in self._idle.values():
            for connection in idle:
                if connection.transport is not None:
                    connection.transport.close()
        self._idle.clear()

    async def _connect(self, key: tuple[str, int, bool], head: bool) -> tuple[_Connection, bool]:
        for attempt in (0, 1):
            idle = self._idle.get(key)
            while idle:
                connection = idle.pop()
                if connection.transport is not None and not connection.transport.is_closing():
                    connection.reset(head)
                    return connection, True
            spare = self._opening.get(key)
            if spare is None or attempt:
                break
            await asyncio.wait({spare})  # a connection on its way: sooner than a new one
        connection = await self._open(key)
        connection.head = head
        return connection, False

    async def _open(self, key: tuple[str, int, bool]) -> _Connection:
        loop = asyncio.get_running_loop()
        host, port, tls = key
        if tls:
            _, connection = await loop.create_connection(
                _Connection, host, port, ssl=ssl.create_default_context(), server_hostname=host
            )
        else:
            _, connection = await loop.create_connection(_Connection, host, port)
        return connection

    async def request(
        self,
        key: tuple[str, int, bool],
        head_bytes: bytes,
        body: bytes | AsyncIterator[bytes] | None,
        *,
        is_head: bool,
    ) -> Response:
        """Send one request; the answer's head has arrived when this returns."""
        for attempt in (0, 1):
            connection, reused = await self._connect(key, is_head)
            try:
                if isinstance(body, bytes):
                    await connection.write(head_bytes + body)
                else:
                    await connection.write(head_bytes)
                    if body is not None:
                        async for chunk in body:
                            await connection.write(chunk)
                await connection.head_done
            except (ConnectionError, OSError):
                if connection.transport is not None:
                    connection.transport.close()
                # A kept-alive connection the backend had closed: once more, on a new one,
                # when nothing that cannot be sent again was sent.
                if reused and attempt == 0 and not isinstance(body, AsyncIterator):
                    continue
                raise
            except BaseException:
                if connection.transport is not None:
                    connection.transport.close()
                raise
            return Response(self, key, connection)
        raise ConnectionError("unreachable")
