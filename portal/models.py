from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.roles import CAPABILITY_LABELS


class Access(models.Model):
    """Holds the portal's capabilities as Django permissions. It has no table and no rows."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [(cap.value, str(label)) for cap, label in CAPABILITY_LABELS.items()]

    def __str__(self) -> str:
        return "access"


# Readable names for the actions the audit trail records; an action missing here is shown as its code.
# Apps add their own actions here as they record them.
ACTION_LABELS = {
    "sign-in": _("Signed in"),
    "sign-in-failed": _("Sign-in failed"),
    "sign-out": _("Signed out"),
    "partner-center-check": _("Tested the connection to Partner Center"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit entry."""


class AuditQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries cannot be changed.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AppendOnlyError("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    """One thing that happened: who, when, what, to which object, how it ended.

    Append-only: the model refuses updates and deletes, and on PostgreSQL a trigger refuses them too,
    so not even raw SQL from the application can rewrite history.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("Succeeded")
        FAILURE = "failure", _("Failed")
        REFUSED = "refused", _("Refused")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    # PROTECT: staff who appear in the trail are deactivated, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    # The name as it was at the time, and for actions of the system itself ("worker", "beat").
    actor_name = models.CharField(_("who"), max_length=150)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=128, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, db_index=True)
    message = models.TextField(_("details"), blank=True)
    correlation_id = models.CharField(_("Partner Center correlation id"), max_length=64, blank=True)
    remote_addr = models.GenericIPAddressField(_("from address"), null=True, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["correlation_id"], name="audit_correlation_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit entries cannot be deleted.")

    @property
    def action_label(self) -> str:
        return action_label(self.action)


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the periodic heartbeat task: shown on the dashboard."""

    hostname = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class MicrosoftIdentity(models.Model):
    """A staff member's Microsoft Entra account, and their App+User session with Partner Center.

    The MSAL token cache (refresh and access tokens) is kept here, on the server, encrypted with a key
    derived from SECRET_KEY; it never reaches the browser. It is cleared when the staff member signs out.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="microsoft_identity"
    )
    tenant_id = models.CharField(max_length=36)
    object_id = models.CharField(max_length=36)
    username = models.CharField(_("Microsoft account"), max_length=254)
    token_cache = models.TextField(blank=True)
    account_id = models.CharField(max_length=200, blank=True)
    mfa = models.BooleanField(_("signed in with MFA"), default=False)
    signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant_id", "object_id"], name="microsoft_identity_unique_oid")
        ]

    def __str__(self) -> str:
        return self.username
