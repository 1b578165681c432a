"""Catalog mirrors filled without Partner Center: the sandbox's own catalog JSON, turned into rows by
catalog.rows exactly as a sync would, then bulk-inserted.

    mirror = published_mirror("US", size=200)          # a ready mirror, generation 1
    fill_generation(mirror, 2, size=50)                  # rows of a generation still being built

`size` is the number of availabilities (one per SKU in the sandbox: a SKU is a size in a region for a term).
The sandbox lists a market's SKUs nearest regions first, so a small US catalog is every family in US East,
then part of US West 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from django.utils import timezone

from catalog import rows
from catalog.models import AZURE_PLAN_SCOPE, Availability, Mirror, Product, Sku
from partnercenter import models as pc
from sandbox.catalog import Catalog

SEED = 20240601  # any fixed seed: the same ids on every run
BATCH = 2000


@cache
def sandbox_catalog(size: int, market: str) -> Catalog:
    # A market of exactly `size` availabilities (the sandbox's benchmark market option).
    return Catalog(SEED, availabilities=size, bench_market=market, bench_size=size)


def catalog_json(
    country: str, scope: str, size: int, epoch: int = 0
) -> Iterator[tuple[dict, list[tuple[dict, dict]]]]:
    """(product JSON, [(SKU JSON, availability JSON), ...]) of each product the market sells, as Partner
    Center would answer for the scope ("" for legacy subscriptions)."""
    catalog = sandbox_catalog(size, country.upper())
    market = catalog.market(country)
    wire_scope = scope or None
    for family_index in market.families:
        product = catalog.product_json(family_index, country, wire_scope)
        skus = []
        for ordinal in market.skus[family_index]:
            key = catalog.key_from_ordinal(family_index, ordinal)
            assert key is not None
            skus.append(
                (
                    catalog.sku_json(key, country, wire_scope),
                    catalog.availability_json(key, country, wire_scope, epoch),
                )
            )
        yield product, skus


def fill_generation(mirror: Mirror, generation: int, *, size: int = 200, epoch: int = 0) -> int:
    """Write one generation of the mirror's rows (not published); returns the number of availabilities."""
    written = 0
    pending_skus: list[tuple[Sku, list[pc.Availability]]] = []

    def flush() -> None:
        nonlocal written
        Sku.objects.bulk_create([sku for sku, _ in pending_skus], batch_size=BATCH)
        availability_rows: list[Availability] = []
        for sku, availabilities in pending_skus:
            availability_rows += rows.all_availability_rows(sku.product_row, sku, availabilities)
        Availability.objects.bulk_create(availability_rows, batch_size=BATCH)
        written += len(availability_rows)
        pending_skus.clear()

    for product_json, skus in catalog_json(mirror.country, mirror.scope, size, epoch):
        product = rows.product_row(mirror, generation, pc.Product.from_json(product_json))
        product.save()
        for sku_json, availability_json in skus:
            sku = rows.sku_row(product, pc.Sku.from_json(sku_json))
            # The product and SKU embedded in an availability are the ones just read: rows take them from
            # there, so they are not parsed twice.
            availability_json = {k: v for k, v in availability_json.items() if k not in ("product", "sku")}
            pending_skus.append((sku, [pc.Availability.from_json(availability_json)]))
            if len(pending_skus) >= BATCH:
                flush()
    flush()
    return written


def publish(mirror: Mirror, generation: int) -> Mirror:
    """Make `generation` the one pages show, with its counts, as a completed full sync does."""
    published = {"mirror": mirror, "generation": generation}
    now = timezone.now()
    mirror.generation = generation
    mirror.products = Product.objects.filter(**published).count()
    mirror.skus = Sku.objects.filter(**published).count()
    mirror.availabilities = Availability.objects.filter(**published).count()
    mirror.synced_at = mirror.full_synced_at = now
    mirror.sync_state = Mirror.SyncState.IDLE
    mirror.building_generation = 0
    mirror.save()
    return mirror


def published_mirror(country: str = "US", scope: str = AZURE_PLAN_SCOPE, *, size: int = 200) -> Mirror:
    """A mirror whose first full sync has completed with `size` availabilities."""
    mirror, _created = Mirror.objects.get_or_create(country=country.upper(), scope=scope)
    fill_generation(mirror, 1, size=size)
    return publish(mirror, 1)
