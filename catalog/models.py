"""The local mirror of the reservation catalog: one per (market, reservation scope).

Partner Center serves a market's catalog as products, their SKUs, and each SKU's availabilities, one call
per SKU for the last: hundreds of thousands of calls for a large market. Staff never wait on that. A
worker copies the catalog into these tables (catalog.sync), pages search them (catalog.search), and only
the moment of buying asks Partner Center again (catalog.availability), since availability ids rotate.

Every row carries the `generation` it was written in. Pages read only the mirror's published generation.
A full sync writes the next generation beside it and publishes it in one update when it is complete, so a
sync in progress never shows a half-empty catalog; a refresh changes the published generation one product
at a time, each in a single transaction.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# How `Mirror.scope` stores "no reservationScope": reservations for legacy MS-AZR-0145P subscriptions.
LEGACY_SCOPE = ""
AZURE_PLAN_SCOPE = "AzurePlan"


class Mirror(models.Model):
    """The copy of one market's reservation catalog for one reservation scope, and the state of its sync."""

    class Scope(models.TextChoices):
        AZURE_PLAN = AZURE_PLAN_SCOPE, _("Azure plan")
        LEGACY = LEGACY_SCOPE, _("Microsoft Azure (MS-AZR-0145P)")

    class SyncState(models.TextChoices):
        IDLE = "idle", _("Up to date")
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Syncing")

    class SyncKind(models.TextChoices):
        FULL = "full", _("Full sync")
        REFRESH = "refresh", _("Refresh")

    country = models.CharField(_("market"), max_length=2)  # ISO 3166-1 alpha-2, upper case
    scope = models.CharField(_("reservation scope"), max_length=16, blank=True, choices=Scope.choices)

    # What pages show: the published generation and when its content was last confirmed complete.
    generation = models.PositiveIntegerField(default=0)  # 0: never synced, nothing to show yet
    synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    full_synced_at = models.DateTimeField(null=True, blank=True)
    products = models.PositiveIntegerField(default=0)
    skus = models.PositiveIntegerField(default=0)
    availabilities = models.PositiveIntegerField(default=0)

    # The sync being run (or the last one).
    sync_state = models.CharField(max_length=8, choices=SyncState.choices, default=SyncState.IDLE)
    sync_kind = models.CharField(max_length=8, choices=SyncKind.choices, blank=True)
    building_generation = models.PositiveIntegerField(default=0)  # a full sync's next generation; 0: none
    sync_started_at = models.DateTimeField(null=True, blank=True)
    sync_progress_at = models.DateTimeField(null=True, blank=True)  # the last product written
    sync_products_total = models.PositiveIntegerField(default=0)
    sync_products_done = models.PositiveIntegerField(default=0)
    sync_calls = models.PositiveIntegerField(default=0)  # Partner Center calls of the run so far
    last_error = models.TextField(blank=True)  # in plain words; empty after a run that completed
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_run_seconds = models.FloatField(null=True, blank=True)  # of the last run that completed
    last_run_calls = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["country", "scope"]
        constraints = [models.UniqueConstraint(fields=["country", "scope"], name="catalog_mirror_unique")]

    def __str__(self) -> str:
        return f"{self.country} {self.get_scope_display()}"

    @property
    def is_ready(self) -> bool:
        """Whether there is a complete catalog to show."""
        return self.generation > 0

    @property
    def is_syncing(self) -> bool:
        return self.sync_state != self.SyncState.IDLE


