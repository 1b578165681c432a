"""Where Partner Center and its sign-in live, and the credentials of the app that calls them.

Everything comes from PARTNER_CENTER_* environment variables (see `PartnerCenterConfig.from_env`).
Pointing them at any server that speaks the documented API is enough: nothing here knows about sandboxes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_API_URL = "https://api.partnercenter.microsoft.com"

# Both clouds call the same API host; only the sign-in authority differs (reference §9: the US Government
# authority comes from the Partner Center PowerShell module, not from the REST docs).
AUTHORITY_HOSTS = {
    "public": "https://login.microsoftonline.com",
    "usgov": "https://login.microsoftonline.us",
}

DEFAULT_TIMEOUTS = (10.0, 60.0)  # seconds: connect, read

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class PartnerCenterConfigError(ValueError):
    """A PARTNER_CENTER_* variable cannot mean anything sensible. The message names it, never a secret."""


@dataclass(frozen=True)
class PartnerCenterConfig:
    api_url: str = DEFAULT_API_URL
    authority: str = ""  # full authority URL including the tenant; derived from cloud + tenant when empty
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    ca_bundle: str | None = None  # an extra CA to trust (PEM), on top of the usual ones
    cloud: str = "public"
    timeouts: tuple[float, float] = DEFAULT_TIMEOUTS
    application_name: str = "Reservations Portal"  # sent as MS-PartnerCenter-Application

    def __post_init__(self) -> None:
        if self.cloud not in AUTHORITY_HOSTS:
            raise PartnerCenterConfigError(
                f"cloud={self.cloud!r} is not known: use one of {', '.join(sorted(AUTHORITY_HOSTS))}."
            )
        if not self.authority and self.tenant_id:
            object.__setattr__(self, "authority", f"{AUTHORITY_HOSTS[self.cloud]}/{self.tenant_id}")

    @property
    def is_configured(self) -> bool:
        """True when the app can sign in: tenant, client id and secret are all present."""
        return bool(self.tenant_id and self.client_id and self.client_secret)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PartnerCenterConfig:
        """Read PARTNER_CENTER_* variables. Unset variables leave the client unconfigured, not broken."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str:
            return env.get(name, "").strip()

        cloud = get("PARTNER_CENTER_CLOUD").lower() or "public"
        if cloud not in AUTHORITY_HOSTS:
            raise PartnerCenterConfigError(
                f"PARTNER_CENTER_CLOUD={cloud!r} is not known: use public or usgov."
            )
        api_url = get("PARTNER_CENTER_API_URL") or DEFAULT_API_URL
        _check_url("PARTNER_CENTER_API_URL", api_url)
        authority = get("PARTNER_CENTER_AUTHORITY").rstrip("/")
        if authority:
            _check_url("PARTNER_CENTER_AUTHORITY", authority)
        ca_bundle = get("PARTNER_CENTER_CA_BUNDLE") or None
        if ca_bundle and not Path(ca_bundle).is_file():
            raise PartnerCenterConfigError(f"PARTNER_CENTER_CA_BUNDLE={ca_bundle!r} is not a readable file.")
        return cls(
            api_url=api_url.rstrip("/"),
            authority=authority,
            tenant_id=get("PARTNER_CENTER_TENANT_ID"),
            client_id=get("PARTNER_CENTER_CLIENT_ID"),
            client_secret=_read_secret(env, "PARTNER_CENTER_CLIENT_SECRET"),
            ca_bundle=ca_bundle,
            cloud=cloud,
        )


def _check_url(name: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PartnerCenterConfigError(f"{name}={url!r} is not an http(s) URL.")
    # Bearer tokens and client secrets must not cross a network in clear; plain HTTP is for local tests.
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise PartnerCenterConfigError(f"{name}={url!r} must use https (plain http only for localhost).")


def _read_secret(env: Mapping[str, str], name: str) -> str:
    direct = env.get(name, "").strip()
    file_name = env.get(f"{name}_FILE", "").strip()
    if direct and file_name:
        raise PartnerCenterConfigError(f"Set {name} or {name}_FILE, not both.")
    if not file_name:
        return direct
    try:
        value = Path(file_name).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise PartnerCenterConfigError(f"{name}_FILE={file_name!r} cannot be read: {exc.strerror}.") from None
    if not value:
        raise PartnerCenterConfigError(f"{name}_FILE={file_name!r} is empty.")
    return value
