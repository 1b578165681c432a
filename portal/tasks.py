"""Background tasks of the core app. Tasks stay thin: they call one function and own their retry policy."""

from __future__ import annotations

import socket
from typing import Any

from celery import shared_task
from celery.signals import worker_ready
from django.utils import timezone

from portal.models import WorkerHeartbeat


def record_heartbeat(hostname: str) -> None:
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"last_seen": timezone.now()})


@shared_task(name="portal.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Record that a worker is alive and consuming; beat schedules it every minute."""
    hostname = heartbeat.request.hostname or socket.gethostname()
    record_heartbeat(hostname)
    return hostname


@worker_ready.connect
def _report_at_start(sender: Any, **kwargs: Any) -> None:
    # So the dashboard sees a new worker at once, not at beat's first tick a minute later.
    record_heartbeat(sender.hostname)
