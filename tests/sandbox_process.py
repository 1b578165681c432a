"""The sandbox as the test suite runs it: a real process serving HTTPS, started once per test session."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from partnercenter.config import PartnerCenterConfig
from tests.process import PROJECT

READY = "sandbox ready on "


@dataclass
class Sandbox:
    """A running sandbox: its address, the portal's configuration for it, and its admin API."""

    process: subprocess.Popen[str]
    data_dir: Path
    url: str
    env: dict[str, str]
    log: Path
    _admin_token: str = field(repr=False, default="")

    @property
    def config(self) -> PartnerCenterConfig:
        return PartnerCenterConfig.from_env(self.env)

    @property
    def ca_bundle(self) -> str:
        return self.env["PARTNER_CENTER_CA_BUNDLE"]

    def admin(self, method: str, path: str, json: Any = None) -> Any:
        """Call the sandbox's test-only admin API (faults, clock, settings, stats, reset)."""
        response = requests.request(
            method,
            f"{self.url}/_sandbox/{path}",
            json=json,
            headers={"X-Sandbox-Admin": self._admin_token},
            verify=self.ca_bundle,  # per request: REQUESTS_CA_BUNDLE would override a session's verify
            timeout=30,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def reset(self) -> None:
        self.admin("POST", "reset")

    def faults(self, *rules: dict[str, Any]) -> None:
        self.admin("PUT", "faults", list(rules))

    def advance_clock(self, seconds: float) -> None:
        self.admin("POST", "clock", {"advance_seconds": seconds})

    def stats(self) -> dict[str, Any]:
        return self.admin("GET", "stats")

    def stop(self) -> int:
        """SIGTERM, as honcho and Docker send it; returns the exit code (0 for a clean stop)."""
        self.process.terminate()
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _drain(stream: Any, path: Path) -> None:
    with path.open("a") as sink:
        for line in stream:
            sink.write(line)


def start_sandbox(data_dir: Path, *options: str, timeout: float = 60) -> Sandbox:
    """Start `python -m sandbox serve` on a free port and wait until it says it is ready."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "sandbox.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDBOX_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--data-dir", str(data_dir), "--port", "0", *options],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    url = ""
    while time.monotonic() < deadline and not url:
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox exited with {process.returncode}:\n{log.read_text()}")
        if selector.select(timeout=0.5):
            line = process.stdout.readline()
            if line.startswith(READY):
                url = line[len(READY) :].strip()
    if not url:
        process.kill()
        raise RuntimeError(f"the sandbox did not start within {timeout} s:\n{log.read_text()}")
    selector.close()
    # Keep reading what it prints, or a full pipe would one day block the sandbox mid-request.
    threading.Thread(target=_drain, args=(process.stdout, data_dir / "sandbox.stdout"), daemon=True).start()
    return Sandbox(
        process=process,
        data_dir=data_dir,
        url=url,
        env=read_env_file(data_dir / "portal.env"),
        log=log,
        _admin_token=(data_dir / "admin-token").read_text().strip(),
    )
