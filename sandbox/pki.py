"""Data-directory bootstrap: the local CA, the server certificate, the JWT signing key, the demo app's
client secret, the admin token, and `portal.env` for the portal.

Everything is created once and kept, so a restart keeps trusting the same CA and validating the same
secrets; only the server certificate is re-issued when it nears expiry or the advertised host changes.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import ids
from .options import Options

DEFAULT_SEED = 42
_SERVER_NAMES = ("localhost", "sandbox")
_SERVER_IPS = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class DataDir:
    """Paths and the identity of the demo partner, as recorded in a data directory."""

    path: Path
    seed: int
    tenant_id: str
    client_id: str
    client_secret: str
    admin_token: str

    @property
    def ca_file(self) -> Path:
        return self.path / "ca.pem"

    @property
    def cert_file(self) -> Path:
        return self.path / "server.pem"

    @property
    def key_file(self) -> Path:
        return self.path / "server-key.pem"

    @property
    def signing_key_file(self) -> Path:
        return self.path / "signing-key.pem"

    @property
    def client_secret_file(self) -> Path:
        return self.path / "client-secret"

    @property
    def state_file(self) -> Path:
        return self.path / "state.sqlite3"


class SeedMismatch(Exception):
    pass


def _write_private(path: Path, data: bytes) -> None:
    """Write a secret readable by its owner only (mode 600), replacing any older file atomically."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _pem_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} does not hold an EC private key")
    return key


def _ensure_ca(root: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = root / "ca.pem", root / "ca-key.pem"
    if cert_path.exists() and key_path.exists():
        return x509.load_pem_x509_certificate(cert_path.read_bytes()), _load_key(key_path)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Partner Center sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Partner Center sandbox local CA"),
        ]
    )
    now = datetime.now(UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, _pem_key(key))
    _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _server_cert_is_usable(path: Path, ca: x509.Certificate, host: str) -> bool:
    if not path.exists():
        return False
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    if cert.issuer != ca.subject or cert.not_valid_after_utc < datetime.now(UTC) + timedelta(days=30):
        return False
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = set(sans.get_values_for_type(x509.DNSName))
    addresses = {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)}
    return host in names or host in addresses


def _ensure_server_cert(
    root: Path, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, host: str
) -> None:
    cert_path, key_path = root / "server.pem", root / "server-key.pem"
    if key_path.exists() and _server_cert_is_usable(cert_path, ca, host):
        return
    key = ec.generate_private_key(ec.SECP256R1())
    dns = list(_SERVER_NAMES)
    ips = [ipaddress.ip_address(ip) for ip in _SERVER_IPS]
    try:
        extra_ip = ipaddress.ip_address(host)
        if extra_ip not in ips:
            ips.append(extra_ip)
    except ValueError:
        if host not in dns:
            dns.append(host)
    now = datetime.now(UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns[0])]))
        .issuer_name(ca.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=397))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns] + [x509.IPAddress(ip) for ip in ips]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(key_path, _pem_key(key))
    _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))


def _ensure_secret(path: Path, make: str) -> str:
    if path.exists():
        return path.read_text().strip()
    _write_private(path, (make + "\n").encode())
    return make


def ensure(options: Options) -> DataDir:
    """Create what is missing in the data directory (idempotent) and return its identity."""
    root = options.data_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    record_path = root / "sandbox.json"
    record = json.loads(record_path.read_text()) if record_path.exists() else {}
    seed = record.get("seed", options.seed if options.seed is not None else DEFAULT_SEED)
    if options.seed is not None and options.seed != seed:
        raise SeedMismatch(
            f"{root} was initialised with seed {seed}; use another --data-dir for seed {options.seed}"
        )
    tenant_id = ids.guid(seed, "partner-tenant")
    client_id = ids.guid(seed, "portal-app")
    if not record:
        _write_public(record_path, json.dumps({"seed": seed}, indent=2).encode() + b"\n")

    ca, ca_key = _ensure_ca(root)
    _ensure_server_cert(root, ca, ca_key, options.advertised_host)
    signing = root / "signing-key.pem"
    if not signing.exists():
        _write_private(signing, _pem_key(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    # Entra client secrets look like "abC8Q~..." (40 characters); the shape does not matter to clients.
    client_secret = _ensure_secret(root / "client-secret", "Sbx8Q~" + secrets.token_urlsafe(26))
    admin_token = _ensure_secret(root / "admin-token", secrets.token_urlsafe(32))
    return DataDir(root, seed, tenant_id, client_id, client_secret, admin_token)


def write_portal_env(data: DataDir, base_url: str) -> Path:
    """The six settings the portal needs to talk to this sandbox (absolute paths)."""
    lines = [
        f"PARTNER_CENTER_API_URL={base_url}",
        f"PARTNER_CENTER_AUTHORITY={base_url}/{data.tenant_id}",
        f"PARTNER_CENTER_TENANT_ID={data.tenant_id}",
        f"PARTNER_CENTER_CLIENT_ID={data.client_id}",
        f"PARTNER_CENTER_CLIENT_SECRET_FILE={data.client_secret_file}",
        f"PARTNER_CENTER_CA_BUNDLE={data.ca_file}",
    ]
    path = data.path / "portal.env"
    _write_public(path, ("\n".join(lines) + "\n").encode())
    return path
