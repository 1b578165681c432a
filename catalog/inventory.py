"""Whether Microsoft can supply a reservation SKU for this customer, subscription and region, right now.

Virtual machine reservations carry the `InventoryCheck` prerequisite (reference §6.10): Microsoft may have
no capacity left for a size in a region, for everyone or for some subscriptions only. Partner Center
answers a check with restrictions; the portal puts them into plain words. A check is a read: it changes
nothing, so it is logged with its correlation id rather than written to the audit trail.

Which subscription id goes into `inventoryContext.azureSubscriptionId` is not settled by the reference
(§8, "unconfirmed"): the documented samples send the Partner Center subscription id, while for an Azure
plan the Azure subscription GUID under it is also plausible. The portal sends the Partner Center
subscription id by default, as documented, and lets staff pick one of the plan's own Azure subscriptions
instead; any other id is refused before Partner Center is asked.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from enum import StrEnum

from django.utils.translation import gettext as _

from catalog.models import Sku
from partnercenter import catalog as pc_catalog
from partnercenter import errors
from partnercenter.errors import PartnerCenterError
from partnercenter.models import InventoryItem, InventoryTarget, Restriction
from partnercenter.transport import Transport
from portal import markets
from portal.models import Customer, CustomerSubscription

logger = logging.getLogger(__name__)

# inventoryVariables values (reference §7.7), compared lower-cased: Partner Center's casing varies.
CUSTOMER_ID = "customerid"
AZURE_SUBSCRIPTION_ID = "azuresubscriptionid"
ARM_REGION_NAME = "armregionname"

NOT_AVAILABLE_FOR_SUBSCRIPTION = "notavailableforsubscription"  # the one reason code the docs show


class Outcome(StrEnum):
    AVAILABLE = "available"
    RESTRICTED = "restricted"
    NOT_LISTED = "not-listed"  # Partner Center left the SKU out of its answer: it no longer knows it
    NOT_REQUIRED = "not-required"  # the SKU has no InventoryCheck prerequisite: nothing to ask
    FAILED = "failed"  # the check could not be made (blocked market, throttled, refused, unreachable)


@dataclass(frozen=True)
class InventoryResult:
    """What staff see after a check. `reasons` and `message` are in plain words, ready to show."""

    outcome: Outcome
    checked_for: str = ""  # the subscription the check was made for, as staff know it
    subscription_id: str = ""  # the id sent as azureSubscriptionId ("" when not sent)
    region: str = ""  # display name of the SKU's region
    reasons: tuple[str, ...] = ()  # one per restriction
    message: str = ""
    retry_after: int | None = None  # seconds Partner Center asked to wait, when it throttled
    correlation_id: str = ""

    @property
    def available(self) -> bool:
        """Nothing stands in the way as far as inventory goes."""
        return self.outcome in (Outcome.AVAILABLE, Outcome.NOT_REQUIRED)


class WrongAzureSubscription(Exception):
    """The Azure subscription given is not one of the plan's: a stale page or a tampered form."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


def check(
    transport: Transport,
    customer: Customer,
    subscription: CustomerSubscription,
    sku_row: Sku,
    *,
    azure_subscription_id: str | None = None,
) -> InventoryResult:
    """Ask Partner Center whether `sku_row` can be bought for the customer's subscription, in its region.

    `azure_subscription_id`, for an Azure plan, is one of the plan's Azure subscriptions to check for
    instead of the plan itself; anything else raises WrongAzureSubscription before any call. Every other
    problem (blocked market, throttling, refusals, Partner Center down) comes back as a FAILED result.
    """
    if subscription.customer_id != customer.pk:
        raise ValueError(f"subscription {subscription.pk} is not a subscription of customer {customer.pk}")
    checked_id, checked_for = _subscription_to_check(subscription, azure_subscription_id)
    # Every answer names what was checked; the outcome and its words are filled in below.
    base = InventoryResult(
        Outcome.FAILED, checked_for=checked_for, region=sku_row.region or sku_row.arm_region_name
    )
    try:
        markets.ensure_can_buy(customer)
    except markets.MarketBlocked as blocked:
        return replace(base, message=blocked.user_message)
    if not sku_row.inventory_check:
        return replace(base, outcome=Outcome.NOT_REQUIRED)

    variables = {str(name).lower() for name in sku_row.inventory_variables}
    unknown = variables - {CUSTOMER_ID, AZURE_SUBSCRIPTION_ID, ARM_REGION_NAME}
    if unknown:
        # A variable the portal has no value for: sent without it, Partner Center says what it thinks.
        logger.warning(
            "inventory check of %s/%s: unknown variables %s", sku_row.product_id, sku_row.sku_id, unknown
        )
    if ARM_REGION_NAME in variables and not sku_row.arm_region_name:
        return replace(
            base,
            message=_(
                "The catalog does not say which region this SKU is in, so it cannot be checked. "
                "Refresh the catalog and try again."
            ),
        )
    sent_subscription = checked_id if AZURE_SUBSCRIPTION_ID in variables else ""
    try:
        items = pc_catalog.check_inventory(
            transport,
            country=customer.country,
            targets=[InventoryTarget(sku_row.product_id, sku_row.sku_id)],
            customer_id=customer.pk,
            azure_subscription_id=sent_subscription or None,
            arm_region_name=sku_row.arm_region_name if ARM_REGION_NAME in variables else None,
        )
    except PartnerCenterError as exc:
        logger.warning(
            "inventory check of %s/%s for customer %s, subscription %s failed: %s",
            sku_row.product_id,
            sku_row.sku_id,
            customer.pk,
            checked_id,
            exc,
        )
        return replace(
            base,
            subscription_id=sent_subscription,
            message=_failure_message(exc),
            retry_after=_seconds(exc.retry_after),
            correlation_id=exc.correlation_id or "",
        )

    item = _item_for(items, sku_row)
    correlation_id = _correlation_id(items)
    if item is None:
        outcome, reasons = Outcome.NOT_LISTED, ()
        message = _(
            "Partner Center no longer lists this SKU for the customer's market, so it cannot be bought. "
            "Refresh the catalog and pick another SKU."
        )
    elif item.is_restricted:
        outcome, message = Outcome.RESTRICTED, ""
        reasons = tuple(_reason(r, sku_row) for r in item.restrictions) or (
            _("Partner Center says this SKU is restricted for this subscription, without giving a reason."),
        )
    else:
        outcome, reasons, message = Outcome.AVAILABLE, (), ""
    logger.info(
        "inventory check of %s/%s in %s for customer %s, subscription %s: %s (correlation id %s)",
        sku_row.product_id,
        sku_row.sku_id,
        sku_row.arm_region_name,
        customer.pk,
        checked_id,
        outcome,
        correlation_id,
    )
    return replace(
        base,
        outcome=outcome,
        subscription_id=sent_subscription,
        reasons=reasons,
        message=message,
        correlation_id=correlation_id,
    )


