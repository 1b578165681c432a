"""The portal's copy of the partner's customers: keeping it in step with Partner Center, and searching it.

Searches read only the local tables, never Partner Center. `sync_customers` copies the customer list (names
and domains, page by page); `refresh_customer` reads one customer in full (country, subscriptions that can
carry reservations, their registration state, the Azure subscriptions under each plan).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

import partnercenter
from partnercenter import customers as pc_customers
from partnercenter import subscriptions as pc_subscriptions
from partnercenter.enums import RegistrationState
from partnercenter.errors import PartnerCenterError
from partnercenter.models import RegistrationStatus
from partnercenter.transport import Transport
from portal.models import AzureSubscription, Customer, CustomerSubscription, MirrorSync

logger = logging.getLogger(__name__)

CUSTOMER_LIST = "customers"  # MirrorSync.name of the customer list
LIST_PAGE_SIZE = 500  # the largest page Partner Center serves: 40 calls for 20,000 customers
SEARCH_PAGE_SIZE = 25
# Terms past this many add nothing a person would type, only work for the database.
MAX_SEARCH_TERMS = 8

# How reference §8 and the sandbox tell the two kinds apart: an Azure plan is offered as "Azure plan"
# (Microsoft's product DZH318Z0BPS6); a legacy Microsoft Azure subscription has the bare offer id.
AZURE_PLAN_OFFER_NAME = "azure plan"
AZURE_PLAN_PRODUCT_ID = "DZH318Z0BPS6"
LEGACY_OFFER_ID = "MS-AZR-0145P"
# A completed reservation is listed among the subscriptions too, billed as a benefit: not a place to buy.
BENEFIT_BILLING = "benefit"


_REGISTRATION = {
    RegistrationState.REGISTERED: CustomerSubscription.Registration.REGISTERED,
    RegistrationState.REGISTERING: CustomerSubscription.Registration.REGISTERING,
    RegistrationState.NOT_REGISTERED: CustomerSubscription.Registration.NOT_REGISTERED,
}


def registration_of(status: RegistrationStatus) -> str:
    """The portal's value for a registration status Partner Center answered (Unknown for a new value)."""
    if status.status is None:
        return CustomerSubscription.Registration.UNKNOWN
    return _REGISTRATION.get(status.status, CustomerSubscription.Registration.UNKNOWN)


# --- the customer list ----------------------------------------------------------------------------------


def sync_customers(transport: Transport, *, page_size: int = LIST_PAGE_SIZE) -> MirrorSync:
    """Copy Partner Center's customer list into the portal, following its paging, and record the run.

    Rows are upserted a page at a time, so searches see new names at once; only the MirrorSync finished
    without an error says the copy is complete. A customer the list did not contain keeps its row: after a
    complete run its `listed_at` is older than the run's start (see `is_still_listed`). On failure the run
    is recorded with its error and the exception is raised again, for the caller's retry policy.
    """
    sync = MirrorSync.objects.create(name=CUSTOMER_LIST)
    correlation_id = ""
    try:
        for page in pc_customers.list_customer_pages(transport, size=page_size):
            correlation_id = page.meta.correlation_id
            sync.items += _upsert_listed(page.items, listed_at=sync.started_at)
    except PartnerCenterError as exc:
        logger.warning("customer list sync stopped after %d customers: %s", sync.items, exc)
        _finish(sync, error=exc.user_message, correlation_id=exc.correlation_id or correlation_id)
        raise
    except Exception:
        logger.exception("customer list sync stopped after %d customers", sync.items)
        _finish(
            sync, error=_("The portal had an unexpected error while copying the list."), correlation_id=""
        )
        raise
    _finish(sync, error="", correlation_id=correlation_id)
    logger.info("customer list sync complete: %d customers (correlation id %s)", sync.items, correlation_id)
    return sync


def _upsert_listed(listed: Iterable[partnercenter.Customer], *, listed_at: datetime) -> int:
    rows = {}
    for item in listed:
        if not item.id:
            continue
        customer_id = item.id.lower()
        name = (item.company_name or item.domain or customer_id)[:255]
        domain = (item.domain or "")[:255]
        rows[customer_id] = Customer(
            id=customer_id,
            company_name=name,
            domain=domain,
            search_text=Customer.search_text_for(name, domain, customer_id),
            relationship=(item.relationship_to_partner or "")[:40],
            listed_at=listed_at,
        )
    with transaction.atomic():
        # One statement per page (or a few, where the database limits its parameters), never one per row.
        # The country and the read times are not in the list: an existing row keeps them.
        Customer.objects.bulk_create(
            rows.values(),
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["company_name", "domain", "search_text", "relationship", "listed_at"],
        )
    return len(rows)


