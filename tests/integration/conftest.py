from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from tests.process import PROJECT, clean_env

pytestmark = pytest.mark.integration


def database_url_of_tests() -> str:
    """A DATABASE_URL naming the database the tests are using, for processes the tests start."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    if connection.vendor == "postgresql":
        auth = quote(conf["USER"] or "")
        if conf.get("PASSWORD"):
            auth += ":" + quote(conf["PASSWORD"])
        host = f"{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}"
        return f"postgres://{auth}@{host}/{conf['NAME']}"
    raise RuntimeError(f"no URL form for {connection.vendor}")


class Worker:
    """A real Celery worker in its own process, consuming one queue of its own."""

    def __init__(self, data_dir: Path, redis_url: str | None) -> None:
        self.queue = f"test-{uuid.uuid4().hex[:8]}"
        self.hostname = f"{self.queue}@localhost"
        env = clean_env(
            DJANGO_DEBUG="true", PORTAL_DATA_DIR=str(data_dir), DATABASE_URL=database_url_of_tests()
        )
        if redis_url:
            env["REDIS_URL"] = redis_url
        self.log = data_dir / "worker.log"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "-Q",
                self.queue,
                "-n",
                self.hostname,
            ],
            cwd=PROJECT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log_file.close()

    def output(self) -> str:
        return self.log.read_text()


def wait_for(condition, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator:
    workers: list[Worker] = []

    def start(redis_url: str | None = None) -> Worker:
        worker = Worker(tmp_path, redis_url)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()
