"""A task goes from this process through a real broker to a real worker, which writes to the database."""

from __future__ import annotations

import pytest
from celery import Celery

from portal.models import WorkerHeartbeat
from tests.conftest import TEST_REDIS_URL, require_service, tcp_reachable
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def producer(broker_url: str, **options) -> Celery:
    """A client app that only sends: the test plays the web process enqueueing work."""
    # Not the current app: the portal's own tasks must keep sending through the portal's app.
    return Celery("test-producer", broker=broker_url, broker_transport_options=options, set_as_current=False)


def assert_heartbeat_arrives(app: Celery, worker) -> None:
    rows = WorkerHeartbeat.objects.filter(hostname=worker.hostname)
    # The worker reports itself when ready; the task sent afterwards must then move the time forward.
    assert wait_for(rows.exists, timeout=60), "the worker never became ready; its log:\n" + worker.output()
    started = rows.get().last_seen
    task_id = app.send_task("portal.tasks.heartbeat", queue=worker.queue).id
    moved = wait_for(lambda: rows.get().last_seen > started, timeout=60)
    assert moved, "the task never ran; the worker's log:\n" + worker.output()
    assert f"portal.tasks.heartbeat[{task_id}] succeeded" in worker.output()


def test_a_task_round_trips_through_the_embedded_broker(start_worker, tmp_path):
    worker = start_worker(redis_url=None)
    queue_dir = tmp_path / "celery-broker" / "queue"
    assert wait_for(queue_dir.exists, timeout=30), worker.output()
    app = producer(
        "filesystem://",
        data_folder_in=str(queue_dir),
        data_folder_out=str(queue_dir),
        control_folder=str(tmp_path / "celery-broker" / "control"),
    )
    assert_heartbeat_arrives(app, worker)


def test_a_task_round_trips_through_redis(start_worker):
    require_service("Redis", tcp_reachable(TEST_REDIS_URL, 6379), f"no server at {TEST_REDIS_URL}")
    worker = start_worker(redis_url=TEST_REDIS_URL)
    assert_heartbeat_arrives(producer(TEST_REDIS_URL), worker)
