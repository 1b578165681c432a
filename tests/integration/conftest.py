from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
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
    """A real Celery worker in its own process, consuming one queue of its own.

    `env` adds to its environment (the sandbox's PARTNER_CENTER_* variables, another PORTAL_DATA_DIR);
    `queues` are consumed as well as its own (the default queue, where tasks send their follow-ups).
    """

    def __init__(
        self,
        data_dir: Path,
        redis_url: str | None,
        *,
        env: Mapping[str, str] | None = None,
        queues: Sequence[str] = (),
    ) -> None:
        self.queue = f"test-{uuid.uuid4().hex[:8]}"
        self.hostname = f"{self.queue}@localhost"
        overrides = {
            "DJANGO_DEBUG": "true",
            "PORTAL_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url_of_tests(),
            **(env or {}),
        }
        process_env = clean_env(**overrides)
        if redis_url:
            process_env["REDIS_URL"] = redis_url
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
                ",".join([self.queue, *queues]),
                "-n",
                self.hostname,
            ],
            cwd=PROJECT,
            env=process_env,
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

    def start(
        redis_url: str | None = None, *, env: Mapping[str, str] | None = None, queues: Sequence[str] = ()
    ) -> Worker:
        worker = Worker(tmp_path, redis_url, env=env, queues=queues)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def tasks_run_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Celery tasks sent by the code under test run at once, in this process (Celery's eager mode):
    for tests that play the worker themselves and must leave nothing queued on the tests' broker."""
    from portal import celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


def mirror_customer(company_name: str):  # -> portal.models.Customer
    """A customer of the sandbox's seeded world (sandbox/README.md), copied into the portal as its customer
    page copies one. Needs the `partner_center` fixture (the portal pointed at the sandbox)."""
    from partnercenter import customers
    from portal import partner_center
    from portal.customers import refresh_customer

    pc = partner_center.transport()
    found = [
        c
        for c in customers.list_customers(pc, name_starts_with=company_name)
        if c.company_name == company_name
    ]
    assert len(found) == 1, f"expected one customer named {company_name!r}, found {len(found)}"
    return refresh_customer(pc, str(found[0].id))