def _finish(sync: MirrorSync, *, error: str, correlation_id: str) -> None:
    sync.finished_at = timezone.now()
    sync.error = error
    sync.correlation_id = correlation_id[:64]
    sync.save(update_fields=["finished_at", "items", "error", "correlation_id"])


def last_complete_sync() -> MirrorSync | None:
    """The latest copy of the customer list that went through to its last page."""
    return MirrorSync.objects.filter(name=CUSTOMER_LIST, finished_at__isnull=False, error="").first()


def last_failed_sync(since: MirrorSync | None) -> MirrorSync | None:
    """The latest copy of the list that stopped on an error, if it started after `since` (the last
    complete one, from last_complete_sync)."""
    failed = MirrorSync.objects.filter(name=CUSTOMER_LIST, finished_at__isnull=False).exclude(error="")
    if since is not None:
        failed = failed.filter(started_at__gt=since.started_at)
    return failed.first()


def is_still_listed(customer: Customer, last_complete: MirrorSync | None) -> bool:
    """False when a complete copy of the list, made after the customer was last seen in it, lacked it."""
    return last_complete is None or customer.listed_at >= last_complete.started_at


# --- one customer in full -------------------------------------------------------------------------------


def subscription_kind(subscription: partnercenter.Subscription) -> str | None:
    """Azure plan, legacy Microsoft Azure (MS-AZR-0145P), or None for anything else (licences,
    reservations already bought, ...)."""
    if (subscription.billing_type or "").lower() == BENEFIT_BILLING:
        return None
    offer_id = (subscription.offer_id or "").strip().upper()
    if offer_id == LEGACY_OFFER_ID:
        return CustomerSubscription.Kind.LEGACY
    offer_name = (subscription.offer_name or "").strip().lower()
    if offer_name == AZURE_PLAN_OFFER_NAME or offer_id.split(":", 1)[0] == AZURE_PLAN_PRODUCT_ID:
        return CustomerSubscription.Kind.AZURE_PLAN
    return None


def refresh_customer(
    transport: Transport, customer_id: str, *, correlation_ids: list[str] | None = None
) -> Customer:
    """Read the customer, its Azure subscriptions and their registration state from Partner Center.

    Everything is read first and written in one transaction, so a failure leaves the previous copy whole.
    Raises the client's NotFound for a customer Partner Center does not know. A registration status that
    cannot be read does not stop the refresh: the subscription keeps the last state read (Unknown for a new
    one). `correlation_ids`, when given, receives the correlation id of each call, in order, for the audit.
    """
    trail = correlation_ids if correlation_ids is not None else []
    customer_id = customer_id.lower()
    found = pc_customers.get_customer(transport, customer_id)
    if found.meta is not None:
        trail.append(found.meta.correlation_id)

    wanted = []
    for subscription in pc_subscriptions.list_subscriptions(transport, customer_id):
        kind = subscription_kind(subscription)
        if kind is not None and subscription.id:
            wanted.append((subscription, kind))

    registrations: dict[str, str | None] = {}
    azure: dict[str, list[partnercenter.AzureEntitlement]] = {}
    for subscription, kind in wanted:
        sub_id = str(subscription.id)
        if kind == CustomerSubscription.Kind.AZURE_PLAN:
            # A legacy subscription is itself the Azure subscription: only plans have some under them.
            azure[sub_id] = list(pc_subscriptions.list_azure_entitlements(transport, customer_id, sub_id))
        registrations[sub_id] = _registration_of(transport, customer_id, sub_id, trail)

    now = timezone.now()
    with transaction.atomic():
        customer = _save_details(customer_id, found, now)
        _save_subscriptions(customer, wanted, registrations, azure, now)
    return customer


def _registration_of(
    transport: Transport, customer_id: str, subscription_id: str, trail: list[str]
) -> str | None:
    """The registration state in the model's spelling; None when it could not be read."""
    try:
        status = pc_subscriptions.get_registration_status(transport, customer_id, subscription_id)
    except PartnerCenterError as exc:
        logger.warning("registration status of subscription %s not read: %s", subscription_id, exc)
        if exc.correlation_id:
            trail.append(exc.correlation_id)
        return None
    if status.meta is not None:
        trail.append(status.meta.correlation_id)
    if status.status is None:
        return None  # nothing known: the subscription keeps what was last read
    return registration_of(status)


