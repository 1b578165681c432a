"""Purchasing: purchase requests and their lines, approvals and approval limits, orders and reservations.

A purchase request is what Sales ask to buy for one customer and one of its registered subscriptions. It is
mirrored as a Partner Center cart (orders.carts), signed off by an approver (orders.approvals), checked out
exactly once by a worker (orders.checkout), and produces one order per order group. Its states, and the only
moves between them, are in orders.transitions; the audit trail holds its timeline (one entry per move and
per call to Partner Center, with the request as the object).

Orders and reservations (entitlements) are local copies of what Partner Center says, kept by
orders.tracking: an order bought here is known from the checkout result at once, long before it appears in
Partner Center's order lists (up to 15 minutes later).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.models import Customer, CustomerSubscription

MONEY = {"max_digits": 18, "decimal_places": 4}


def days_left(until: datetime, now: datetime) -> int:
    """Days from now until then, to the nearest day (a cart made a moment ago expires "in 7 days", not 6);
    0 within the last day, and after it."""
    left = until - now
    return 0 if left < timedelta(days=1) else round(left / timedelta(days=1))


class PurchaseRequest(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        CHECKING_OUT = "checking_out", _("Checking out")
        ORDERED = "ordered", _("Ordered")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Failed")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="purchase_requests")
    # A refresh deletes subscriptions Partner Center no longer lists: the request keeps its id and name.
    subscription = models.ForeignKey(
        CustomerSubscription, on_delete=models.SET_NULL, null=True, related_name="purchase_requests"
    )
    subscription_ref = models.CharField(_("subscription id"), max_length=36)
    subscription_name = models.CharField(_("subscription"), max_length=255, blank=True)
    country = models.CharField(_("market"), max_length=2)
    reservation_scope = models.CharField(max_length=20, blank=True)  # "AzurePlan", or "" for MS-AZR-0145P
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchase_requests"
    )
    note = models.TextField(_("note for the approver"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT, db_index=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)

    # The Partner Center cart that mirrors the lines; a new one replaces it when it expires.
    cart_id = models.CharField(max_length=36, blank=True)
    cart_created_at = models.DateTimeField(null=True, blank=True)
    cart_expires_at = models.DateTimeField(null=True, blank=True)  # 7 days after creation
    cart_status = models.CharField(max_length=20, blank=True)  # Active / Ordered, as Partner Center says
    cart_synced = models.BooleanField(default=False)  # the cart holds exactly the current lines
    # The price Partner Center quoted for the cart (sum of its lines), in its currency; None when the
    # service quoted no price for some line.
    currency_code = models.CharField(max_length=3, blank=True)
    quoted_total = models.DecimalField(**MONEY, null=True, blank=True)

    # Checkout: the worker that holds the lease may call Partner Center; another takes over after it.
    checkout_lease_until = models.DateTimeField(null=True, blank=True, db_index=True)
    checkout_attempts = models.PositiveIntegerField(default=0)
    checkout_started_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    last_error = models.TextField(blank=True)  # in plain words, for the page
    last_error_code = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"PR-{self.pk or 0:06d}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_editable(self) -> bool:
        return self.state == self.State.DRAFT

    def latest_approval(self) -> Approval | None:
        return (
            self.approvals.filter(decision=Approval.Decision.APPROVED).order_by("-decided_at", "-id").first()
        )


OPEN_STATES = frozenset(
    {
        PurchaseRequest.State.DRAFT,
        PurchaseRequest.State.AWAITING_APPROVAL,
        PurchaseRequest.State.APPROVED,
        PurchaseRequest.State.CHECKING_OUT,
    }
)


class PurchaseLine(models.Model):
    """One reservation to buy: a catalog item, a quantity, a term and a scope."""

    class Scope(models.TextChoices):
        SINGLE = "single", _("Single subscription")
        SHARED = "shared", _("Shared")

    request = models.ForeignKey(PurchaseRequest, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()  # the cart line's id
    product_id = models.CharField(max_length=40)
    sku_id = models.CharField(max_length=40)
    availability_id = models.CharField(max_length=40)
    catalog_item_id = models.CharField(max_length=130)
    title = models.CharField(_("reservation"), max_length=300)
    region = models.CharField(_("region"), max_length=100, blank=True)
    term_duration = models.CharField(max_length=10)  # P1Y, P3Y
    term_months = models.PositiveIntegerField()
    billing_plan = models.CharField(max_length=20, default="one_time")
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.SHARED)
    friendly_name = models.CharField(_("friendly name"), max_length=120, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    minimum_quantity = models.PositiveIntegerField(default=1)
    maximum_quantity = models.PositiveIntegerField(null=True, blank=True)

    # What the cart said of the line: its price and currency, its order group, or its error.
    currency_code = models.CharField(max_length=3, blank=True)
    unit_price = models.DecimalField(**MONEY, null=True, blank=True)
    extended_price = models.DecimalField(**MONEY, null=True, blank=True)
    order_group = models.CharField(max_length=40, blank=True)
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)  # in plain words

    # What checkout made of the line's order group.
    order = models.ForeignKey("Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    order_error_code = models.CharField(max_length=40, blank=True)
    order_error_message = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="purchase_line_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.title}"

    @property
    def term_years(self) -> int:
        return self.term_months // 12

    @property
    def duration(self) -> str:
        """The provisioning context's spelling of the term: 1Year, 3Year."""
        return f"{self.term_years}Year"

    def frozen(self) -> dict[str, object]:
        """What an approval signs off for this line (see Approval.snapshot)."""
        return {
            "position": self.position,
            "catalog_item_id": self.catalog_item_id,
            "product_id": self.product_id,
            "sku_id": self.sku_id,
            "title": self.title,
            "quantity": self.quantity,
            "term_duration": self.term_duration,
            "billing_plan": self.billing_plan,
            "scope": self.scope,
            "friendly_name": self.friendly_name,
            "currency_code": self.currency_code,
            "unit_price": str(self.unit_price) if self.unit_price is not None else None,
            "extended_price": str(self.extended_price) if self.extended_price is not None else None,
        }


