"""Trusting an extra CA (the sandbox's) without losing the usual ones, despite REQUESTS_CA_BUNDLE.

The trap: `requests` reads REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE) on every request whose own `verify` is
unset, and that value beats a `Session.verify` set in code. On a machine where the variable is set, a
session told to trust the sandbox's CA would silently trust only the machine's bundle instead.

So the verify value is built once: with an extra CA configured, a merged bundle file holding the bundle
requests would otherwise use plus the extra CA; and it is passed explicitly on every request, which the
environment cannot override (`PinnedSession`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
import requests.certs

from .config import DEFAULT_TIMEOUTS, PartnerCenterConfig, PartnerCenterConfigError

_PEM_MARKER = "-----BEGIN CERTIFICATE-----"

_lock = threading.Lock()
_merged: dict[tuple[str, str], str] = {}


def base_bundle(environ: Mapping[str, str] | None = None) -> str:
    """The CA bundle requests uses when told nothing: REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, else certifi's."""
    env = os.environ if environ is None else environ
    return env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or requests.certs.where()


def verify_for(extra_ca: str | None, environ: Mapping[str, str] | None = None) -> str | bool:
    """The `verify=` value for every request: True without an extra CA, else a merged bundle's path.

    The merged file is written once per process (and per pair of inputs) to a private temporary file,
    removed at exit.
    """
    if not extra_ca:
        return True
    base = base_bundle(environ)
    key = (os.path.abspath(base), os.path.abspath(extra_ca))
    with _lock:
        path = _merged.get(key)
        if path is None or not os.path.exists(path):
            path = _write_merged(base, extra_ca)
            _merged[key] = path
    return path


def _write_merged(base: str, extra_ca: str) -> str:
    extra = _read_pem(Path(extra_ca), "PARTNER_CENTER_CA_BUNDLE")
    if _PEM_MARKER not in extra:
        raise PartnerCenterConfigError(f"PARTNER_CENTER_CA_BUNDLE={extra_ca!r} holds no PEM certificate.")
    merged = _read_pem(Path(base), "the default CA bundle").rstrip("\n") + "\n" + extra.strip() + "\n"
    # mkstemp: a new private file; a predictable shared name in /tmp could be planted by another user.
    fd, path = tempfile.mkstemp(prefix="partnercenter-ca-", suffix=".pem")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(merged)
    atexit.register(_remove, path)
    return path


def _read_pem(path: Path, what: str) -> str:
    try:
        if path.is_dir():  # requests also accepts a directory of certificates
            files = sorted(p for p in path.iterdir() if p.suffix in (".pem", ".crt") and p.is_file())
            return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise PartnerCenterConfigError(f"{what} {str(path)!r} cannot be read: {exc.strerror}.") from None


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


class PinnedSession(requests.Session):
    """A Session whose every request carries our `verify` and a timeout. Also MSAL's `http_client`."""

    def __init__(self, verify: str | bool = True, timeout: tuple[float, float] = DEFAULT_TIMEOUTS) -> None:
        super().__init__()
        self.verify = verify
        self.pinned_verify = verify
        self.default_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = self.pinned_verify
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)


def session_for(config: PartnerCenterConfig) -> PinnedSession:
    return PinnedSession(verify_for(config.ca_bundle), timeout=config.timeouts)