def _save_details(customer_id: str, found: partnercenter.Customer, now: datetime) -> Customer:
    # Known to Partner Center but maybe not yet copied from its list: if so, it is in the list as of now.
    # get_or_create survives a concurrent first read; the lock then makes concurrent refreshes take turns.
    Customer.objects.get_or_create(
        id=customer_id, defaults={"company_name": found.company_name or customer_id, "listed_at": now}
    )
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    customer.company_name = (found.company_name or found.domain or customer.company_name)[:255]
    customer.domain = (found.domain or customer.domain)[:255]
    customer.country = (found.country or "")[:2]
    customer.relationship = (found.relationship_to_partner or customer.relationship)[:40]
    customer.details_read_at = now
    customer.subscriptions_read_at = now
    customer.save()
    return customer


def _save_subscriptions(
    customer: Customer,
    wanted: list[tuple[partnercenter.Subscription, str]],
    registrations: dict[str, str | None],
    azure: dict[str, list[partnercenter.AzureEntitlement]],
    now: datetime,
) -> None:
    kept = []
    for subscription, kind in wanted:
        sub_id = str(subscription.id)
        fields: dict[str, object] = {
            "customer": customer,
            "kind": kind,
            "offer_id": (subscription.offer_id or "")[:120],
            "name": (subscription.friendly_name or subscription.offer_name or sub_id)[:255],
            "status": subscription.status.value if subscription.status else "",
        }
        registration = registrations.get(sub_id)
        if registration is not None:
            fields.update(registration=registration, registration_read_at=now)
        local, _created = CustomerSubscription.objects.update_or_create(id=sub_id, defaults=fields)
        kept.append(sub_id)
        if sub_id in azure:
            _save_azure_subscriptions(local, azure[sub_id])
    # Gone from Partner Center's list: gone here too, with what hung on them.
    customer.subscriptions.exclude(id__in=kept).delete()


def _save_azure_subscriptions(
    plan: CustomerSubscription, entitlements: list[partnercenter.AzureEntitlement]
) -> None:
    kept = []
    for entitlement in entitlements:
        if not entitlement.id:
            continue
        AzureSubscription.objects.update_or_create(
            id=entitlement.id.lower(),
            defaults={
                "plan": plan,
                "name": (entitlement.friendly_name or "")[:255],
                "status": entitlement.status.value if entitlement.status else "",
            },
        )
        kept.append(entitlement.id.lower())
    plan.azure_subscriptions.exclude(id__in=kept).delete()


def fill_customer_details(transport: Transport, *, limit: int) -> int:
    """Refresh up to `limit` customers whose details were never read, longest-listed first; returns how
    many were read. One that Partner Center refuses (4xx) is skipped and goes after all the others; a
    throttled or failing Partner Center stops the run, for the caller to try again later."""
    pending = Customer.objects.filter(details_read_at__isnull=True).order_by(
        F("details_failed_at").asc(nulls_first=True), "listed_at", "id"
    )
    done = 0
    for customer_id in pending.values_list("id", flat=True)[:limit]:
        try:
            refresh_customer(transport, customer_id)
        except PartnerCenterError as exc:
            if exc.retryable:
                raise
            logger.warning("customer %s not read: %s", customer_id, exc)
            # To the back of the queue: the next runs read the others first.
            Customer.objects.filter(pk=customer_id).update(details_failed_at=timezone.now())
            continue
        done += 1
    return done


# --- search ---------------------------------------------------------------------------------------------


def search(query: str, page: int | str | None) -> Page[Customer]:
    """Customers whose company name, domain or tenant id contains every word of the query (any case),
    by name, SEARCH_PAGE_SIZE a page. An out-of-range or malformed page number gives the nearest page."""
    found = Customer.objects.all()
    for term in query.lower().split()[:MAX_SEARCH_TERMS]:
        # search_text is already lower-case, so a plain LIKE does; icontains would lower the column too.
        found = found.filter(search_text__contains=term)
    return Paginator(found.order_by("company_name", "id"), SEARCH_PAGE_SIZE).get_page(page)
