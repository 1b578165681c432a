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
    "customer-refresh": _("Refreshed a customer from Partner Center"),
    "subscription-registration": _("Subscription registration"),
    "catalog-sync": _("Asked for a fresh copy of a market's catalog"),
    "purchase-draft": _("Purchase request: draft"),
    "purchase-awaiting-approval": _("Purchase request sent for approval"),
    "purchase-approved": _("Purchase request approved"),
    "purchase-rejected": _("Purchase request rejected"),
    "purchase-cancelled": _("Purchase request cancelled"),
    "purchase-checking-out": _("Purchase request checking out"),
    "purchase-ordered": _("Purchase request ordered"),
    "purchase-expired": _("Purchase request expired"),
    "purchase-failed": _("Purchase request failed"),
    "purchase-event": _("Purchase request"),
    "order-refresh": _("Refreshed orders from Partner Center"),
    "reservations-refresh": _("Refreshed reservations from Partner Center"),
    "invoice-sync": _("Read the invoices from Partner Center"),
    "invoice-summaries": _("Read the balance per currency from Partner Center"),
    "invoice-export": _("Exported invoice line items"),
    "invoice-statement": _("Downloaded an invoice statement"),
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


# --- customers and enablement (a local mirror of Partner Center, refreshed by Celery) -------------------


class Customer(models.Model):
    """A customer of the partner, as last read from Partner Center. Searches never wait on Partner Center.

    The list call gives name and domain; the country (hence the reservations verdict) comes from the
    customer's own record, read by the detail refresh.
    """

    id = models.CharField(primary_key=True, max_length=36)  # the customer's tenant id, Partner Center's key
    company_name = models.CharField(_("company"), max_length=255)
    domain = models.CharField(_("domain"), max_length=255, blank=True)
    # Lower-cased "name domain tenant-id", indexed: the search scans one column.
    search_text = models.CharField(max_length=600, db_index=True, editable=False)
    country = models.CharField(_("country"), max_length=2, blank=True)  # ISO 3166-1 alpha-2, "" until read
    relationship = models.CharField(max_length=40, blank=True)
    listed_at = models.DateTimeField(help_text=_("When the customer list last contained it."))
    details_read_at = models.DateTimeField(null=True, blank=True)
    # When Partner Center last refused to give them (a customer it no longer knows, ...): such customers
    # wait at the back of the details queue instead of blocking it.
    details_failed_at = models.DateTimeField(null=True, blank=True)
    subscriptions_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["company_name"]
        indexes = [models.Index(fields=["company_name"], name="customer_name_idx")]

    def __str__(self) -> str:
        return self.company_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = self.search_text_for(self.company_name, self.domain, self.id)
        super().save(*args, **kwargs)

    @staticmethod
    def search_text_for(company_name: str, domain: str, customer_id: str) -> str:
        """What the search scans; bulk upserts, which skip save(), call it too."""
        return f"{company_name} {domain} {customer_id}".lower()[:600]


class CustomerSubscription(models.Model):
    """A Partner Center subscription of a customer that can carry reservations: an Azure plan or a legacy
    Microsoft Azure (MS-AZR-0145P) subscription, with its reservation registration status."""

    class Kind(models.TextChoices):
        AZURE_PLAN = "azure_plan", _("Azure plan")
        LEGACY = "legacy", _("Microsoft Azure (MS-AZR-0145P)")

    class Registration(models.TextChoices):
        NOT_REGISTERED = "NotRegistered", _("Not registered")
        REGISTERING = "Registering", _("Registering")
        REGISTERED = "Registered", _("Registered")
        UNKNOWN = "Unknown", _("Unknown")

    id = models.CharField(primary_key=True, max_length=36)  # the Partner Center subscription id
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    offer_id = models.CharField(max_length=120, blank=True)
    name = models.CharField(_("name"), max_length=255)
    status = models.CharField(_("status"), max_length=40, blank=True)  # active, suspended, ...
    registration = models.CharField(
        _("reservation registration"),
        max_length=16,
        choices=Registration.choices,
        default=Registration.UNKNOWN,
    )
    registration_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


class AzureSubscription(models.Model):
    """An Azure subscription under an Azure plan (the plan's azureEntitlements)."""

    id = models.CharField(primary_key=True, max_length=36)  # the Azure subscription GUID
    plan = models.ForeignKey(
        CustomerSubscription, on_delete=models.CASCADE, related_name="azure_subscriptions"
    )
    name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return self.name or self.id


class RegistrationRequest(models.Model):
    """A registration the portal submitted, and its watch by the background worker until it is done."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")  # recorded; the worker sends it
        REGISTERING = "registering", _("Registering")  # accepted by Partner Center, being watched
        REGISTERED = "registered", _("Registered")
        FAILED = "failed", _("Failed")  # refused, or not done by the deadline

    subscription = models.ForeignKey(
        CustomerSubscription, on_delete=models.CASCADE, related_name="registration_requests"
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)  # calls made to Partner Center for it
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deadline = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)  # in plain words, for the page
    correlation_id = models.CharField(max_length=64, blank=True)  # of the last call

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            # At most one registration in flight per subscription: a double click cannot send two.
            models.UniqueConstraint(
                fields=["subscription"],
                condition=models.Q(state__in=["pending", "registering"]),
                name="one_open_registration_per_subscription",
            )
        ]

    def __str__(self) -> str:
        return f"registration of {self.subscription_id}: {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in {self.State.PENDING, self.State.REGISTERING}


class Notification(models.Model):
    """Something a staff member was waiting on has happened. Shown in the portal; also sent by email."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=40)
    message = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message[:80]


class MirrorSync(models.Model):
    """One run of a job that copies a Partner Center list into the portal (the customer list, ...)."""

    name = models.CharField(max_length=40, db_index=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    items = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # empty when it completed
    correlation_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.name} sync at {self.started_at:%Y-%m-%d %H:%M}"
