"""One sandbox process for the whole session (HTTPS on a free port, its own data directory), and a
reset back to the seeded state before each test that asks for `sb`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sandbox_process import start_sandbox

from .client import Sandbox


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    running = start_sandbox(tmp_path_factory.mktemp("sandbox-data"))
    try:
        yield Sandbox(running.data_dir, running.url, running.process)
    finally:
        running.stop()


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    """The session sandbox, back to its seeded state (no carts, orders, faults; clock at real time)."""
    sandbox.admin("POST", "reset")
    return sandbox
