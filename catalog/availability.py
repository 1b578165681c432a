"""The moment of buying: an availability read again from Partner Center, just before a line goes into a cart.

Availability ids and catalog item ids rotate (reference §6.11), so the mirror's copy may be stale by the
time staff buy. `confirm` reads the SKU's availabilities now, in the reservation scope of the subscription
(Azure plan or legacy MS-AZR-0145P: their ids differ and are never mixed), finds the one for the term,
billing plan and segment staff picked, and returns its fresh ids; a rotated id is written back to the
mirror so the next reader starts from it. What can no longer be bought is refused with a reason staff can
act on (`AvailabilityRefused`). `validate_quantity` checks a quantity against the SKU's limits.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from django.db import transaction
from django.utils.translation import gettext as _

from catalog import mirrors, rows, search
from catalog.models import Availability, Mirror, Sku
from partnercenter import catalog as pc_catalog
from partnercenter import errors
from partnercenter import models as pc
from partnercenter.errors import PartnerCenterError
from partnercenter.transport import Transport
from portal import markets
from portal.models import Customer, CustomerSubscription

logger = logging.getLogger(__name__)

DEFAULT_SEGMENT = "commercial"  # reservations are sold to the commercial segment


class Refusal(StrEnum):
    MARKET_BLOCKED = "market-blocked"
    NOT_OFFERED = "not-offered"  # product or SKU no longer sold in the market (for this scope)
    TERM_GONE = "term-gone"  # the SKU is sold, but not for that term, billing plan or segment any more
    NOT_PURCHASABLE = "not-purchasable"
    TRY_AGAIN = "try-again"  # throttled, unreachable, or a server error: the same call can succeed later
    REFUSED = "refused"  # any other refusal by Partner Center


class AvailabilityRefused(Exception):
    """The line cannot go into a cart. `user_message` says why and what to do, in plain words."""

    def __init__(
        self,
        reason: Refusal,
        user_message: str,
        *,
        retry_after: int | None = None,
        correlation_id: str = "",
    ) -> None:
        super().__init__(user_message)
        self.reason = reason
        self.user_message = user_message
        self.retry_after = retry_after  # seconds, when Partner Center said how long to wait
        self.correlation_id = correlation_id


class QuantityRefused(ValueError):
    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


@dataclass(frozen=True)
class ConfirmedAvailability:
    """An availability as Partner Center serves it now: what a cart line needs."""

    product_id: str
    sku_id: str
    availability_id: str
    catalog_item_id: str  # goes into CartLineItem.catalogItemId
    reservation_scope: str  # "AzurePlan", or "" for legacy MS-AZR-0145P subscriptions
    term_duration: str  # ISO 8601, e.g. P1Y
    term_months: int
    billing_plan: str  # a BillingCycleType wire value, e.g. one_time
    segment: str
    currency_code: str
    currency_symbol: str
    minimum_quantity: int
    maximum_quantity: int | None  # None: Partner Center sets no upper limit
    replaced_from: str | None = None  # the mirror's stale availability id, when it had rotated


class QuantityLimits(Protocol):
    minimum_quantity: int | None
    maximum_quantity: int | None


def confirm(
    transport: Transport,
    customer: Customer,
    subscription: CustomerSubscription,
    *,
    product_id: str,
    sku_id: str,
    term_months: int,
    billing_plan: str,
    segment: str = DEFAULT_SEGMENT,
) -> ConfirmedAvailability:
    """The availability of the SKU for this term and billing plan, read from Partner Center now.

    Raises AvailabilityRefused when it cannot be bought. When its id rotated since the mirror copied it,
    the mirror's rows of the SKU are updated in place and `replaced_from` names the stale id.
    """
    try:
        markets.ensure_can_buy(customer)
    except markets.MarketBlocked as blocked:
        raise AvailabilityRefused(Refusal.MARKET_BLOCKED, blocked.user_message) from blocked
    scope = mirrors.scope_for(subscription)
    mirror = mirrors.mirror_for(customer.country, scope)
    try:
        fresh = list(
            pc_catalog.list_availabilities(
                transport,
                product_id,
                sku_id,
                country=customer.country,
                target_segment=segment,
                reservation_scope=scope or None,
            )
        )
    except PartnerCenterError as exc:
        logger.warning(
            "availabilities of %s/%s in %s %r not read: %s", product_id, sku_id, customer.country, scope, exc
        )
        raise _refusal_for(exc) from exc
    if not fresh:
        raise AvailabilityRefused(Refusal.NOT_OFFERED, _not_offered())

    sku = _sku_row(mirror, product_id, sku_id)
    if sku is None:
        # Not in the mirror (a refresh removed it meanwhile, or never synced): rows are built, unsaved,
        # from what Partner Center embeds in the availability.
        sku = _unsaved_sku(mirror, fresh[0], product_id, sku_id)
    candidates = [
        row for availability in fresh for row in rows.availability_rows(sku.product_row, sku, availability)
    ]
    wanted = [
        row
        for row in candidates
        if row.term_months == term_months
        and row.billing_plan.lower() == billing_plan.lower()
        and (row.segment or DEFAULT_SEGMENT).lower() == segment.lower()
    ]
    if not wanted:
        raise AvailabilityRefused(
            Refusal.TERM_GONE,
            _(
                "Partner Center no longer offers this SKU for the term and billing plan picked (%(term)s, "
                "%(plan)s). Refresh the catalog and pick one of the terms it offers now."
            )
            % {"term": search.term_label(term_months), "plan": search.billing_plan_label(billing_plan)},
        )
    row = next((r for r in wanted if r.is_purchasable), None)
    if row is None:
        raise AvailabilityRefused(
            Refusal.NOT_PURCHASABLE,
            _(
                "Partner Center lists this SKU but does not allow it to be bought at the moment. "
                "Pick another SKU."
            ),
        )

    replaced_from = _update_mirror(sku, candidates, row) if sku.pk else None
    fresh_sku = next((a.sku for a in fresh if a.sku is not None and a.sku.id), None)
    minimum, maximum = _quantity_range(fresh_sku, sku)
    if replaced_from:
        logger.info(
            "availability of %s/%s (%s, %r) rotated: %s -> %s",
            product_id,
            sku_id,
            customer.country,
            scope,
            replaced_from,
            row.availability_id,
        )
    return ConfirmedAvailability(
        product_id=row.product_id,
        sku_id=row.sku_id,
        availability_id=row.availability_id,
        catalog_item_id=row.catalog_item_id,
        reservation_scope=scope,
        term_duration=row.term_duration,
        term_months=term_months,
        billing_plan=row.billing_plan,
        segment=row.segment or segment,
        currency_code=row.currency_code,
        currency_symbol=row.currency_symbol,
        minimum_quantity=minimum,
        maximum_quantity=maximum,
        replaced_from=replaced_from,
    )


def validate_quantity(sku: QuantityLimits, quantity: int | str) -> int:
    """The quantity as a whole number within the SKU's limits, or QuantityRefused saying what is allowed.

    `sku` is a mirror Sku row or a ConfirmedAvailability (fresher). A form's text is accepted as given.
    """
    try:
        value = int(str(quantity).strip())
    except ValueError:
        raise QuantityRefused(_("The quantity must be a whole number, such as 1 or 2.")) from None
    minimum = max(1, sku.minimum_quantity or 1)
    maximum = sku.maximum_quantity
    if value < minimum:
        raise QuantityRefused(_("The quantity must be at least %(minimum)s.") % {"minimum": minimum})
    if maximum is not None and value > maximum:
        raise QuantityRefused(
            _("At most %(maximum)s of this SKU can be bought at once.") % {"maximum": maximum}
        )
    return value


def published_sku(subscription: CustomerSubscription, product_id: str, sku_id: str) -> Sku | None:
    """The SKU in the published catalog of the subscription's market and reservation scope, if there."""
    country = subscription.customer.country
    if not country:
        return None  # not read from Partner Center yet: no market, no catalog
    return _sku_row(mirrors.mirror_for(country, mirrors.scope_for(subscription)), product_id, sku_id)


