"""Copying invoices and balances from Partner Center (the invoice sync), and reading per-currency summaries
with a staff member's own session.

The sync uses the portal's own token: the invoice list and the account balance accept it. It runs from
Celery (billing.tasks, on a schedule) and from the refresh button. An invoice seen for the first time is
announced to the staff who read billing, except on the very first sync, which imports the history.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import partnercenter as pc
from billing.models import Balance, Invoice, InvoiceSync
from orders.carts import money
from partnercenter import invoices as pc_invoices
from partnercenter.auth import TokenProvider
from partnercenter.errors import PartnerCenterError
from partnercenter.transport import Transport
from portal import audit, notifications, partner_center
from portal.roles import Capability, holders

logger = logging.getLogger(__name__)

SYNC_ACTION = "invoice-sync"
SUMMARY_ACTION = "invoice-summaries"
NOTIFICATION_KIND = "invoice-new"


def sync_invoices(
    *,
    transport: Transport | None = None,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> InvoiceSync:
    """Copy the invoice list and the account balance. Returns the run (also kept as a row). Raises a
    PartnerCenterError (recorded on the run and audited) when Partner Center could not be read; invoices
    read before the failure are kept."""
    pc_transport = transport or partner_center.transport()
    first_sync = not InvoiceSync.objects.filter(finished_at__isnull=False, error="").exists()
    run = InvoiceSync.objects.create()
    new: list[Invoice] = []
    try:
        for found in pc_invoices.list_invoices(pc_transport):
            stored, created = _store_invoice(found)
            run.invoices_seen += 1
            if created:
                new.append(stored)
        balance = pc_invoices.get_balance(pc_transport)
    except PartnerCenterError as exc:
        logger.warning("invoice sync stopped: %s", exc)
        run.error = _("Partner Center could not be read: %(reason)s") % {"reason": exc.user_message}
        run.correlation_id = (exc.correlation_id or "")[:64]
        run.invoices_new = len(new)
        run.finished_at = timezone.now()
        run.save()
        _audit(
            SYNC_ACTION,
            run.error,
            request,
            actor,
            outcome=audit.Outcome.FAILURE,
            correlation_id=run.correlation_id,
        )
        raise
    with transaction.atomic():
        _store_summary(balance, user=None, default=True)
        run.invoices_new = len(new)
        run.finished_at = timezone.now()
        run.correlation_id = (balance.meta.correlation_id if balance.meta else "") or ""
        run.save()
        if not first_sync:
            _announce(new)
    message = _("Invoices read from Partner Center: %(seen)d, new: %(new)d.") % {
        "seen": run.invoices_seen,
        "new": run.invoices_new,
    }
    _audit(SYNC_ACTION, message, request, actor, correlation_id=run.correlation_id)
    return run


def read_summaries(
    token: TokenProvider,
    user: AbstractBaseUser,
    *,
    transport: Transport | None = None,
    request: HttpRequest | None = None,
) -> list[Balance]:
    """Read the per-currency balance summaries with the user's own App+User token, and keep them. Raises a
    PartnerCenterError (audited) when Partner Center refuses or fails."""
    pc_transport = transport or partner_center.transport(for_page=True)
    try:
        found = list(pc_invoices.list_invoice_summaries(pc_transport, token=token))
    except PartnerCenterError as exc:
        _audit(
            SUMMARY_ACTION,
            _("The balance summaries could not be read: %(reason)s") % {"reason": exc.user_message},
            request,
            user,
            outcome=audit.Outcome.FAILURE,
            correlation_id=exc.correlation_id or "",
        )
        raise
    with transaction.atomic():
        stored = [
            _store_summary(summary, user=user, default=False) for summary in found if summary.currency_code
        ]
    return stored


def _store_invoice(found: pc.Invoice) -> tuple[Invoice, bool]:
    details = []
    for detail in found.invoice_details:
        if detail.billing_provider is None or detail.invoice_line_item_type is None:
            continue
        pair = {"provider": detail.billing_provider.value, "line_type": detail.invoice_line_item_type.value}
        if pair not in details:
            details.append(pair)
    values = {
        # The enum's canonical value, whichever spelling came (OneTime, one_time, ...).
        "invoice_type": found.invoice_type.value if found.invoice_type else "",
        "document_type": found.document_type.value if found.document_type else "",
        "invoice_date": found.invoice_date,
        "period_start": found.billing_period_start_date,
        "period_end": found.billing_period_end_date,
        "total_charges": found.total_charges,
        "paid_amount": found.paid_amount,
        "currency_code": (found.currency_code or "")[:3],
        "details": details,
        "read_at": timezone.now(),
    }
    return Invoice.objects.update_or_create(pk=str(found.id)[:64], defaults=values)


def _store_summary(summary: pc.InvoiceSummary, *, user: AbstractBaseUser | None, default: bool) -> Balance:
    split: dict[str, Decimal | None] = {"recurring": None, "one_time": None}
    for detail in summary.details:
        if detail.invoice_type is not None and detail.summary is not None:
            split[detail.invoice_type.value] = detail.summary.balance_amount
    values = {
        "balance": summary.balance_amount,
        "recurring": split.get("recurring"),
        "one_time": split.get("one_time"),
        "accounting_date": summary.accounting_date,
        "last_payment_date": summary.last_payment_date,
        "last_payment_amount": summary.last_payment_amount,
        "latest_invoice_date": summary.latest_invoice_date,
        "read_at": timezone.now(),
        "read_by": user,
    }
    if default:
        Balance.objects.exclude(pk=summary.currency_code).update(is_default=False)
        values["is_default"] = True
    balance, _created = Balance.objects.update_or_create(
        pk=(summary.currency_code or "")[:3], defaults=values
    )
    return balance


def _announce(new: Iterable[Invoice]) -> None:
    invoices = list(new)
    if not invoices:
        return
    readers = list(holders(Capability.VIEW_BILLING))
    for invoice in invoices:
        message = _("New %(type)s invoice %(invoice)s from Microsoft: %(total)s.") % {
            "type": invoice.type_label.lower(),
            "invoice": invoice.pk,
            "total": money(invoice.total_charges or 0, invoice.currency_code),
        }
        link = reverse("billing-invoice", args=[invoice.pk])
        for reader in readers:
            notifications.notify(reader, NOTIFICATION_KIND, message, link)


def _audit(
    action: str,
    message: str,
    request: HttpRequest | None,
    actor: AbstractBaseUser | AnonymousUser | None,
    *,
    outcome: str = audit.Outcome.SUCCESS,
    correlation_id: str = "",
) -> None:
    audit.record(
        action,
        outcome=outcome,
        request=request,
        actor=actor,
        actor_name="" if request is not None or actor is not None else "worker",
        object_type="billing.invoice",
        message=message,
        correlation_id=correlation_id[:64],
    )