class Product(models.Model):
    """A reservation product (a family or series, e.g. "Virtual Machines Dsv5 Series"): a grouping of SKUs."""

    mirror = models.ForeignKey(Mirror, on_delete=models.CASCADE, related_name="+")
    generation = models.PositiveIntegerField()
    product_id = models.CharField(max_length=64)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    family = models.CharField(max_length=80, blank=True)  # productType.subType.id, e.g. VirtualMachines
    family_name = models.CharField(max_length=120, blank=True)  # its displayName
    raw = models.JSONField(default=dict)  # as Partner Center sent it, for the SKU page

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mirror", "generation", "product_id"], name="catalog_product_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Sku(models.Model):
    """A SKU of a product (e.g. Standard_D4s_v5 in US East for one year), with the attributes pages filter on.

    `dynamic_attributes` is free-form in Partner Center: no key is promised, so each parsed column is empty
    when its key is missing and the page shows what the SKU does say.
    """

    mirror = models.ForeignKey(Mirror, on_delete=models.CASCADE, related_name="+")
    generation = models.PositiveIntegerField()
    # The product's row in the same generation (`product_id` is Partner Center's id).
    product_row = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    product_id = models.CharField(max_length=64)
    sku_id = models.CharField(max_length=64)  # unique only within its product
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    minimum_quantity = models.PositiveIntegerField(null=True, blank=True)
    maximum_quantity = models.PositiveBigIntegerField(null=True, blank=True)
    billing_cycles = models.JSONField(default=list)  # supportedBillingCycles, e.g. ["one_time"]
    prerequisites = models.JSONField(default=list)  # purchasePrerequisites
    inventory_variables = models.JSONField(default=list)
    provisioning_variables = models.JSONField(default=list)
    dynamic_attributes = models.JSONField(default=dict)
    # Parsed from dynamic_attributes where the SKU says.
    arm_sku_name = models.CharField(max_length=120, blank=True)
    size_name = models.CharField(max_length=120, blank=True)  # skuDisplayName
    cores = models.PositiveIntegerField(null=True, blank=True)
    ram_gb = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    region = models.CharField(max_length=80, blank=True)  # display name, e.g. "US East"
    arm_region_name = models.CharField(max_length=80, blank=True)  # e.g. "eastus"
    category = models.CharField(max_length=120, blank=True)
    inventory_check = models.BooleanField(default=False)  # carries the InventoryCheck prerequisite

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mirror", "generation", "product_id", "sku_id"], name="catalog_sku_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Availability(models.Model):
    """One buyable line of the catalog: a SKU's availability for one term and billing plan.

    An availability listing several terms becomes several rows, since staff choose one. The SKU's filter
    columns are copied here so that a search reads one table. `availability_id` and `catalog_item_id` are
    what the last sync saw: they rotate, and catalog.availability reads them again before a cart is built.
    """

    mirror = models.ForeignKey(Mirror, on_delete=models.CASCADE, related_name="+")
    generation = models.PositiveIntegerField()
    sku_row = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="availabilities")
    product_id = models.CharField(max_length=64)
    sku_id = models.CharField(max_length=64)
    availability_id = models.CharField(max_length=64)
    catalog_item_id = models.CharField(max_length=200)
    currency_code = models.CharField(max_length=3, blank=True)
    currency_symbol = models.CharField(max_length=8, blank=True)
    segment = models.CharField(max_length=20, blank=True)  # commercial, education, government, nonprofit
    is_purchasable = models.BooleanField(default=True)
    term_duration = models.CharField(max_length=12, blank=True)  # ISO 8601, e.g. P1Y
    term_months = models.PositiveIntegerField(null=True, blank=True)
    term_description = models.CharField(max_length=120, blank=True)
    billing_plan = models.CharField(max_length=20, blank=True)  # a BillingCycleType wire value, e.g. one_time
    # Copied from the product and the SKU, for filters and sorting on one table.
    family = models.CharField(max_length=80, blank=True)  # the product's family id (Product.family)
    product_title = models.CharField(max_length=255)
    title = models.CharField(max_length=255)
    arm_sku_name = models.CharField(max_length=120, blank=True)
    size_name = models.CharField(max_length=120, blank=True)
    cores = models.PositiveIntegerField(null=True, blank=True)
    ram_gb = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    region = models.CharField(max_length=80, blank=True)
    arm_region_name = models.CharField(max_length=80, blank=True)
    # Lower-cased words of the product, SKU, size and region: what the free-text search matches.
    search_text = models.CharField(max_length=600)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "mirror",
                    "generation",
                    "product_id",
                    "sku_id",
                    "availability_id",
                    "term_duration",
                    "billing_plan",
                ],
                name="catalog_availability_unique",
            )
        ]
        indexes = [
            models.Index(fields=["mirror", "generation", "title"], name="catalog_av_title_idx"),
            models.Index(fields=["mirror", "generation", "arm_region_name"], name="catalog_av_region_idx"),
            models.Index(fields=["mirror", "generation", "product_id"], name="catalog_av_product_idx"),
            models.Index(fields=["mirror", "generation", "family"], name="catalog_av_family_idx"),
            # Sorted walks: the id breaks ties, so a page is one walk along the index (catalog.search).
            models.Index(fields=["mirror", "generation", "cores", "id"], name="catalog_av_cores_id_idx"),
            models.Index(fields=["mirror", "generation", "ram_gb", "id"], name="catalog_av_ram_idx"),
            models.Index(fields=["mirror", "generation", "region", "id"], name="catalog_av_region_name_idx"),
            models.Index(fields=["mirror", "generation", "term_months", "id"], name="catalog_av_term_idx"),
        ]

    def __str__(self) -> str:
        return self.title
