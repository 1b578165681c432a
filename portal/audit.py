"""Writing to the audit trail. Every action that matters goes through `record`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.http import HttpRequest

from portal.models import AuditEntry

Outcome = AuditEntry.Outcome


def _client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wants it to be unless a trusted proxy
    # rewrote it, and a forged address in an audit trail is worse than none.
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    outcome: str = Outcome.SUCCESS,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    actor_name: str = "",
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    message: str = "",
    correlation_id: str = "",
) -> AuditEntry:
    """Append one entry. The actor defaults to the request's user; `actor_name` names a system actor."""
    if actor is None and request is not None:
        actor = request.user
    user = actor if actor is not None and actor.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    fields: dict[str, Any] = {
        "actor": user,
        "actor_name": (user.get_username() if user else actor_name) or "system",
        "action": action,
        "outcome": outcome,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr[:200],
        "message": message,
        "correlation_id": correlation_id,
        "remote_addr": _client_address(request) if request is not None else None,
    }
    return AuditEntry.objects.create(**fields)
