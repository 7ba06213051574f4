"""The gateway's backend client against a scripted HTTP/1.1 server: keep-alive reuse, chunked
and Content-Length bodies, HEAD answers, streamed request bodies, and a closed connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from iamd.gateway.http1 import Pool


async def serve(answers: list[bytes], seen: list[bytes], accepted: list[int]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        while answers:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length)
            seen.append(head + body)
            writer.write(answers.pop(0))
            await writer.drain()
            if b"Connection: close" in seen[-1] or b"connection: close" in head:
                break
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def run(
    answers: list[bytes], requests: list[tuple[bytes, object, bool]]
) -> tuple[list[tuple[int, bytes]], list[bytes], int]:
    async def main() -> tuple[list[tuple[int, bytes]], list[bytes], int]:
        seen: list[bytes] = []
        accepted: list[int] = []
        server = await serve(list(answers), seen, accepted)
        port = server.sockets[0].getsockname()[1]
        pool = Pool()
        out = []
        for head, body, is_head in requests:
            response = await pool.request(("127.0.0.1", port, False), head, body, is_head=is_head)  # type: ignore[arg-type]
            async with response:
                out.append((response.status, await response.read()))
        pool.close()
        server.close()
        return out, seen, len(accepted)

    return asyncio.run(main())


GET = b"GET /b/k HTTP/1.1\r\nhost: x\r\n\r\n"


def test_keep_alive_chunked_and_content_length() -> None:
    answers = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n",  # a HEAD: no body follows
        b"HTTP/1.1 204 No Content\r\n\r\n",
    ]
    head = b"HEAD /b/k HTTP/1.1\r\nhost: x\r\n\r\n"
    results, seen, connections = run(
        answers, [(GET, None, False), (GET, None, False), (head, None, True), (GET, None, False)]
    )
    assert results == [(200, b"hello"), (200, b"abcde"), (404, b""), (204, b"")]
    # Kept alive for the first two; a HEAD's connection is not reused (its framing is unknown).
    assert connections == 2 and len(seen) == 4


def test_streamed_request_body() -> None:
    async def body() -> AsyncIterator[bytes]:
        for piece in (b"ab", b"cd", b"ef"):
            yield piece

    put = b"PUT /b/k HTTP/1.1\r\nhost: x\r\ncontent-length: 6\r\n\r\n"
    results, seen, _ = run(
        [b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"], [(put, body(), False)]
    )
    assert results == [(200, b"")] and seen[0].endswith(b"\r\n\r\nabcdef")


def test_a_backend_that_closes_early_is_an_error() -> None:
    with pytest.raises(OSError):
        run(
            [b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nabc"],
            [(GET, None, False)],
        )


def test_a_backend_that_closes_every_connection_has_the_next_one_opened_early() -> None:
    """moto's server (werkzeug) closes the connection after every answer: the pool opens the
    next request's connection as soon as an answer is done, so the next request neither waits
    for a connect nor makes a second one."""

    async def main() -> None:
        seen: list[bytes] = []
        accepted: list[int] = []
        closing = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        server = await serve([closing] * 3, seen, accepted)
        key = ("127.0.0.1", server.sockets[0].getsockname()[1], False)
        request = b"GET /b/k HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        pool = Pool()
        for n in (1, 2, 3):
            response = await pool.request(key, request, None, is_head=False)
            async with response:
                assert (response.status, await response.read()) == (200, b"ok")
            await asyncio.sleep(0.1)
            # This request's connection and the next one's, open before it is sent.
            assert len(accepted) == n + 1
        pool.close()
        await asyncio.sleep(0.1)
        server.close()
        assert len(seen) == 3

    asyncio.run(main())


def test_a_request_waits_for_the_spare_on_its_way_rather_than_connecting_again() -> None:
    async def main() -> None:
        seen: list[bytes] = []
        accepted: list[int] = []
        closing = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        server = await serve([closing] * 2, seen, accepted)
        key = ("127.0.0.1", server.sockets[0].getsockname()[1], False)
        request = b"GET /b/k HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        pool = Pool()
        for _ in range(2):  # the second at once, while the spare is still connecting
            response = await pool.request(key, request, None, is_head=False)
            async with response:
                assert await response.read() == b"ok"
        await asyncio.sleep(0.1)
        # Two requests, two connections used, and the spare after the last answer: no more.
        assert len(accepted) == 3
        pool.close()
        server.close()

    asyncio.run(main())
