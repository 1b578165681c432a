"""Reactions to account events: sign-ins go to the audit trail; the Admin role opens the admin site."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model, signals
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.http import HttpRequest

from portal import audit, microsoft
from portal.roles import Role

User = get_user_model()


@receiver(signals.user_logged_in)
def _signed_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit.record("sign-in", request=request, actor=user)


@receiver(signals.user_logged_out)
def _signed_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        microsoft.forget(user)  # their Partner Center tokens go with the session
        audit.record("sign-out", request=request, actor=user)


@receiver(signals.user_login_failed)
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django has already masked the password in `credentials`; only the username is kept.
    username = str(credentials.get("username", ""))[:150]
    audit.record(
        "sign-in-failed",
        outcome=audit.Outcome.REFUSED,
        request=request,
        actor_name=username or "unknown",
    )


@receiver(m2m_changed, sender=User.groups.through)
def _admin_role_opens_admin_site(
    sender: Any, instance: Any, action: str, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """Holding the Admin role is what lets a user into Django's admin site (staff management).

    Derived here so that granting or removing the role is the only step, whichever side it is done from.
    """
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if isinstance(instance, Group):
        if instance.name != Role.ADMIN.value:
            return
        # After group.user_set.clear() the removed users are unknown: reconcile everyone.
        user_ids = pk_set if action != "post_clear" else None
    else:
        user_ids = {instance.pk}
    users = User.objects.filter(is_superuser=False)
    if user_ids is not None:
        users = users.filter(pk__in=user_ids)
    users.filter(groups__name=Role.ADMIN.value).update(is_staff=True)
    users.exclude(groups__name=Role.ADMIN.value).update(is_staff=False)
    if isinstance(instance, User) and not instance.is_superuser:
        # Keep the caller's copy in step, or its next save() would write the old flag back.
        instance.is_staff = instance.groups.filter(name=Role.ADMIN.value).exists()
