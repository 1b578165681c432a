"""From Partner Center's catalog resources to the mirror's rows (unsaved), and nothing else.

Partner Center promises no key of a SKU's `dynamicAttributes`, spells durations two ways (`P1Y` on terms,
`1Year`/`3Years` on SKUs) and may or may not put a billing cycle on a term. Every reading here is tolerant:
a missing or odd value leaves its column empty, never fails the sync.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from catalog.models import Availability, Mirror, Product, Sku
from partnercenter import models as pc

INVENTORY_CHECK = "inventorycheck"  # purchasePrerequisites value, compared case-insensitively

_ISO_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?$", re.IGNORECASE)
_SKU_DURATION = re.compile(r"^(\d+)\s*(year|month)s?$", re.IGNORECASE)


def term_months(duration: str | None) -> int | None:
    """Months of a term: "P1Y" -> 12, "P3Y" -> 36, "P1M" -> 1; also the SKU spelling "1Year", "3Years"."""
    text = (duration or "").strip()
    if match := _ISO_DURATION.match(text):
        years, months = match.groups()
        if years is None and months is None:
            return None
        return int(years or 0) * 12 + int(months or 0)
    if match := _SKU_DURATION.match(text):
        count, unit = match.groups()
        return int(count) * (12 if unit.lower() == "year" else 1)
    return None


def iso_duration(months: int) -> str:
    """The ISO 8601 spelling of a whole number of months: 12 -> "P1Y", 1 -> "P1M"."""
    return f"P{months // 12}Y" if months % 12 == 0 else f"P{months}M"


def _attribute(attributes: Mapping[str, Any], *names: str) -> str:
    lowered = {str(key).lower(): value for key, value in attributes.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value is not None and str(value).strip():
            return str(value).strip()
    return ""


def _whole(text: str) -> int | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return int(value) if value == value.to_integral_value() and 0 <= value < 10**6 else None


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value.quantize(Decimal("0.01")) if value.is_finite() and 0 <= value < 10**7 else None


def _clip(text: str | None, length: int) -> str:
    return (text or "")[:length]


def product_row(mirror: Mirror, generation: int, product: pc.Product) -> Product:
    sub_type = product.product_type.sub_type if product.product_type else None
    return Product(
        mirror=mirror,
        generation=generation,
        product_id=_clip(product.id, 64),
        title=_clip(product.title or product.id, 255),
        description=product.description or "",
        family=_clip(sub_type.id if sub_type else "", 80),
        family_name=_clip((sub_type.display_name or sub_type.id) if sub_type else "", 120),
        raw=dict(product.raw or {}),
    )


def sku_row(product: Product, sku: pc.Sku) -> Sku:
    attributes = dict(sku.dynamic_attributes or {})
    prerequisites = list(sku.purchase_prerequisites)
    return Sku(
        mirror=product.mirror,
        generation=product.generation,
        product_row=product,
        product_id=product.product_id,
        sku_id=_clip(sku.id, 64),
        title=_clip(sku.title or sku.id, 255),
        description=sku.description or "",
        minimum_quantity=sku.minimum_quantity,
        maximum_quantity=sku.maximum_quantity,
        billing_cycles=[str(cycle.value) for cycle in sku.supported_billing_cycles],
        prerequisites=prerequisites,
        inventory_variables=list(sku.inventory_variables),
        provisioning_variables=list(sku.provisioning_variables),
        dynamic_attributes=attributes,
        arm_sku_name=_clip(_attribute(attributes, "armSkuName"), 120),
        size_name=_clip(_attribute(attributes, "skuDisplayName", "displayName"), 120),
        cores=_whole(_attribute(attributes, "cores", "vCPUs", "vCores")),
        ram_gb=_decimal(_attribute(attributes, "ram", "memory", "memoryGB")),
        region=_clip(_attribute(attributes, "region", "location"), 80),
        arm_region_name=_clip(_attribute(attributes, "armRegionName").lower(), 80),
        category=_clip(_attribute(attributes, "category"), 120),
        inventory_check=any(p.lower() == INVENTORY_CHECK for p in prerequisites),
    )


def search_text(product: Product, sku: Sku) -> str:
    """What the free-text search matches: the words a person would type, lower-cased."""
    parts = [
        product.title,
        product.family_name,
        sku.title,
        sku.arm_sku_name,
        sku.size_name,
        sku.region,
        sku.arm_region_name,
        sku.category,
        product.product_id,
        sku.sku_id,
    ]
    return " ".join(dict.fromkeys(p for p in parts if p)).lower()[:600]


def availability_rows(product: Product, sku: Sku, availability: pc.Availability) -> list[Availability]:
    """The rows of one availability: one per term and billing plan (usually exactly one).

    A term without a billing cycle takes the SKU's supported billing cycles; an availability without terms
    takes the SKU's own duration (dynamicAttributes.duration), so a reservation is never left without one.
    """
    currency = availability.default_currency
    term_plans: list[tuple[str, str, str]] = []
    for term in availability.terms or ():
        plans = [term.billing_cycle.value] if term.billing_cycle else sku.billing_cycles or [""]
        term_plans += [(term.duration or "", term.description or "", str(plan)) for plan in plans]
    if not availability.terms:
        months = term_months(_attribute(sku.dynamic_attributes, "duration"))
        duration = iso_duration(months) if months else ""
        term_plans = [(duration, "", str(plan)) for plan in sku.billing_cycles or [""]]
    text = search_text(product, sku)
    rows = []
    for duration, description, plan in dict.fromkeys(term_plans):
        rows.append(
            Availability(
                mirror=sku.mirror,
                generation=sku.generation,
                sku_row=sku,
                product_id=sku.product_id,
                sku_id=sku.sku_id,
                availability_id=_clip(availability.id, 64),
                catalog_item_id=_clip(availability.catalog_item_id, 200),
                currency_code=_clip(currency.code if currency else "", 3).upper(),
                currency_symbol=_clip(currency.symbol if currency else "", 8),
                segment=_clip(availability.segment, 20),
                is_purchasable=availability.is_purchasable is not False,
                term_duration=_clip(duration.upper(), 12),
                term_months=term_months(duration),
                term_description=_clip(description, 120),
                billing_plan=_clip(plan, 20),
                family=product.family,
                product_title=product.title,
                title=sku.title,
                arm_sku_name=sku.arm_sku_name,
                size_name=sku.size_name,
                cores=sku.cores,
                ram_gb=sku.ram_gb,
                region=sku.region,
                arm_region_name=sku.arm_region_name,
                search_text=text,
            )
        )
    return rows


def all_availability_rows(
    product: Product, sku: Sku, availabilities: Iterable[pc.Availability]
) -> list[Availability]:
    return [row for availability in availabilities for row in availability_rows(product, sku, availability)]