class Approval(models.Model):
    """An approver's decision on a request, with what was signed off frozen beside it."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    request = models.ForeignKey(PurchaseRequest, on_delete=models.PROTECT, related_name="approvals")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    # Frozen: the cart and the lines (catalog items, quantities, terms, scope, prices) as approved.
    cart_id = models.CharField(max_length=36, blank=True)
    currency_code = models.CharField(max_length=3, blank=True)
    total = models.DecimalField(**MONEY, null=True, blank=True)
    snapshot = models.JSONField(default=list)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.request} {self.decision} by {self.decided_by}"


class ApprovalLimit(models.Model):
    """The most an approver may approve in one request, per currency.

    An approver with no limit at all approves any amount; one with limits approves only requests in a
    currency they have a limit for, up to it, and only requests with a quoted price.
    """

    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_limits"
    )
    currency_code = models.CharField(_("currency"), max_length=3)
    max_amount = models.DecimalField(_("up to"), **MONEY)

    class Meta:
        verbose_name = _("approval limit")
        verbose_name_plural = _("approval limits")
        constraints = [
            models.UniqueConstraint(fields=["approver", "currency_code"], name="approval_limit_unique"),
            models.CheckConstraint(condition=models.Q(max_amount__gte=0), name="approval_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.approver}: {self.max_amount} {self.currency_code}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.currency_code = self.currency_code.upper()
        super().save(*args, **kwargs)


class Order(models.Model):
    """A Partner Center order of a customer, as last known: from the checkout result, then from reads."""

    class Source(models.TextChoices):
        CHECKOUT = "checkout", _("Checkout result")
        LIST = "list", _("Partner Center's order list")

    class Provisioning(models.TextChoices):
        """The order's provisioning in one word (orders.tracking.provisioning_summary). Not the field's
        choices: Partner Center's spelling of each line's status is kept as it came."""

        FULFILLED = "fulfilled", _("Fulfilled: the reservations are ready to use")
        PENDING = "pending", _("Pending: Microsoft is still setting them up")
        PARTIAL = "partial", _("Partly fulfilled: some lines were not provisioned")
        UNFULFILLED = "unfulfilled", _("Unfulfilled: nothing was provisioned (cancelled)")

    id = models.CharField(primary_key=True, max_length=64)  # Partner Center's order id
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    purchase_request = models.ForeignKey(
        PurchaseRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    approval = models.ForeignKey(Approval, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices)
    billing_cycle = models.CharField(_("billing cycle"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=30, blank=True)  # pending, completed, ...
    currency_code = models.CharField(max_length=3, blank=True)
    total_price = models.DecimalField(**MONEY, null=True, blank=True)
    creation_date = models.DateTimeField(_("created"), null=True, blank=True)
    transaction_type = models.CharField(max_length=30, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)  # last read from Partner Center (by id or listed)
    listed_at = models.DateTimeField(null=True, blank=True)  # first seen in Partner Center's lists
    # Provisioning status (App+User only): the summary over the lines, and when it was read.
    provisioning_status = models.CharField(max_length=30, blank=True)
    provisioning_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-creation_date", "-recorded_at"]
        indexes = [models.Index(fields=["customer", "-creation_date"], name="order_customer_date_idx")]

    def __str__(self) -> str:
        return self.id

    @property
    def is_pending(self) -> bool:
        return self.status.lower() not in {"completed", "cancelled"}

    @property
    def awaits_listing(self) -> bool:
        """Bought through the portal, and not in Partner Center's order lists yet (they lag up to 15 min)."""
        return self.source == self.Source.CHECKOUT and self.listed_at is None

    @property
    def status_label(self) -> str:
        return _label(ORDER_STATUS_LABELS, self.status) or str(_("unknown"))

    @property
    def billing_cycle_label(self) -> str:
        return _label(BILLING_CYCLE_LABELS, self.billing_cycle)

    @property
    def provisioning_label(self) -> str:
        return _label(dict(self.Provisioning.choices), self.provisioning_status)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_item_number = models.PositiveIntegerField()
    offer_id = models.CharField(max_length=130, blank=True)  # the catalog item id that was bought
    product_id = models.CharField(max_length=40, blank=True)
    sku_id = models.CharField(max_length=40, blank=True)
    friendly_name = models.CharField(max_length=300, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    term_duration = models.CharField(max_length=10, blank=True)
    subscription_id = models.CharField(max_length=64, blank=True)  # once provisioned
    provisioning_status = models.CharField(max_length=30, blank=True)
    purchase_line = models.ForeignKey(
        PurchaseLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="order_lines"
    )

    class Meta:
        ordering = ["line_item_number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_item_number"], name="order_line_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_item_number}"

    @property
    def provisioning_label(self) -> str:
        return _label(LINE_PROVISIONING_LABELS, self.provisioning_status)

    @property
    def term_label(self) -> str:
        """The term in words: P1Y is one year, P36M 36 months; anything else as Partner Center wrote it."""
        match = re.fullmatch(r"P(\d+)([YM])", self.term_duration.strip().upper())
        if match is None:
            return self.term_duration
        count = int(match.group(1))
        if match.group(2) == "Y":
            return ngettext("%(count)d year", "%(count)d years", count) % {"count": count}
        return ngettext("%(count)d month", "%(count)d months", count) % {"count": count}


class Reservation(models.Model):
    """A reserved-instance entitlement of a customer (what it owns), as last read from Partner Center."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="reservations")
    order_ref = models.CharField(_("order id"), max_length=64, blank=True)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="reservations"
    )
    line_item_id = models.CharField(max_length=40, blank=True)
    product_id = models.CharField(max_length=40, blank=True)
    sku_id = models.CharField(max_length=40, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    entitlement_type = models.CharField(max_length=60, blank=True)
    reservation_type = models.CharField(max_length=60, blank=True)  # virtualmachines, sqldatabases, ...
    resource_id = models.CharField(_("reservation order id"), max_length=64, blank=True)
    expiry_date = models.DateTimeField(_("expires"), null=True, blank=True)
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["expiry_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "order_ref", "line_item_id", "resource_id"], name="reservation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id}/{self.sku_id} x {self.quantity}"


# Plain words for Partner Center's values (reference §7.1 to §7.3); a value not here is shown as it came.
ORDER_STATUS_LABELS = {
    "pending": _("Pending"),
    "completed": _("Completed"),
    "cancelled": _("Cancelled"),
    "suspended": _("Suspended"),
    "pending_review": _("Pending review"),
    "pending_po_upload": _("Waiting for a purchase order"),
    "po_upload_complete": _("Purchase order received"),
    "po_review_rejected": _("Purchase order rejected"),
    "partial_success": _("Partly successful"),
    "error": _("Error"),
    "unknown": _("unknown"),
}
BILLING_CYCLE_LABELS = {
    "one_time": _("One-time"),
    "monthly": _("Monthly"),
    "annual": _("Annual"),
    "triennial": _("Triennial"),
    "biennial": _("Biennial"),
    "none": _("None"),
    "unknown": _("unknown"),
}
LINE_PROVISIONING_LABELS = {
    "fulfilled": _("Fulfilled: the reservation is ready to use"),
    "prefulfillment_pending": _("Pending: Microsoft is still setting it up"),
    "unfulfilled": _("Unfulfilled: it was not provisioned (cancelled)"),
}


def _label(labels: dict[str, Any], value: str) -> str:
    """The plain words for a wire value, matched as partnercenter's enums match (case, `_`, spaces)."""
    if not value:
        return ""
    squashed = {_squash(key): label for key, label in labels.items()}
    found = squashed.get(_squash(value))
    return str(found) if found is not None else value


def _squash(value: str) -> str:
    return "".join(c for c in value.lower() if c.isalnum())
