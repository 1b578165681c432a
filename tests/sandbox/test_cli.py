"""The command line: an idempotent init, the data directory's contents, and state kept across restarts."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from tests.process import PROJECT
from tests.sandbox_process import start_sandbox

from .client import Sandbox, create_cart, find_offer


def _init(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", "init", "--data-dir", str(data_dir), *extra],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_init_writes_secrets_privately_and_is_idempotent(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox"
    assert _init(data_dir, "--port", "9443").returncode == 0
    secret = (data_dir / "client-secret").read_text()
    for private in ("client-secret", "admin-token", "ca-key.pem", "server-key.pem", "signing-key.pem"):
        assert stat.S_IMODE((data_dir / private).stat().st_mode) == 0o600, private
    env = (data_dir / "portal.env").read_text().splitlines()
    tenant = env[2].split("=", 1)[1]
    assert env == [
        "PARTNER_CENTER_API_URL=https://127.0.0.1:9443",
        f"PARTNER_CENTER_AUTHORITY=https://127.0.0.1:9443/{tenant}",
        f"PARTNER_CENTER_TENANT_ID={tenant}",
        f"PARTNER_CENTER_CLIENT_ID={env[3].split('=', 1)[1]}",
        f"PARTNER_CENTER_CLIENT_SECRET_FILE={data_dir.resolve()}/client-secret",
        f"PARTNER_CENTER_CA_BUNDLE={data_dir.resolve()}/ca.pem",
    ]
    ca = (data_dir / "ca.pem").read_bytes()
    assert _init(data_dir, "--port", "9443").returncode == 0
    assert (data_dir / "client-secret").read_text() == secret
    assert (data_dir / "ca.pem").read_bytes() == ca
    other = _init(data_dir, "--seed", "7")
    assert other.returncode == 2 and "seed" in other.stderr


def test_ids_follow_the_seed(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert _init(tmp_path / name).returncode == 0
    assert _init(tmp_path / "c", "--seed", "7").returncode == 0

    def tenant(name: str) -> str:
        return (tmp_path / name / "portal.env").read_text().splitlines()[2]

    assert tenant("a") == tenant("b") != tenant("c")


def test_state_survives_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "restart"
    running = start_sandbox(data_dir)
    try:
        first = Sandbox(data_dir, running.url, running.process)
        offer = find_offer(first)
        cart = create_cart(first, offer)
        order = first.post(f"/v1/customers/{offer.customer_id}/carts/{cart['id']}/checkout").json()["orders"][
            0
        ]
        first.admin("PUT", "settings", {"listing_delay": 60})
        first.advance(120)
    finally:
        assert running.stop() == 0  # SIGTERM is a clean exit
    running = start_sandbox(data_dir)
    try:
        second = Sandbox(data_dir, running.url, running.process)
        again = second.get(f"/v1/customers/{offer.customer_id}/orders/{order['id']}").json()
        assert again["id"] == order["id"] and again["status"] == "completed"
        checkout = second.post(f"/v1/customers/{offer.customer_id}/carts/{cart['id']}/checkout").json()
        assert checkout["orders"][0]["id"] == order["id"]
        assert second.admin("GET", "settings")["listing_delay"] == 60
        assert second.admin("GET", "clock")["offset_seconds"] == 120
    finally:
        running.stop()
