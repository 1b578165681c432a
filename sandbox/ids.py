"""Deterministic identifiers and the timestamp formats Partner Center uses.

Seed data is never stored: every id is derived from the seed number and a few words describing the
thing, so the same seed always produces the same customers, products and invoices, and any of them can
be regenerated on demand without holding the whole world in memory.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def digest(*parts: object) -> bytes:
    """A stable 32-byte digest of the parts (used for ids and for deterministic choices)."""
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).digest()


def number(*parts: object) -> int:
    """A stable non-negative integer drawn from the parts: `number(...) % n` picks among n options."""
    return int.from_bytes(digest(*parts)[:8], "big")


def guid(*parts: object) -> str:
    """A stable, well-formed (version 4 shaped) GUID."""
    return str(uuid.UUID(bytes=digest(*parts)[:16], version=4))


def hex_id(length: int, *parts: object) -> str:
    return digest(*parts).hex()[:length]


def base36(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        value, rest = divmod(value, 36)
        out.append(_BASE36[rest])
    if value:
        raise ValueError("value too large for width")
    return "".join(reversed(out))


def unbase36(text: str) -> int | None:
    try:
        return int(text, 36)
    except ValueError:
        return None


def catalog_id(*parts: object) -> str:
    """A 12-character id in the shape of Partner Center catalog ids (e.g. DZH318Z0ABCD)."""
    return "DZH318Z0" + base36(number(*parts) % 36**4, 4)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


def utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def add_years(moment: datetime, years: int) -> datetime:
    """The same day `years` later; 29 February becomes 28 February in a year without it, as a one-year
    reservation bought on a leap day ends the day before its first anniversary."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def iso7(epoch: float) -> str:
    """Partner Center's commerce timestamps: seven fractional digits and Z (e.g. cart timestamps)."""
    moment = utc(epoch)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def iso_z(epoch: float) -> str:
    return utc(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_plain(epoch: float) -> str:
    """The zone-less form some billing samples use (e.g. accountingDate)."""
    return utc(epoch).strftime("%Y-%m-%dT%H:%M:%S")


NO_DATE = "0001-01-01T00:00:00"  # Partner Center's "no value" date


def month_start(epoch: float, add_months: int = 0) -> float:
    """The epoch of 00:00 UTC on the first day of the month `add_months` away from `epoch`'s month."""
    moment = utc(epoch)
    serial = moment.year * 12 + moment.month - 1 + add_months
    return datetime(serial // 12, serial % 12 + 1, 1, tzinfo=UTC).timestamp()


def month_serial(epoch: float) -> int:
    moment = utc(epoch)
    return moment.year * 12 + moment.month - 1
