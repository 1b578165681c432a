"""Shared fixtures: the personas of the permission tests, and the rules for real services.

Real services (Redis, PostgreSQL, Chromium) are used when reachable and skipped otherwise, so `make test`
passes on a bare machine. With TEST_REQUIRE_SERVICES=true (CI sets it) an unreachable service fails the
test instead: CI must never pass by skipping what it is meant to prove.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from portal.env import env_bool, env_str
from portal.roles import Role

PASSWORD = "correct horse battery staple"
REQUIRE_SERVICES = env_bool("TEST_REQUIRE_SERVICES", default=False)
TEST_REDIS_URL = env_str("TEST_REDIS_URL", env_str("REDIS_URL", "redis://127.0.0.1:6379/1"))


def require_service(name: str, available: bool, hint: str) -> None:
    """Skip a test whose service is missing, or fail it when CI said the service must be there."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required here (TEST_REQUIRE_SERVICES=true) but unavailable: {hint}")
    pytest.skip(f"{name} unavailable: {hint}")


def tcp_reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _english_after_each_test() -> Iterator[None]:
    # Django leaves a request's language active on its thread; a French test must not make the next
    # test's emails and messages French.
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    # Real hashing costs ~0.3 s a user; what the tests check does not depend on its strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


PERSONAS = {
    "sales": Role.SALES,
    "approver": Role.APPROVER,
    "support": Role.SUPPORT,
    "admin": Role.ADMIN,
    "outsider": None,  # signed in, but no role: an account an admin has not set up yet
}


@pytest.fixture
def personas(db: None) -> Iterator[dict[str, object]]:
    """One user per role, plus an outsider with none. Their password is PASSWORD."""
    User = get_user_model()
    users = {}
    for username, role in PERSONAS.items():
        user = User.objects.create_user(username=username, password=PASSWORD, first_name=username.title())
        if role is not None:
            user.groups.add(Group.objects.get(name=role.value))
        users[username] = user
    yield users


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The simulated Partner Center, over HTTPS, shared by the session; state is reset per test."""
    from tests.sandbox_process import start_sandbox

    running = start_sandbox(
        tmp_path_factory.mktemp("sandbox"),
        "--registration-delay",
        "2",
        "--order-completion-delay",
        "2",
    )
    yield running
    running.stop()


@pytest.fixture
def partner_center(sandbox, settings):
    """The portal configured for the sandbox, which starts each test from its seed state."""
    sandbox.reset()
    settings.PARTNER_CENTER = sandbox.config
    return sandbox
