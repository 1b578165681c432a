"""Background tasks of the core app. Tasks stay thin: they call one function and own their retry policy."""

from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone

from portal.models import WorkerHeartbeat


@shared_task(name="portal.tasks.heartbeat", ignore_result=True)
def heartbeat() -> str:
    """Record that a worker is alive and consuming; beat schedules it every minute."""
    hostname = heartbeat.request.hostname or socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"last_seen": timezone.now()})
    return hostname
