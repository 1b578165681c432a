"""Encryption at rest for secrets the portal must keep, such as staff members' Partner Center tokens."""

from __future__ import annotations

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@cache
def _fernet(secret_key: str) -> Fernet:
    # A key of its own, derived from SECRET_KEY: rotating SECRET_KEY makes old tokens unreadable, which
    # only means staff sign in with Microsoft again.
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"portal sealed secrets v1").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(plaintext: str) -> str:
    return _fernet(settings.SECRET_KEY).encrypt(plaintext.encode()).decode()


def unseal(sealed: str) -> str | None:
    """The plaintext, or None when it was sealed under another key or tampered with."""
    try:
        return _fernet(settings.SECRET_KEY).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