def _subscription_to_check(
    subscription: CustomerSubscription, azure_subscription_id: str | None
) -> tuple[str, str]:
    """(id to send, name staff know it by): the Partner Center subscription, or an Azure subscription of
    the plan."""
    wanted = (azure_subscription_id or "").strip().lower()
    if not wanted or wanted == subscription.pk:
        return subscription.pk, subscription.name or subscription.pk
    found = None
    if subscription.kind == CustomerSubscription.Kind.AZURE_PLAN:
        found = subscription.azure_subscriptions.filter(pk=wanted).first()
    if found is None:
        raise WrongAzureSubscription(
            _(
                "The Azure subscription chosen is not one of this Azure plan's. Reload the page and choose "
                "again from the list."
            )
        )
    return found.pk, found.name or found.pk


def _item_for(items: tuple[InventoryItem, ...], sku_row: Sku) -> InventoryItem | None:
    for item in items:
        if (item.product_id or "").upper() == sku_row.product_id.upper() and (
            item.sku_id or ""
        ).upper() == sku_row.sku_id.upper():
            return item
    return None


def _correlation_id(items: tuple[InventoryItem, ...]) -> str:
    meta = items[0].meta if items else None
    return meta.correlation_id if meta else ""


def _reason(restriction: Restriction, sku_row: Sku) -> str:
    """One restriction in words staff can act on."""
    code = (restriction.reason_code or "").lower()
    properties = {str(k).lower(): v for k, v in restriction.properties.items()}
    kind = str(properties.get("type") or "").lower()
    if code == NOT_AVAILABLE_FOR_SUBSCRIPTION and kind == "location":
        values = str(properties.get("values") or "").strip()
        # Partner Center names the region by its ARM name; staff know it by the display name.
        same_region = values.lower() == sku_row.arm_region_name.lower() and sku_row.region
        region = sku_row.region if same_region else (values or sku_row.region or sku_row.arm_region_name)
        return _(
            "Not available in %(region)s for this subscription: Microsoft has no capacity left for this "
            "size there. Try another region or size, or ask Microsoft support for a quota or capacity "
            "increase for the subscription."
        ) % {"region": region}
    if code == NOT_AVAILABLE_FOR_SUBSCRIPTION:
        return _("Not available for this subscription. Partner Center says: %(description)s") % {
            "description": restriction.description or kind or "—"
        }
    return _("Restricted (%(code)s). Partner Center says: %(description)s") % {
        "code": restriction.reason_code or _("no reason code"),
        "description": restriction.description or "—",
    }


def _seconds(value: float | None) -> int | None:
    return math.ceil(value) if value is not None else None


def _failure_message(exc: PartnerCenterError) -> str:
    """Why the check could not be made, and what to do, in plain words."""
    if isinstance(exc, errors.Throttled):
        seconds = _seconds(exc.retry_after)
        if seconds:
            message = _(
                "Partner Center is limiting requests right now. Try the check again in %(seconds)s seconds."
            ) % {"seconds": seconds}
        else:
            message = _("Partner Center is limiting requests right now. Try the check again in a minute.")
    elif isinstance(exc, errors.ServerError | errors.TransportError):
        message = _("Partner Center could not be reached or had an error. Try the check again in a minute.")
    elif exc.code == errors.OFFER_NOT_AVAILABLE_IN_MARKET:
        message = _(
            "Partner Center says reservations are not offered in the customer's country or region, so "
            "nothing can be bought for this customer."
        )
    elif exc.code == errors.SUBSCRIPTION_NOT_AZURE:
        message = _(
            "Partner Center does not recognise this subscription as an Azure subscription of the customer. "
            "Refresh the customer from Partner Center, then check again (or choose another subscription)."
        )
    elif exc.code in (errors.PRODUCT_NOT_FOUND, errors.SKU_NOT_FOUND):
        message = _("Partner Center no longer knows this SKU. Refresh the catalog and pick another SKU.")
    else:
        message = _("Partner Center refused the inventory check.")
    if exc.correlation_id:
        message += " " + _("(Reference: %(id)s)") % {"id": exc.correlation_id}
    return message
