"""The HTTPS server: the standard library's threaded HTTP server, HTTP/1.1 with keep-alive, TLS from the
data directory's certificate. It turns bytes into a `Request`, hands it to the app, and writes the
`Response` back (or, for injected faults, closes the connection without answering).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from .app import App
from .web import Request

log = logging.getLogger("sandbox")

MAX_BODY = 10 * 1024 * 1024
IDLE_TIMEOUT = 75  # seconds a keep-alive connection may stay idle


def split_target(target: str) -> tuple[str, dict[str, str]]:
    """Path and query of a request target, tolerating the malformed forms the docs print
    (`...&size=2000?seekOperation=Next`, `.../billinglineitems&size=2000`)."""
    path, _, query = target.partition("?")
    if "&" in path:  # a query that lost its "?"
        path, _, extra = path.partition("&")
        query = f"{extra}&{query}" if query else extra
    query = query.replace("?", "&")
    values: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        values[name.lower()] = value
    path = unquote(path)
    if len(path) > 1:
        path = path.rstrip("/")
    return path or "/", values


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PartnerCenterSandbox/1.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    wbufsize = 64 * 1024  # buffered: headers and a small body leave in one TLS record, flushed per request
    server: SandboxServer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        # Small responses must not wait for the client's delayed ACK (Nagle): that alone costs ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.connection, ssl.SSLSocket):
            # The handshake runs here, in the connection's own thread, so a slow client cannot stall accept().
            self.connection.do_handshake()

    def _serve(self) -> None:
        app = self.server.app
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.send_error(411, "Send a Content-Length; chunked request bodies are not supported")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.send_error(413)
            return
        body = self.rfile.read(length) if length else b""
        path, query = split_target(self.path)
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        request = Request(self.command, path, query, headers, body, client_address=self.client_address[0])
        outcome = app.handle(request)
        if outcome.action != "send" or outcome.response is None:
            # Injected "drop" or "lost_response": close without a word (the work, if any, is done).
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        response = outcome.response
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.options.log_requests:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        super().__init__(address, Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(app.data.cert_file, app.data.key_file)
        context.set_alpn_protocols(["http/1.1"])
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | ssl.SSLError | TimeoutError | OSError):
            return  # clients that hang up, time out or do not speak TLS are not the sandbox's problem
        log.exception("error while serving %s", client_address)

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            super().finish_request(request, client_address)
        finally:
            self.app.store.close_thread_connection()
