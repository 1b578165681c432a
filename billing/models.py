"""Billing: the portal's copies of the partner's invoices and balances.

Invoices and the balance are copied from Partner Center by billing.sync (Celery, on a schedule and on the
refresh button), so the invoice list filters and pages without a call. Line items are never copied: an
invoice may hold millions, so its pages, the reconciliation and the CSV exports stream them from Partner
Center page by page (billing.lines).

Per-currency summaries are App+User only: they are read with the viewer's own Microsoft session when a
Support or Admin opens the billing page, and kept with who read them and when, so the next viewer without a
session still sees the last figures, dated.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 18, "decimal_places": 4}


class Invoice(models.Model):
    class Type(models.TextChoices):
        # partnercenter.enums.InvoiceType's canonical values
        ONE_TIME = "one_time", _("One-time")
        RECURRING = "recurring", _("Recurring")

    id = models.CharField(primary_key=True, max_length=64)  # Partner Center's invoice id
    invoice_type = models.CharField(_("type"), max_length=20, blank=True, db_index=True)
    document_type = models.CharField(max_length=30, blank=True)  # invoice, void_note, adjustment_note
    invoice_date = models.DateTimeField(_("invoice date"), null=True, blank=True, db_index=True)
    period_start = models.DateTimeField(_("billing period start"), null=True, blank=True)
    period_end = models.DateTimeField(_("billing period end"), null=True, blank=True)
    total_charges = models.DecimalField(_("total charges"), **MONEY, null=True, blank=True)
    paid_amount = models.DecimalField(_("paid"), **MONEY, null=True, blank=True)
    currency_code = models.CharField(_("currency"), max_length=3, blank=True, db_index=True)
    # Which line items the invoice has: [{"provider": "one_time", "line_type": "billing_line_items"}, ...]
    details = models.JSONField(default=list)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["-invoice_date", "-id"]

    def __str__(self) -> str:
        return self.id

    @property
    def type_label(self) -> str:
        return str(dict(self.Type.choices).get(self.invoice_type, self.invoice_type))

    @property
    def is_one_time(self) -> bool:
        return self.invoice_type == self.Type.ONE_TIME


class Balance(models.Model):
    """What the partner owes in one currency, as Partner Center last said: the account balance (any token,
    read by the sync) or a per-currency summary (App+User, read with a staff member's session)."""

    currency_code = models.CharField(_("currency"), max_length=3, primary_key=True)
    balance = models.DecimalField(_("balance"), **MONEY, null=True, blank=True)
    recurring = models.DecimalField(_("recurring"), **MONEY, null=True, blank=True)
    one_time = models.DecimalField(_("one-time"), **MONEY, null=True, blank=True)
    accounting_date = models.DateTimeField(null=True, blank=True)
    last_payment_date = models.DateTimeField(null=True, blank=True)
    last_payment_amount = models.DecimalField(**MONEY, null=True, blank=True)
    latest_invoice_date = models.DateTimeField(null=True, blank=True)
    is_default = models.BooleanField(default=False)  # the partner's default currency (the account balance)
    read_at = models.DateTimeField()
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # None: read by the sync with the portal's own token

    class Meta:
        ordering = ["-is_default", "currency_code"]

    def __str__(self) -> str:
        return f"{self.currency_code} {self.balance}"


class InvoiceSync(models.Model):
    """One run of the invoice sync: when, what it found, how it ended."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    invoices_seen = models.PositiveIntegerField(default=0)
    invoices_new = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # in plain words
    correlation_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"invoice sync {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def succeeded(self) -> bool:
        return self.finished_at is not None and not self.error