# --- the mirror ----------------------------------------------------------------------------------------


def _sku_row(mirror: Mirror, product_id: str, sku_id: str) -> Sku | None:
    if not mirror.is_ready:
        return None
    return (
        Sku.objects.select_related("product_row", "mirror")
        .filter(mirror=mirror, generation=mirror.generation, product_id=product_id, sku_id=sku_id)
        .first()
    )


def _unsaved_sku(mirror: Mirror, availability: pc.Availability, product_id: str, sku_id: str) -> Sku:
    product = rows.product_row(mirror, mirror.generation, availability.product or pc.Product(id=product_id))
    product.product_id = product_id
    sku = rows.sku_row(product, availability.sku or pc.Sku(id=sku_id))
    sku.sku_id = sku_id
    return sku


def _update_mirror(sku: Sku, fresh_rows: list[Availability], chosen: Availability) -> str | None:
    """Write the fresh ids over the mirror's rows of the SKU; the stale id of the chosen line, if any.

    Only the SKU's own rows are touched (its mirror, scope and generation): another scope's rows belong to
    another mirror and never receive these ids. A line the mirror holds more than once (or Partner Center
    serves more than once) is left for the next sync to sort out rather than guessed at.
    """

    def line(row: Availability) -> tuple[str, str, str]:
        return (row.term_duration, row.billing_plan.lower(), (row.segment or DEFAULT_SEGMENT).lower())

    fresh_by_line: dict[tuple[str, str, str], list[Availability]] = {}
    for fresh in fresh_rows:
        fresh_by_line.setdefault(line(fresh), []).append(fresh)
    replaced_from = None
    with transaction.atomic():
        stored_by_line: dict[tuple[str, str, str], list[Availability]] = {}
        for row in Availability.objects.select_for_update().filter(sku_row=sku):
            stored_by_line.setdefault(line(row), []).append(row)
        for key, fresh_list in fresh_by_line.items():
            stored_list = stored_by_line.get(key, [])
            if len(fresh_list) != 1 or len(stored_list) != 1:
                continue
            fresh, row = fresh_list[0], stored_list[0]
            if (row.availability_id, row.catalog_item_id, row.is_purchasable) == (
                fresh.availability_id,
                fresh.catalog_item_id,
                fresh.is_purchasable,
            ):
                continue
            if fresh is chosen and row.availability_id != fresh.availability_id:
                replaced_from = row.availability_id
            row.availability_id = fresh.availability_id
            row.catalog_item_id = fresh.catalog_item_id
            row.is_purchasable = fresh.is_purchasable
            row.save(update_fields=["availability_id", "catalog_item_id", "is_purchasable"])
    return replaced_from


