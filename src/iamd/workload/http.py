"""A small threaded HTTP server for the workload endpoints (standard library only).

Each endpoint is a pure ``handle(method, path, headers) -> Response`` function, testable
without sockets; this module puts it on a port, in the foreground (the CLI) or in a thread (the
tests and embedding programs).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

log = logging.getLogger("iamd.workload")


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str = "text/plain"


Handler = Callable[[str, str, Mapping[str, str]], Response]


def _request_handler(handle: Handler) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "iamd"
        sys_version = ""

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(min(length, 65536))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                response = handle(self.command, self.path, headers)
            except Exception:
                log.exception("workload endpoint failed on %s %s", self.command, self.path)
                response = Response(500, b"Internal Server Error")
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)

        # The names http.server dispatches on.
        do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = do_PATCH = _serve  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s %s", self.address_string(), format % args)

    return RequestHandler


class EndpointServer:
    """``handle`` served on ``host:port`` (port 0 picks a free one)."""

    def __init__(self, handle: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self.httpd = ThreadingHTTPServer((host, port), _request_handler(handle))
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        host = self.httpd.server_address[0]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{self.port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def start(self) -> EndpointServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits for a loop that must be running
            self.httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.httpd.server_close()

    def __enter__(self) -> EndpointServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
