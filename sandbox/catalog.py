"""The reservation catalog: products (families), SKUs (size x region x term) and availabilities, per market
and per reservation scope, plus deterministic inventory restrictions and the catalog endpoints.

Product and SKU ids are global and stable (a SKU id encodes its size, region and term). Which SKUs a
market offers is a prefix of a market-specific enumeration (nearest regions first), so the catalog size
is a parameter. Availability ids are a hash of (market, scope, SKU, rotation epoch): they change every
rotation period and differ between the Azure plan scope and the legacy scope, and need no storage.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import ids
from .markets import REGIONS, Market, generic_market, market, region_order
from .web import ApiError, Request, Response, ci, collection, json_response, link, qs, route

if TYPE_CHECKING:
    from .app import App

AZURE_PLAN_SCOPE = "AzurePlan"
TERMS = (("P1Y", "1Year", "1 Year", 1), ("P3Y", "3Year", "3 Years", 3))
MAX_QUANTITY = 999999999  # as in the documented SKU sample


@dataclass(frozen=True)
class Size:
    arm_sku_name: str
    display_name: str
    monthly_usd: float  # pay-as-you-go-ish monthly cost of one unit, the base of the reservation price
    cores: int | None = None
    ram: int | None = None
    disk_type: str | None = None


@dataclass(frozen=True)
class Family:
    key: str
    title: str
    description: str
    sub_type: str  # productType.subType.id
    reservation_type: str  # entitlement artifact dynamicAttributes.reservationType
    category: str
    sku_label: str  # first words of a SKU title
    sizes: tuple[Size, ...]
    regional: bool = True
    inventory_check: bool = False

    @property
    def views(self) -> frozenset[str]:
        specific = {
            "VirtualMachines": "azurereservationsvm",
            "SqlDatabases": "azurereservationssql",
            "CosmosDb": "azurereservationscosmosdb",
        }.get(self.sub_type)
        base = {"azurereservations", "azure"}
        return frozenset(base | {specific}) if specific else frozenset(base)


def _vm(key: str, series: str, category: str, per_core: float, sizes: str, disk: str = "Ssd") -> Family:
    """A VM family from "name:cores:ram" triples."""
    parsed = []
    for spec in sizes.split():
        name, cores, ram = spec.split(":")
        display = name.replace("Standard_", "").replace("_", " ")
        parsed.append(Size(name, display, round(int(cores) * per_core, 2), int(cores), int(ram), disk))
    return Family(
        key,
        f"Virtual Machines {series} Series",
        f"Reserved capacity for {series} virtual machines.",
        "VirtualMachines",
        "virtualmachines",
        category,
        "Reserved VM Instance",
        tuple(parsed),
        inventory_check=True,
    )


def _priced(specs: str) -> tuple[Size, ...]:
    """Sizes from "armName|display|monthly" entries separated by ';'."""
    out = []
    for spec in specs.split(";"):
        arm, display, monthly = (part.strip() for part in spec.split("|"))
        out.append(Size(arm, display, float(monthly)))
    return tuple(out)


BASE_FAMILIES: tuple[Family, ...] = (
    _vm(
        "dsv5",
        "Dsv5",
        "General purpose",
        35.0,
        "Standard_D2s_v5:2:8 Standard_D4s_v5:4:16 Standard_D8s_v5:8:32 Standard_D16s_v5:16:64 "
        "Standard_D32s_v5:32:128 Standard_D48s_v5:48:192 Standard_D64s_v5:64:256",
    ),
    _vm(
        "esv5",
        "Esv5",
        "Memory optimized",
        46.0,
        "Standard_E2s_v5:2:16 Standard_E4s_v5:4:32 Standard_E8s_v5:8:64 Standard_E16s_v5:16:128 "
        "Standard_E32s_v5:32:256 Standard_E48s_v5:48:384 Standard_E64s_v5:64:512",
    ),
    _vm(
        "fsv2",
        "FSv2",
        "Compute optimized",
        31.0,
        "Standard_F2s_v2:2:4 Standard_F4s_v2:4:8 Standard_F8s_v2:8:16 Standard_F16s_v2:16:32 "
        "Standard_F32s_v2:32:64 Standard_F48s_v2:48:96 Standard_F72s_v2:72:144",
    ),
    _vm(
        "bs",
        "BS",
        "General purpose",
        15.2,
        "Standard_B1s:1:1 Standard_B1ms:1:2 Standard_B2s:2:4 Standard_B2ms:2:8 Standard_B4ms:4:16 "
        "Standard_B8ms:8:32",
    ),
    _vm(
        "lsv3",
        "Lsv3",
        "Storage optimized",
        78.0,
        "Standard_L8s_v3:8:64 Standard_L16s_v3:16:128 Standard_L32s_v3:32:256 Standard_L48s_v3:48:384 "
        "Standard_L64s_v3:64:512",
    ),
    _vm(
        "ncast4",
        "NCasT4_v3",
        "GPU",
        96.0,
        "Standard_NC4as_T4_v3:4:28 Standard_NC8as_T4_v3:8:56 Standard_NC16as_T4_v3:16:110 "
        "Standard_NC64as_T4_v3:64:440",
    ),
    Family(
        "sqldb",
        "SQL Database",
        "Reserved vCores for Azure SQL Database and SQL Managed Instance.",
        "SqlDatabases",
        "sqldatabases",
        "SQL Database",
        "SQL Database Reserved vCore",
        _priced(
            "SQLDB_GP_Compute_Gen5|SQL Database Single/Elastic Pool General Purpose - Compute Gen5|146;"
            "SQLDB_BC_Compute_Gen5|SQL Database Single/Elastic Pool Business Critical - Compute Gen5|393;"
            "SQLMI_GP_Compute_Gen5|SQL Managed Instance General Purpose - Compute Gen5|146"
        ),
    ),
    Family(
        "cosmosdb",
        "Azure Cosmos DB",
        "Reserved throughput capacity for Azure Cosmos DB.",
        "CosmosDb",
        "cosmosdb",
        "Databases",
        "Azure Cosmos DB reserved capacity",
        _priced(
            "CosmosDB_100RU|100 RU/s|5.84; CosmosDB_5000RU|5,000 RU/s|292; CosmosDB_50000RU|50,000 RU/s|2920"
        ),
        regional=False,
    ),
    Family(
        "appservice",
        "App Service",
        "Reserved instances for App Service Premium v3 plans.",
        "AppService",
        "appservice",
        "Web",
        "App Service reserved instance",
        _priced("P1v3|Premium v3 P1v3|124; P2v3|Premium v3 P2v3|248; P3v3|Premium v3 P3v3|496"),
    ),
    Family(
        "storage",
        "Storage",
        "Reserved capacity for Azure Blob Storage and Azure Data Lake Storage Gen2.",
        "Storage",
        "blockblob",
        "Storage",
        "Blob storage reserved capacity",
        _priced(
            "Hot_LRS_100TB|Hot LRS 100 TB|1840; Cool_LRS_100TB|Cool LRS 100 TB|1000; "
            "Archive_LRS_100TB|Archive LRS 100 TB|99"
        ),
    ),
    Family(
        "databricks",
        "Azure Databricks",
        "Pre-purchase plan for Azure Databricks commit units (DBCU).",
        "Databricks",
        "databricks",
        "Analytics",
        "Azure Databricks pre-purchase",
        _priced("DBCU_25000|25,000 DBCU|1960; DBCU_50000|50,000 DBCU|3840"),
        regional=False,
    ),
    Family(
        "redis",
        "Azure Cache for Redis",
        "Reserved capacity for Azure Cache for Redis Premium caches.",
        "RedisCache",
        "rediscache",
        "Databases",
        "Azure Cache for Redis reserved capacity",
        _priced(
            "Premium_P1|Premium P1|404; Premium_P2|Premium P2|810; Premium_P3|Premium P3|1620; "
            "Premium_P4|Premium P4|3240"
        ),
    ),
)

_BENCH_CORES = (2, 4, 8, 16, 32, 48, 64, 96)


def _bench_family(k: int) -> Family:
    """Synthetic VM families that only exist to make a benchmark market as large as asked."""
    sizes = tuple(
        Size(f"Standard_BX{c}_v{k}", f"BX{c} v{k}", round(c * 30.0, 2), c, c * 4, "Ssd") for c in _BENCH_CORES
    )
    return Family(
        f"bench{k:04d}",
        f"Virtual Machines Benchmark Series {k:04d}",
        "Synthetic reserved VM family generated for catalog-size benchmarks.",
        "VirtualMachines",
        "virtualmachines",
        "General purpose",
        "Reserved VM Instance",
        sizes,
        inventory_check=True,
    )


# The Azure plan itself is a product too; subscriptions link to it. It never rotates.
AZURE_PLAN = {"product": "DZH318Z0BPS6", "sku": "0001", "availability": "DZH318Z0BMGB"}


@dataclass(frozen=True)
class SkuKey:
    family: int
    size: int
    region: int  # 0 for non-regional families
    term: int


@dataclass
class MarketCatalog:
    """Which SKUs one market sells: built once per market and kept (see Catalog.market)."""

    country: str
    families: list[int]
    skus: dict[int, list[int]]  # family index -> SKU ordinals, in listing order
    members: set[int]  # family index << 24 | ordinal


class Catalog:
    def __init__(self, seed: int, availabilities: int, bench_market: str | None, bench_size: int) -> None:
        self.seed = seed
        self.default_size = max(1, availabilities)
        self.bench_market = bench_market.upper() if bench_market else None
        self.bench_size = bench_size
        per_region = sum(len(f.sizes) * len(TERMS) for f in BASE_FAMILIES if f.regional)
        fixed = sum(len(f.sizes) * len(TERMS) for f in BASE_FAMILIES if not f.regional)
        base_total = per_region * len(REGIONS) + fixed
        largest = max(self.default_size, bench_size if self.bench_market else 0)
        bench_per_family = len(_BENCH_CORES) * len(REGIONS) * len(TERMS)
        extra = max(0, -(-(largest - base_total) // bench_per_family))
        self.families: list[Family] = list(BASE_FAMILIES) + [_bench_family(k + 1) for k in range(extra)]
        self.product_ids: list[str] = []
        taken = {AZURE_PLAN["product"]}
        for family in self.families:
            attempt = 0
            pid = ids.catalog_id(seed, "product", family.key)
            while pid in taken:  # resolve the rare collision deterministically
                attempt += 1
                pid = ids.catalog_id(seed, "product", family.key, attempt)
            taken.add(pid)
            self.product_ids.append(pid)
        self.family_by_product = {pid: i for i, pid in enumerate(self.product_ids)}
        self._markets: dict[str, MarketCatalog] = {}
        self._lock = threading.Lock()

    # --- SKU identity -------------------------------------------------------------------------------
    def ordinal(self, key: SkuKey) -> int:
        family = self.families[key.family]
        if family.regional:
            return (key.size * len(REGIONS) + key.region) * len(TERMS) + key.term
        return key.size * len(TERMS) + key.term

    def sku_id(self, key: SkuKey) -> str:
        return ids.base36(self.ordinal(key) + 1, 4)

    def decode_sku(self, family_index: int, sku_id: str) -> SkuKey | None:
        value = ids.unbase36(sku_id) if len(sku_id) == 4 else None
        return self.key_from_ordinal(family_index, value - 1) if value else None

    def key_from_ordinal(self, family_index: int, ordinal: int) -> SkuKey | None:
        family = self.families[family_index]
        if family.regional:
            rest, term = divmod(ordinal, len(TERMS))
            size, region = divmod(rest, len(REGIONS))
        else:
            size, term = divmod(ordinal, len(TERMS))
            region = 0
        if size >= len(family.sizes):
            return None
        return SkuKey(family_index, size, region, term)

    # --- markets ------------------------------------------------------------------------------------
    def market_size(self, country: str) -> int:
        return self.bench_size if country == self.bench_market and self.bench_size else self.default_size

    def market(self, country: str) -> MarketCatalog:
        """The SKUs a market sells: the first N of its enumeration (nearest regions first)."""
        country = country.upper()
        cached = self._markets.get(country)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._markets.get(country)
            if cached is None:
                cached = self._build_market(country)
                self._markets[country] = cached
        return cached

    def _build_market(self, country: str) -> MarketCatalog:
        target = self.market_size(country)
        skus: dict[int, list[int]] = {}
        count = 0

        def add(key: SkuKey) -> bool:
            nonlocal count
            skus.setdefault(key.family, []).append(self.ordinal(key))
            count += 1
            return count >= target

        def fill(family_indices: range, regions: list[int]) -> bool:
            for position, region in enumerate(regions):
                for fi in family_indices:
                    family = self.families[fi]
                    if not family.regional and position > 0:
                        continue
                    for size in range(len(family.sizes)):
                        for term in range(len(TERMS)):
                            if add(SkuKey(fi, size, region if family.regional else 0, term)):
                                return True
            return False

        regions = region_order(country)
        if not fill(range(len(BASE_FAMILIES)), regions):
            for fi in range(len(BASE_FAMILIES), len(self.families)):
                if fill(range(fi, fi + 1), regions):
                    break
        families = sorted(skus)
        members = {fi << 24 | ordinal for fi in families for ordinal in skus[fi]}
        return MarketCatalog(country, families, skus, members)

    def sells(self, country: str, key: SkuKey) -> bool:
        return (key.family << 24 | self.ordinal(key)) in self.market(country).members

    # --- availability ids ---------------------------------------------------------------------------
    def availability_id(self, country: str, scope: str | None, key: SkuKey, epoch: int) -> str:
        return ids.catalog_id(
            self.seed,
            "availability",
            country.upper(),
            (scope or "").lower(),
            self.product_ids[key.family],
            self.sku_id(key),
            epoch,
        )

    # --- prices and inventory -----------------------------------------------------------------------
    def unit_price_usd(self, key: SkuKey) -> float:
        """Upfront price of one unit for the whole term (reservations are paid once, up front)."""
        size = self.families[key.family].sizes[key.size]
        years = TERMS[key.term][3]
        discount = 0.62 if years == 1 else 0.40
        return round(size.monthly_usd * 12 * years * discount, 2)

    def restricted_region(self, key: SkuKey, azure_subscription: str) -> str | None:
        """The region a VM SKU is restricted in for this subscription, or None when it can be bought."""
        family = self.families[key.family]
        if not family.inventory_check:
            return None
        region = REGIONS[key.region][0]
        # Capacity: some size/region pairs are sold out for everyone (both terms alike).
        if ids.number(self.seed, "capacity", family.key, key.size, key.region) % 9 == 0:
            return region
        # GPU capacity is allocated per subscription: about half the subscriptions are refused.
        if (
            family.key == "ncast4"
            and ids.number(self.seed, "gpu", azure_subscription.lower(), key.region) % 2
        ):
            return region
        return None

    # --- JSON ---------------------------------------------------------------------------------------
    def product_json(self, family_index: int, country: str, scope: str | None) -> dict[str, Any]:
        family = self.families[family_index]
        pid = self.product_ids[family_index]
        query = qs(country=country, reservationScope=scope)
        return {
            "id": pid,
            "title": family.title,
            "description": family.description,
            "productType": {
                "id": "Azure",
                "displayName": "Azure",
                "subType": {"id": family.sub_type, "displayName": family.sub_type},
            },
            "isMicrosoftProduct": True,
            "publisherName": "Microsoft",
            "links": {"skus": link(f"/products/{pid}/skus{query}"), "self": link(f"/products/{pid}{query}")},
            "attributes": {"objectType": "Product"},
        }

    def sku_title(self, key: SkuKey) -> tuple[str, str]:
        family = self.families[key.family]
        size = family.sizes[key.size]
        years = TERMS[key.term][2]
        region = REGIONS[key.region][1] if family.regional else None
        name = size.arm_sku_name if family.sub_type == "VirtualMachines" else size.display_name
        place = f", {region}" if region else ""
        title = f"{family.sku_label}, {name}{place}, {years}"
        if family.sub_type == "VirtualMachines":
            return title, f"Reserved Virtual Machines Instance, {name}{place}, {years}"
        return title, f"{family.title} reservation, {name}{place}, {years}"

    def sku_json(self, key: SkuKey, country: str, scope: str | None) -> dict[str, Any]:
        family = self.families[key.family]
        size = family.sizes[key.size]
        pid, sid = self.product_ids[key.family], self.sku_id(key)
        title, description = self.sku_title(key)
        region_name, region_display = REGIONS[key.region] if family.regional else ("global", "Global")
        attributes: dict[str, Any] = {"armSkuName": size.arm_sku_name}
        if size.cores is not None:
            attributes |= {"cores": str(size.cores), "ram": str(size.ram)}
        attributes |= {
            "skuDisplayName": size.display_name,
            "category": family.category,
            "armRegionName": region_name,
            "duration": TERMS[key.term][1],
            "region": region_display,
        }
        if size.disk_type:
            attributes["diskType"] = size.disk_type
        prerequisites = ["AzureSubscriptionRegistration"]
        if family.inventory_check:
            prerequisites.append("InventoryCheck")
        query = qs(country=country, reservationScope=scope)
        return {
            "id": sid,
            "productId": pid,
            "title": title,
            "description": description,
            "minimumQuantity": 1,
            "maximumQuantity": MAX_QUANTITY,
            "isTrial": False,
            "supportedBillingCycles": ["one_time"],
            "purchasePrerequisites": prerequisites,
            "inventoryVariables": ["CustomerId", "AzureSubscriptionId", "ArmRegionName"]
            if family.inventory_check
            else [],
            "provisioningVariables": ["Scope", "SubscriptionId"],
            "dynamicAttributes": attributes,
            "links": {
                "availabilities": link(f"/products/{pid}/skus/{sid}/availabilities{query}"),
                "self": link(f"/products/{pid}/skus/{sid}{query}"),
            },
            "attributes": {"objectType": "Sku"},
        }

    def availability_json(self, key: SkuKey, country: str, scope: str | None, epoch: int) -> dict[str, Any]:
        pid, sid = self.product_ids[key.family], self.sku_id(key)
        aid = self.availability_id(country, scope, key, epoch)
        currency = market(country) or generic_market(country)
        duration, _, years, _ = TERMS[key.term]
        query = qs(country=country, reservationScope=scope)
        return {
            "id": aid,
            "productId": pid,
            "skuId": sid,
            "catalogItemId": f"{pid}:{sid}:{aid}",
            "defaultCurrency": {"code": currency.currency, "symbol": currency.symbol},
            "segment": "commercial",
            "country": country,
            "isPurchasable": True,
            "isRenewable": False,
            "terms": [{"duration": duration, "description": f"{years} Prepaid"}],
            "product": self.product_json(key.family, country, scope),
            "sku": self.sku_json(key, country, scope),
            "links": {"self": link(f"/products/{pid}/skus/{sid}/availabilities/{aid}{query}")},
            "attributes": {"objectType": "Availability"},
        }


# --- request parsing shared by the endpoints ---------------------------------------------------------

_VIEWS = {
    "azure",
    "azurereservations",
    "azurereservationsvm",
    "azurereservationssql",
    "azurereservationscosmosdb",
    "microsoftazure",
    "onlineservices",
    "software",
    "softwaresuselinux",
    "softwareperpetual",
    "softwaresubscriptions",
    "specializedoffers",
    "marketplacesaas",
}
_SEGMENTS = {"commercial", "education", "government", "nonprofit"}


def country_param(req: Request, required: bool = True) -> str:
    country = req.q("country")
    if country is None:
        if required:
            raise ApiError(400, "800002", "The country query parameter is required.")
        return ""
    if len(country) != 2 or not country.isalpha():
        raise ApiError(400, "800002", f"'{country}' is not a valid ISO 3166-1 alpha-2 country code.")
    return country.upper()


def scope_param(req: Request) -> str | None:
    scope = req.q("reservationScope")
    if scope is None:
        return None
    if scope.lower() != AZURE_PLAN_SCOPE.lower():
        raise ApiError(
            400, "800002", f"'{scope}' is not a valid reservationScope; the only value is AzurePlan."
        )
    return AZURE_PLAN_SCOPE


def segment_allows(req: Request) -> bool:
    """False when a valid but non-commercial segment is asked for (reservations are commercial only)."""
    segment = req.q("targetSegment")
    if segment is None:
        return True
    if segment.lower() not in _SEGMENTS:
        raise ApiError(403, "400030", f"The requested targetSegment '{segment}' is not allowed.")
    return segment.lower() == "commercial"


def sells_reservations(country: str) -> bool:
    found = market(country)
    return found.reservations_available if found else True


def resolve_product(app: App, product_id: str, country: str) -> int:
    family = app.catalog.family_by_product.get(product_id.upper())
    if family is None or family not in app.catalog.market(country).skus or not sells_reservations(country):
        raise ApiError(404, "400013", f"Product {product_id} was not found in country {country}.")
    return family


def resolve_sku(app: App, family: int, sku_id: str, country: str) -> SkuKey:
    key = app.catalog.decode_sku(family, sku_id.upper())
    if key is None or not app.catalog.sells(country, key):
        raise ApiError(404, "400018", f"SKU {sku_id} was not found for this product in country {country}.")
    return key


# --- endpoints -------------------------------------------------------------------------------------


def _products(app: App, req: Request, country: str, self_uri: str) -> Response:
    view = req.q("targetView")
    if view is None:
        raise ApiError(400, "800002", "The targetView query parameter is required.")
    if view.lower() not in _VIEWS:
        raise ApiError(403, "400036", f"The requested targetView '{view}' is not allowed.")
    scope = scope_param(req)
    items: list[dict[str, Any]] = []
    if segment_allows(req):
        if view.lower() in ("microsoftazure", "azure"):
            items.append(azure_plan_product(country))
        if sells_reservations(country):
            catalog = app.catalog
            for fi in catalog.market(country).families:
                if view.lower() in catalog.families[fi].views:
                    items.append(catalog.product_json(fi, country, scope))
    return json_response(collection(items, self_uri))


def list_products(app: App, req: Request) -> Response:
    country = country_param(req)
    query = qs(
        country=country,
        targetView=req.q("targetView"),
        targetSegment=req.q("targetSegment"),
        reservationScope=req.q("reservationScope"),
    )
    return _products(app, req, country, f"/products{query}")


def list_customer_products(app: App, req: Request) -> Response:
    customer = app.world.customer_or_404(req.params["customer_id"])
    query = qs(targetView=req.q("targetView"), reservationScope=req.q("reservationScope"))
    return _products(app, req, customer.country, f"/customers/{customer.id}/products{query}")


def get_product(app: App, req: Request) -> Response:
    country = country_param(req)
    scope = scope_param(req)
    if req.params["product_id"].upper() == AZURE_PLAN["product"]:
        return json_response(azure_plan_product(country))
    family = resolve_product(app, req.params["product_id"], country)
    return json_response(app.catalog.product_json(family, country, scope))


def list_skus(app: App, req: Request) -> Response:
    country = country_param(req)
    scope = scope_param(req)
    pid = req.params["product_id"].upper()
    self_uri = f"/products/{pid}/skus{qs(country=country, reservationScope=scope)}"
    if pid == AZURE_PLAN["product"]:
        return json_response(collection([azure_plan_sku(country)], self_uri))
    family = resolve_product(app, pid, country)
    items: list[dict[str, Any]] = []
    if segment_allows(req):
        catalog = app.catalog
        for ordinal in catalog.market(country).skus[family]:
            key = catalog.key_from_ordinal(family, ordinal)
            if key is not None:
                items.append(catalog.sku_json(key, country, scope))
    return json_response(collection(items, self_uri))


def get_sku(app: App, req: Request) -> Response:
    country = country_param(req)
    scope = scope_param(req)
    pid = req.params["product_id"].upper()
    if pid == AZURE_PLAN["product"] and req.params["sku_id"] == AZURE_PLAN["sku"]:
        return json_response(azure_plan_sku(country))
    family = resolve_product(app, pid, country)
    key = resolve_sku(app, family, req.params["sku_id"], country)
    return json_response(app.catalog.sku_json(key, country, scope))


def list_availabilities(app: App, req: Request) -> Response:
    country = country_param(req)
    scope = scope_param(req)
    pid, sid = req.params["product_id"].upper(), req.params["sku_id"].upper()
    self_uri = f"/products/{pid}/skus/{sid}/availabilities{qs(country=country, reservationScope=scope)}"
    if pid == AZURE_PLAN["product"] and sid == AZURE_PLAN["sku"]:
        return json_response(collection([azure_plan_availability(country)], self_uri))
    family = resolve_product(app, pid, country)
    key = resolve_sku(app, family, sid, country)
    items = [app.catalog.availability_json(key, country, scope, app.epoch())] if segment_allows(req) else []
    return json_response(collection(items, self_uri))


def get_availability(app: App, req: Request) -> Response:
    country = country_param(req)
    scope = scope_param(req)
    pid, sid, aid = (req.params[k].upper() for k in ("product_id", "sku_id", "availability_id"))
    if (pid, sid, aid) == (AZURE_PLAN["product"], AZURE_PLAN["sku"], AZURE_PLAN["availability"]):
        return json_response(azure_plan_availability(country))
    family = resolve_product(app, pid, country)
    key = resolve_sku(app, family, sid, country)
    epoch = app.epoch()
    if app.catalog.availability_id(country, scope, key, epoch) != aid:
        raise ApiError(
            404, "400019", f"Availability {aid} was not found; availability ids rotate, re-read them."
        )
    return json_response(app.catalog.availability_json(key, country, scope, epoch))


def check_inventory(app: App, req: Request) -> Response:
    country = country_param(req)
    body = req.json()
    targets = ci(body, "targetItems")
    context = ci(body, "inventoryContext")
    if not isinstance(targets, list) or not targets or not isinstance(context, dict):
        raise ApiError(400, "800002", "targetItems (a non-empty list) and inventoryContext are required.")
    customer_id = ci(context, "customerId")
    azure_subscription = ci(context, "azureSubscriptionId")
    region_filter = ci(context, "armRegionName")
    if not isinstance(customer_id, str) or not isinstance(azure_subscription, str):
        raise ApiError(400, "800002", "inventoryContext must carry customerId and azureSubscriptionId.")
    customer = app.world.customer_or_404(customer_id)
    if not customer.market.reservations_available:
        raise ApiError(
            400,
            "800070",
            f"The offer is not available in the customer's country/region ({customer.country}).",
        )
    target = app.world.find_azure_target(customer, azure_subscription)
    if target is None:
        raise ApiError(
            400, "800011", f"{azure_subscription} is not a valid Azure subscription of this customer."
        )
    # Restrictions follow the Partner Center subscription, whichever of its ids the caller gave.
    subscription_id = target[0].id
    catalog = app.catalog
    results: list[dict[str, Any]] = []
    for target in targets:
        product_id, sku_id = ci(target, "productId"), ci(target, "skuId")
        if not isinstance(product_id, str):
            continue
        family = catalog.family_by_product.get(product_id.upper())
        if family is None or family not in catalog.market(country).skus:
            continue  # documented: items not found in the catalog are silently dropped
        if isinstance(sku_id, str):
            key = catalog.decode_sku(family, sku_id.upper())
            keys = [key] if key is not None and catalog.sells(country, key) else []
        else:
            ordinals = catalog.market(country).skus[family]
            keys = [k for o in ordinals if (k := catalog.key_from_ordinal(family, o)) is not None]
        for key in keys:
            if (
                region_filter
                and catalog.families[family].regional
                and REGIONS[key.region][0] != str(region_filter).lower()
            ):
                continue
            region = catalog.restricted_region(key, subscription_id)
            item: dict[str, Any] = {
                "productId": catalog.product_ids[family],
                "skuId": catalog.sku_id(key),
                "isRestricted": region is not None,
                "restrictions": [],
            }
            if region is not None:
                item["restrictions"] = [
                    {
                        "reasonCode": "NotAvailableForSubscription",
                        "description": f"Restricted for location '{region}'.",
                        "properties": {"type": "Location", "values": region},
                    }
                ]
            results.append(item)
    return json_response(results)


def azure_plan_product(country: str) -> dict[str, Any]:
    pid = AZURE_PLAN["product"]
    return {
        "id": pid,
        "title": "Azure plan",
        "description": "Azure plan: pay-as-you-go Azure services under the Microsoft Customer Agreement.",
        "productType": {"id": "Azure", "displayName": "Azure"},
        "isMicrosoftProduct": True,
        "publisherName": "Microsoft",
        "links": {
            "skus": link(f"/products/{pid}/skus?country={country}"),
            "self": link(f"/products/{pid}?country={country}"),
        },
        "attributes": {"objectType": "Product"},
    }


def azure_plan_sku(country: str) -> dict[str, Any]:
    pid, sid = AZURE_PLAN["product"], AZURE_PLAN["sku"]
    return {
        "id": sid,
        "productId": pid,
        "title": "Azure plan",
        "description": "Azure plan",
        "minimumQuantity": 1,
        "maximumQuantity": 1,
        "isTrial": False,
        "supportedBillingCycles": ["monthly"],
        "purchasePrerequisites": ["MicrosoftCloudAgreement"],
        "inventoryVariables": [],
        "provisioningVariables": [],
        "dynamicAttributes": {},
        "links": {
            "availabilities": link(f"/products/{pid}/skus/{sid}/availabilities?country={country}"),
            "self": link(f"/products/{pid}/skus/{sid}?country={country}"),
        },
        "attributes": {"objectType": "Sku"},
    }


def azure_plan_availability(country: str) -> dict[str, Any]:
    pid, sid, aid = AZURE_PLAN["product"], AZURE_PLAN["sku"], AZURE_PLAN["availability"]
    found: Market = market(country) or generic_market(country)
    return {
        "id": aid,
        "productId": pid,
        "skuId": sid,
        "catalogItemId": f"{pid}:{sid}:{aid}",
        "defaultCurrency": {"code": found.currency, "symbol": found.symbol},
        "segment": "commercial",
        "country": country,
        "isPurchasable": True,
        "isRenewable": False,
        "terms": [],
        "product": azure_plan_product(country),
        "sku": azure_plan_sku(country),
        "links": {"self": link(f"/products/{pid}/skus/{sid}/availabilities/{aid}?country={country}")},
        "attributes": {"objectType": "Availability"},
    }


ROUTES = [
    route("GET", "/v1/products", list_products),
    route("GET", "/v1/customers/{customer_id}/products", list_customer_products),
    route("GET", "/v1/products/{product_id}", get_product),
    route("GET", "/v1/products/{product_id}/skus", list_skus),
    route("GET", "/v1/products/{product_id}/skus/{sku_id}", get_sku),
    route("GET", "/v1/products/{product_id}/skus/{sku_id}/availabilities", list_availabilities),
    route(
        "GET", "/v1/products/{product_id}/skus/{sku_id}/availabilities/{availability_id}", get_availability
    ),
    route("POST", "/v1/extensions/product/checkInventory", check_inventory),
]
