"""The one seam where HTTP is faked: a real HTTP(S) server on 127.0.0.1 that answers from a script.

Tests say what each route answers (in order; the last answer repeats), and read back what the client sent.
`DROP` closes the connection after reading the request, the way a lost answer looks to a client.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from partnercenter import RetryPolicy, Transport

DROP = object()


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (read timeouts)

    def payload(self) -> bytes:
        return json.dumps(self.json).encode() if self.json is not None else self.body


@dataclass
class Seen:
    method: str
    path: str  # without the query
    query: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


class FakeServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[tuple[str, str], list[Reply | object]] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def on(self, method: str, path: str, *replies: Reply | object) -> None:
        self.routes[(method.upper(), path)] = list(replies)

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def _next(self, method: str, path: str) -> Reply | object:
        with self._lock:
            replies = self.routes.get((method, path))
            if not replies:
                return Reply(
                    501, json={"code": "test", "description": f"nothing scripted for {method} {path}"}
                )
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like a real service

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            with server._lock:
                server.seen.append(
                    Seen(
                        method=self.command,
                        path=parts.path,
                        query=parts.query,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                    )
                )
            reply = server._next(self.command, parts.path)
            if reply is DROP:
                self.close_connection = True
                return
            assert isinstance(reply, Reply)
            if reply.delay:
                time.sleep(reply.delay)
            payload = reply.payload()
            self.send_response(reply.status)
            headers = dict(reply.headers)
            if reply.json is not None:
                headers.setdefault("Content-Type", "application/json; charset=utf-8")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _any

    return Handler


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    yield fake
    fake.close()


class FakeClock:
    """An injectable clock whose sleep moves time on, and remembers every wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_transport(url: str, clock: FakeClock, **kwargs: Any) -> Transport:
    kwargs.setdefault("token", lambda: "app-token")
    kwargs.setdefault("random", lambda: 1.0)  # full jitter at its upper bound: waits are predictable
    kwargs.setdefault("retry", RetryPolicy())
    kwargs.setdefault("timeouts", (2.0, 5.0))
    return Transport(url, sleep=clock.sleep, clock=clock, **kwargs)


@pytest.fixture
def pc(server: FakeServer, clock: FakeClock) -> Iterator[Transport]:
    transport = make_transport(server.url, clock)
    yield transport
    transport.close()


# --- throwaway certificates -----------------------------------------------------------------------------


@dataclass
class CertificateAuthority:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def issue_server_cert(self, directory: Path, name: str) -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return cert_path, key_path

    def server_context(self, directory: Path, name: str) -> ssl.SSLContext:
        cert_path, key_path = self.issue_server_cert(directory, name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context


def make_ca(common_name: str) -> CertificateAuthority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(key, cert)


@pytest.fixture(scope="session")
def sandbox_ca() -> CertificateAuthority:
    """The CA an extra server (the sandbox) is signed by: in no bundle the machine trusts."""
    return make_ca("Test sandbox CA")


@pytest.fixture(scope="session")
def machine_ca() -> CertificateAuthority:
    """A CA standing for the machine's own trust store (what REQUESTS_CA_BUNDLE points at)."""
    return make_ca("Test machine CA")


@pytest.fixture
def machine_bundle(tmp_path: Path, machine_ca: CertificateAuthority, monkeypatch: pytest.MonkeyPatch) -> Path:
    """REQUESTS_CA_BUNDLE set, as on this machine, to a bundle that lacks the sandbox's CA."""
    bundle = tmp_path / "machine-bundle.pem"
    bundle.write_bytes(machine_ca.pem())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    return bundle


@pytest.fixture
def https_server(tmp_path: Path, sandbox_ca: CertificateAuthority) -> Iterator[FakeServer]:
    fake = FakeServer(tls=sandbox_ca.server_context(tmp_path, "sandbox"))
    yield fake
    fake.close()


@pytest.fixture
def sandbox_ca_file(tmp_path: Path, sandbox_ca: CertificateAuthority) -> Path:
    path = tmp_path / "sandbox-ca.pem"
    path.write_bytes(sandbox_ca.pem())
    return path