def _quantity_range(fresh_sku: pc.Sku | None, sku: Sku) -> tuple[int, int | None]:
    # The SKU embedded in a fresh availability is newer than the mirror's copy: prefer its limits.
    minimum = fresh_sku.minimum_quantity if fresh_sku and fresh_sku.minimum_quantity else sku.minimum_quantity
    maximum = fresh_sku.maximum_quantity if fresh_sku and fresh_sku.maximum_quantity else sku.maximum_quantity
    return max(1, minimum or 1), maximum


# --- words ---------------------------------------------------------------------------------------------


def _not_offered() -> str:
    return _(
        "This SKU is no longer offered in the customer's market for this kind of subscription. Refresh the "
        "catalog and pick another."
    )


def _refusal_for(exc: PartnerCenterError) -> AvailabilityRefused:
    correlation_id = exc.correlation_id or ""
    reference = " " + _("(Reference: %(id)s)") % {"id": correlation_id} if correlation_id else ""
    if isinstance(exc, errors.NotFound) and exc.code in (errors.PRODUCT_NOT_FOUND, errors.SKU_NOT_FOUND):
        return AvailabilityRefused(Refusal.NOT_OFFERED, _not_offered(), correlation_id=correlation_id)
    if exc.code == errors.OFFER_NOT_AVAILABLE_IN_MARKET:
        return AvailabilityRefused(
            Refusal.MARKET_BLOCKED,
            _("Partner Center says reservations are not offered in the customer's country or region.")
            + reference,
            correlation_id=correlation_id,
        )
    if isinstance(exc, errors.Throttled | errors.ServerError | errors.TransportError):
        retry_after = math.ceil(exc.retry_after) if exc.retry_after is not None else None
        if retry_after:
            message = _(
                "Partner Center is busy and could not confirm the price and availability. Try again in "
                "%(seconds)s seconds."
            ) % {"seconds": retry_after}
        else:
            message = _(
                "Partner Center could not be reached to confirm the price and availability. Try again in a "
                "minute."
            )
        return AvailabilityRefused(
            Refusal.TRY_AGAIN, message + reference, retry_after=retry_after, correlation_id=correlation_id
        )
    return AvailabilityRefused(
        Refusal.REFUSED,
        _("Partner Center refused to confirm this SKU's availability.") + reference,
        correlation_id=correlation_id,
    )
