"""Billing: the account balance, per-currency invoice summaries, invoices, their line items and the
statement PDF.

Invoices are derived, not stored. For each month from six months before the state was created up to the
sandbox's current month, and each billing currency (USD, EUR, GBP), there is:
- a OneTime invoice holding the reservation orders of that month (seeded history, and orders placed
  through the API once completed, so the portal can reconcile what it bought); the current month's one
  is open and grows as orders complete;
- a Recurring invoice for closed months, with Office licence lines and legacy Azure (MS-AZR-0145P)
  billing and daily usage lines.
One designated one-time invoice (last month's, in USD) is padded with generated lines up to
`--invoice-line-items`; those are produced page by page with prices cycling through a fixed pattern, so
its total has a closed form and paging through a million lines needs constant memory.
"""

from __future__ import annotations

import calendar
import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import ids
from .catalog import BASE_FAMILIES, TERMS, SkuKey
from .customers import decode_token, encode_token
from .markets import CURRENCY_SYMBOLS, REGION_INDEX, USD_RATES
from .records import completed
from .web import ApiError, Request, Response, collection, json_response, link, qs, route
from .world import PARTNER_NAME, Customer

if TYPE_CHECKING:
    from .app import App

CURRENCIES = ("USD", "EUR", "GBP")
HISTORY_MONTHS = 6
PAGE_MAX = 2000
PAID_AFTER = 30 * 86400.0  # invoices older than this (sandbox time) have been paid
FILLER_CYCLE = 97  # generated lines repeat their prices every FILLER_CYCLE lines
OFFICE_UNIT_USD = 12.50
AZURE_SERVICES = (
    ("Virtual Machines", "D2s v5", "Compute Hours", 0.096, 744),
    ("Storage", "Standard LRS", "Data Stored (GB/Month)", 0.0208, 2048),
    ("Bandwidth", "Data Transfer Out", "Data Transfer Out (GB)", 0.087, 310),
)  # (service, resource, unit, unit price in USD, typical monthly quantity)


@dataclass(frozen=True)
class Invoice:
    kind: str  # "OneTime" or "Recurring"
    month: int  # year * 12 + month - 1
    currency: str

    @property
    def id(self) -> str:
        return (
            f"{'G' if self.kind == 'OneTime' else 'D'}0{self.month:05d}{CURRENCIES.index(self.currency):03d}"
        )

    @property
    def start(self) -> float:
        return ids.month_start(0, self.month - ids.month_serial(0))

    @property
    def end(self) -> float:
        return ids.month_start(0, self.month + 1 - ids.month_serial(0))

    @property
    def link_id(self) -> str:
        # The documented sample links one-time invoices as OneTime-<id>; both forms are accepted.
        return f"OneTime-{self.id}" if self.kind == "OneTime" else self.id


@dataclass(frozen=True)
class FillerContext:
    templates: list[dict[str, Any]]
    common: list[dict[str, Any]]  # per-customer fields, cycled through
    day_iso: list[str]  # "YYYY-MM-DDT00:00:00Z" for each day of the invoice's month
    day_prefix: list[str]  # "YYYY-MM-DDT" for each day
    end_iso: dict[tuple[int, int], str]  # (day, term years) -> last day of the reservation term
    invoice_id: str


def parse_invoice_id(raw: str) -> Invoice | None:
    text = raw.strip()
    if text.lower().startswith("onetime-"):
        text = text[8:]
    text = text.upper()
    if len(text) != 10 or text[0] not in "GD" or text[1] != "0" or not text[2:].isdigit():
        return None
    index = int(text[7:])
    if index >= len(CURRENCIES):
        return None
    return Invoice("OneTime" if text[0] == "G" else "Recurring", int(text[2:7]), CURRENCIES[index])


def _cents(amount: float) -> int:
    return round(amount * 100)


def _money(cents: int) -> float:
    return cents / 100


def _rate(currency: str) -> float:
    return USD_RATES.get(currency, 1.0)


def _iso_day(epoch: float) -> str:
    return ids.utc(epoch).strftime("%Y-%m-%dT00:00:00Z")


class Ledger:
    """Invoice contents and totals, with the parts that never change cached."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.seed = app.world.seed
        self._lock = threading.Lock()
        self._historic: dict[tuple[int, str], list[tuple[dict[str, Any], dict[str, Any]]]] | None = None
        self._recurring: dict[
            tuple[int, str], tuple[list[tuple[Customer, Any]], list[tuple[Customer, Any]]]
        ] = {}
        self._filler: tuple[list[dict[str, Any]], int, list[int]] | None = None
        self._filler_cache: FillerContext | None = None
        self._currencies: list[str] | None = None
        self._orders_seen: tuple[tuple[int, int], list[dict[str, Any]]] | None = None
        self._recurring_totals: dict[Invoice, int] = {}
        self.first_month = ids.month_serial(app.world.anchor) - HISTORY_MONTHS
        self.big = self._designated()

    # --- which invoices exist -------------------------------------------------------------------------
    def currencies(self) -> list[str]:
        if self._currencies is None:
            used = {c.market.billing_currency for c in self.app.world.customers}
            self._currencies = [c for c in CURRENCIES if c in used] or ["USD"]
        return self._currencies

    def _designated(self) -> Invoice:
        currencies = self.currencies()
        currency = "USD" if "USD" in currencies else currencies[0]
        return Invoice("OneTime", ids.month_serial(self.app.world.anchor) - 1, currency)

    def invoices(self) -> list[Invoice]:
        now_month = ids.month_serial(self.app.clock.now())
        found = []
        onetime = self._onetime_months()
        for month in range(self.first_month, now_month + 1):
            for currency in self.currencies():
                if (month, currency) in onetime or Invoice("OneTime", month, currency) == self.big:
                    found.append(Invoice("OneTime", month, currency))
                office, legacy = self._recurring_sources(month, currency)
                if month < now_month and (office or legacy):
                    found.append(Invoice("Recurring", month, currency))
        return found

    def exists(self, invoice: Invoice) -> bool:
        now_month = ids.month_serial(self.app.clock.now())
        if not self.first_month <= invoice.month <= now_month or invoice.currency not in self.currencies():
            return False
        if invoice.kind == "OneTime":
            return invoice == self.big or (invoice.month, invoice.currency) in self._onetime_months()
        office, legacy = self._recurring_sources(invoice.month, invoice.currency)
        return invoice.month < now_month and bool(office or legacy)

    # --- one-time contents --------------------------------------------------------------------------
    def _historic_lines(self) -> dict[tuple[int, str], list[tuple[dict[str, Any], dict[str, Any]]]]:
        if self._historic is None:
            grouped: dict[tuple[int, str], list[tuple[dict[str, Any], dict[str, Any]]]] = {}
            for record in self.app.world.all_historic_orders():
                customer = self.app.world.customer(record["customerId"])
                if customer is None:
                    continue
                slot = (ids.month_serial(record["createdAt"]), customer.market.billing_currency)
                for line in record["lines"]:
                    grouped.setdefault(slot, []).append((record, line))
            self._historic = grouped
        return self._historic

    def _api_lines(self) -> dict[tuple[int, str], list[tuple[dict[str, Any], dict[str, Any]]]]:
        """Lines of completed API orders by (month, billing currency). The parsed orders are kept until
        the orders table changes (it only grows, or empties on reset); completion is checked each time."""
        db = self.app.store.connection()
        version = tuple(db.execute("SELECT COUNT(*), MAX(rowid) FROM orders").fetchone())
        if self._orders_seen is None or self._orders_seen[0] != version:
            rows = db.execute("SELECT body FROM orders ORDER BY created_at").fetchall()
            self._orders_seen = (version, [json.loads(row["body"]) for row in rows])
        now = self.app.clock.now()
        grouped: dict[tuple[int, str], list[tuple[dict[str, Any], dict[str, Any]]]] = {}
        for record in self._orders_seen[1]:
            customer = self.app.world.customer(record["customerId"])
            if customer is None or not completed(record, now):
                continue
            slot = (ids.month_serial(record["createdAt"]), customer.market.billing_currency)
            for line in record["lines"]:
                grouped.setdefault(slot, []).append((record, line))
        return grouped

    def _onetime_months(self) -> set[tuple[int, str]]:
        return set(self._historic_lines()) | set(self._api_lines())

    def onetime_real_lines(self, invoice: Invoice) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        slot = (invoice.month, invoice.currency)
        return self._historic_lines().get(slot, []) + self._api_lines().get(slot, [])

    def onetime_count(self, invoice: Invoice) -> int:
        real = len(self.onetime_real_lines(invoice))
        if invoice == self.big:
            return max(real, self.app.options.invoice_line_items)
        return real

    def _line_cents(self, line: dict[str, Any], currency: str) -> tuple[int, int]:
        unit = _cents(line["unitPriceUsd"] * _rate(currency))
        return unit, unit * line["quantity"]

    def onetime_total(self, invoice: Invoice) -> int:
        total = sum(
            self._line_cents(line, invoice.currency)[1] for _, line in self.onetime_real_lines(invoice)
        )
        if invoice == self.big:
            filler = self.onetime_count(invoice) - len(self.onetime_real_lines(invoice))
            _, cycle_total, prefix = self._filler_templates()
            total += (filler // FILLER_CYCLE) * cycle_total + prefix[filler % FILLER_CYCLE]
        return total

    def _filler_templates(self) -> tuple[list[dict[str, Any]], int, list[int]]:
        """FILLER_CYCLE line templates (SKU, quantity, price) that generated lines repeat in turn."""
        if self._filler is None:
            catalog = self.app.catalog
            templates, prefix, running = [], [0], 0
            for c in range(FILLER_CYCLE):
                h = ids.number(self.seed, "filler", c)
                family_index = h % len(BASE_FAMILIES)
                family = catalog.families[family_index]
                region = REGION_INDEX["eastus"] + (h >> 8) % 4 if family.regional else 0
                # Mostly the smaller sizes, as real reservation purchases are.
                key = SkuKey(family_index, (h >> 16) % min(3, len(family.sizes)), region, (h >> 24) % 2)
                quantity = 1 + (h >> 32) % 3
                unit = _cents(catalog.unit_price_usd(key) * _rate(self.big.currency))
                title, _ = catalog.sku_title(key)
                templates.append(
                    {
                        "productId": catalog.product_ids[family_index],
                        "skuId": catalog.sku_id(key),
                        "availabilityId": catalog.availability_id("US", None, key, -1000 - c),
                        "productName": family.title,
                        "skuName": title,
                        "quantity": quantity,
                        "unit": unit,
                        "years": TERMS[key.term][3],
                        "termAndBillingCycle": f"{TERMS[key.term][2]} Prepaid",
                    }
                )
                running += unit * quantity
                prefix.append(running)
            self._filler = (templates, running, prefix)
        return self._filler

    def _customers_in(self, currency: str) -> list[Customer]:
        return [c for c in self.app.world.customers if c.market.billing_currency == currency] or list(
            self.app.world.customers
        )

    def onetime_items(self, invoice: Invoice, offset: int, size: int) -> list[dict[str, Any]]:
        real = self.onetime_real_lines(invoice)
        count = self.onetime_count(invoice)
        items = []
        for index in range(offset, min(count, len(real), offset + size)):
            record, line = real[index]
            customer = self.app.world.customer(record["customerId"])
            if customer is not None:
                items.append(self._onetime_item(invoice, customer, record, line))
        if invoice == self.big and offset + size > len(real):
            context = self._filler_context()
            first = max(offset, len(real)) - len(real)
            last = min(count, offset + size) - len(real)
            items.extend(self._filler_item(context, n) for n in range(first, last))
        return items

    def _common_onetime(self, invoice: Invoice, customer: Customer) -> dict[str, Any]:
        pricing = customer.market.currency
        return {
            "partnerId": self.app.world.tenant_id,
            "customerId": customer.id,
            "customerName": customer.name,
            "customerDomainName": customer.domain,
            "customerCountry": customer.country,
            "invoiceNumber": invoice.id,
            "mpnId": self.app.world.mpn_id,
            "resellerMpnId": 0,
            "currency": invoice.currency,
            "pricingCurrency": pricing,
            "pcToBCExchangeRate": round(_rate(invoice.currency) / _rate(pricing), 6),
            "pcToBCExchangeRateDate": ids.iso_plain(invoice.start),
        }

    def _onetime_item(
        self, invoice: Invoice, customer: Customer, record: dict[str, Any], line: dict[str, Any]
    ) -> dict[str, Any]:
        unit, subtotal = self._line_cents(line, invoice.currency)
        start = ids.utc(record["completesAt"]).replace(hour=0, minute=0, second=0, microsecond=0)
        end = ids.add_years(start, line["termYears"]).timestamp() - 86400
        years = "1 Year" if line["termYears"] == 1 else f"{line['termYears']} Years"
        return self._common_onetime(invoice, customer) | {
            "orderId": record["id"],
            "orderDate": ids.iso7(record["createdAt"]),
            "productId": line["productId"],
            "skuId": line["skuId"],
            "availabilityId": line["availabilityId"],
            "productName": line["productTitle"],
            "skuName": line["skuTitle"],
            "productQualifiers": [],
            "chargeType": "new",
            "unitPrice": _money(unit),
            "effectiveUnitPrice": _money(unit),
            "unitType": "",
            "quantity": line["quantity"],
            "subtotal": _money(subtotal),
            "taxTotal": 0,
            "totalForCustomer": _money(subtotal),
            "publisherName": "Microsoft Corporation",
            "publisherId": "",
            "subscriptionDescription": line["friendlyName"],
            "subscriptionId": line["subscriptionId"],
            "subscriptionStartDate": _iso_day(start.timestamp()),
            "subscriptionEndDate": _iso_day(end),
            "chargeStartDate": _iso_day(start.timestamp()),
            "chargeEndDate": _iso_day(end),
            "termAndBillingCycle": f"{years} Prepaid",
            "alternateId": record["id"],
            "referenceId": ids.guid(self.seed, "reference", record["id"], line["lineItemNumber"]),
            "priceAdjustmentDescription": "",
            "discountDetails": "",
            "billableQuantity": line["quantity"],
            "meterDescription": "",
            "billingFrequency": "",
            "reservationOrderId": line["reservationOrderId"],
            "invoiceLineItemType": "billing_line_items",
            "billingProvider": "one_time",
            "promotionId": "",
            "creditReasonCode": "",
            "attributes": {"objectType": "OneTimeInvoiceLineItem"},
        }

    def _filler_context(self) -> FillerContext:
        """What every generated line of the big invoice shares, computed once: formatting dates and
        customer fields per line is what would otherwise dominate the cost of a 2,000-line page."""
        if self._filler_cache is None:
            invoice = self.big
            customers = self._customers_in(invoice.currency)
            days = int((invoice.end - invoice.start) // 86400)
            day_starts = [invoice.start + d * 86400 for d in range(days)]
            ends = {
                (d, years): _iso_day(ids.add_years(ids.utc(start), years).timestamp() - 86400)
                for d, start in enumerate(day_starts)
                for years in (1, 3)
            }
            self._filler_cache = FillerContext(
                templates=self._filler_templates()[0],
                common=[self._common_onetime(invoice, c) for c in customers],
                day_iso=[_iso_day(start) for start in day_starts],
                day_prefix=[ids.utc(start).strftime("%Y-%m-%dT") for start in day_starts],
                end_iso=ends,
                invoice_id=invoice.id,
            )
        return self._filler_cache

    def _filler_item(self, context: FillerContext, n: int) -> dict[str, Any]:
        """The n-th generated line of the big invoice (counted after its real lines)."""
        template = context.templates[n % FILLER_CYCLE]
        raw = ids.digest(self.seed, "filler-line", context.invoice_id, n)
        order_id = raw[:6].hex()
        day = (n * 7919) % len(context.day_iso)
        seconds = (n * 37) % 86400
        ordered = (
            f"{context.day_prefix[day]}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        )
        start, end = context.day_iso[day], context.end_iso[(day, template["years"])]
        subtotal = _money(template["unit"] * template["quantity"])
        return context.common[n % len(context.common)] | {
            "orderId": order_id,
            "orderDate": f"{ordered}.0000000Z",
            "productId": template["productId"],
            "skuId": template["skuId"],
            "availabilityId": template["availabilityId"],
            "productName": template["productName"],
            "skuName": template["skuName"],
            "productQualifiers": [],
            "chargeType": "new",
            "unitPrice": _money(template["unit"]),
            "effectiveUnitPrice": _money(template["unit"]),
            "unitType": "",
            "quantity": template["quantity"],
            "subtotal": subtotal,
            "taxTotal": 0,
            "totalForCustomer": subtotal,
            "publisherName": "Microsoft Corporation",
            "publisherId": "",
            "subscriptionDescription": "",
            "subscriptionId": _guid(raw[6:22]),
            "subscriptionStartDate": start,
            "subscriptionEndDate": end,
            "chargeStartDate": start,
            "chargeEndDate": end,
            "termAndBillingCycle": template["termAndBillingCycle"],
            "alternateId": order_id,
            "referenceId": _guid(raw[16:32]),
            "priceAdjustmentDescription": "",
            "discountDetails": "",
            "billableQuantity": template["quantity"],
            "meterDescription": "",
            "billingFrequency": "",
            "reservationOrderId": _guid(raw[8:24]),
            "invoiceLineItemType": "billing_line_items",
            "billingProvider": "one_time",
            "promotionId": "",
            "creditReasonCode": "",
            "attributes": {"objectType": "OneTimeInvoiceLineItem"},
        }

    # --- recurring contents -------------------------------------------------------------------------
    def _recurring_sources(
        self, month: int, currency: str
    ) -> tuple[list[tuple[Customer, Any]], list[tuple[Customer, Any]]]:
        key = (month, currency)
        cached = self._recurring.get(key)
        if cached is not None:
            return cached
        end = ids.month_start(0, month + 1 - ids.month_serial(0))
        office, legacy = [], []
        for customer in self.app.world.customers:
            if customer.market.billing_currency != currency:
                continue
            for sub in self.app.world.subscriptions(customer):
                if sub.created >= end or sub.status != "active":
                    continue
                if sub.kind == "office":
                    office.append((customer, sub))
                elif sub.kind == "legacy":
                    legacy.append((customer, sub))
        with self._lock:
            self._recurring[key] = (office, legacy)
        return office, legacy

    def _service_amount(self, sub_id: str, month: int, service: int) -> tuple[float, int]:
        """(quantity, cents in USD) of one Azure service for one legacy subscription in one month."""
        _, _, _, unit_usd, typical = AZURE_SERVICES[service]
        quantity = round(
            typical * (0.5 + (ids.number(self.seed, "usage", sub_id, month, service) % 100) / 100), 2
        )
        return quantity, _cents(quantity * unit_usd)

    def recurring_total(self, invoice: Invoice) -> int:
        cached = self._recurring_totals.get(invoice)
        if cached is not None:
            return cached
        office, legacy = self._recurring_sources(invoice.month, invoice.currency)
        rate = _rate(invoice.currency)
        total = sum(_cents(OFFICE_UNIT_USD * rate) * sub.quantity for _, sub in office)
        for _, sub in legacy:
            for service in range(len(AZURE_SERVICES)):
                total += round(self._service_amount(sub.id, invoice.month, service)[1] * rate)
        self._recurring_totals[invoice] = total  # seeded content only: it never changes
        return total

    def recurring_count(self, invoice: Invoice, provider: str, item_type: str) -> int:
        office, legacy = self._recurring_sources(invoice.month, invoice.currency)
        if provider == "office":
            return len(office) if item_type == "billinglineitems" else 0
        if item_type == "billinglineitems":
            return len(legacy) * len(AZURE_SERVICES)
        days = calendar.monthrange(invoice.month // 12, invoice.month % 12 + 1)[1]
        return len(legacy) * days * len(AZURE_SERVICES)

    def recurring_items(
        self, invoice: Invoice, provider: str, item_type: str, offset: int, size: int
    ) -> list[dict[str, Any]]:
        office, legacy = self._recurring_sources(invoice.month, invoice.currency)
        count = self.recurring_count(invoice, provider, item_type)
        out = []
        for index in range(offset, min(count, offset + size)):
            if provider == "office":
                out.append(self._office_item(invoice, *office[index]))
            elif item_type == "billinglineitems":
                customer, sub = legacy[index // len(AZURE_SERVICES)]
                out.append(self._azure_item(invoice, customer, sub, index % len(AZURE_SERVICES)))
            else:
                days = calendar.monthrange(invoice.month // 12, invoice.month % 12 + 1)[1]
                per_sub = days * len(AZURE_SERVICES)
                customer, sub = legacy[index // per_sub]
                day, service = divmod(index % per_sub, len(AZURE_SERVICES))
                out.append(self._daily_item(invoice, customer, sub, day, service, days))
        return out

    def _office_item(self, invoice: Invoice, customer: Customer, sub: Any) -> dict[str, Any]:
        unit = _cents(OFFICE_UNIT_USD * _rate(invoice.currency))
        amount = unit * sub.quantity
        return {
            "partnerId": self.app.world.tenant_id,
            "customerId": customer.id,
            "customerName": customer.name,
            "mpnId": int(self.app.world.mpn_id),
            "tier2MpnId": 0,
            "orderId": ids.hex_id(12, "subscription-order", sub.id),
            "subscriptionId": sub.id,
            "syndicationPartnerSubscriptionNumber": "",
            "offerId": "CFQ7TTC0LDPB:0001:CFQ7TTC0KDLS",
            "durableOfferId": "CFQ7TTC0LDPB",
            "offerName": "Microsoft 365 Business Standard",
            "domainName": customer.domain,
            "billingCycleType": "Monthly",
            "subscriptionName": "Microsoft 365 Business Standard",
            "subscriptionDescription": "Microsoft 365 Business Standard",
            "orderDate": ids.iso_z(sub.created),
            "chargeStartDate": ids.iso_z(invoice.start),
            "chargeEndDate": ids.iso_z(invoice.end - 86400),
            "chargeType": "Cycle fee",
            "unitPrice": _money(unit),
            "quantity": sub.quantity,
            "amount": _money(amount),
            "totalOtherDiscount": 0,
            "subtotal": _money(amount),
            "tax": 0,
            "totalForCustomer": _money(amount),
            "currency": invoice.currency,
            "invoiceLineItemType": "billing_line_items",
            "billingProvider": "office",
            "attributes": {"objectType": "LicenseBasedLineItem"},
        }

    def _azure_common(self, invoice: Invoice, customer: Customer, sub: Any) -> dict[str, Any]:
        return {
            "partnerId": self.app.world.tenant_id,
            "partnerName": PARTNER_NAME,
            "partnerBillableAccountId": f"{self.app.world.mpn_id}-001",
            "customerCompanyName": customer.name,
            "customerId": customer.id,
            "mpnId": int(self.app.world.mpn_id),
            "tier2MpnId": 0,
            "invoiceNumber": invoice.id,
            "subscriptionId": sub.id,
            "subscriptionName": "Microsoft Azure",
            "subscriptionDescription": "Microsoft Azure",
        }

    def _azure_item(self, invoice: Invoice, customer: Customer, sub: Any, service: int) -> dict[str, Any]:
        name, resource, unit_name, unit_usd, _ = AZURE_SERVICES[service]
        quantity, usd_cents = self._service_amount(sub.id, invoice.month, service)
        cents = round(usd_cents * _rate(invoice.currency))
        return self._azure_common(invoice, customer, sub) | {
            "orderId": ids.hex_id(12, "subscription-order", sub.id),
            "serviceName": name,
            "serviceType": resource,
            "resourceGuid": ids.guid("meter", name, resource),
            "resourceName": unit_name,
            "region": "",
            "sku": "",
            "detailLineItemId": service,
            "consumedQuantity": quantity,
            "includedQuantity": 0,
            "overageQuantity": quantity,
            "listPrice": round(unit_usd * _rate(invoice.currency), 6),
            "pretaxCharges": _money(cents),
            "taxAmount": 0,
            "postTaxTotal": _money(cents),
            "currency": invoice.currency,
            "pretaxEffectiveRate": round(unit_usd * _rate(invoice.currency), 6),
            "postTaxEffectiveRate": round(unit_usd * _rate(invoice.currency), 6),
            "chargeStartDate": ids.iso_z(invoice.start),
            "chargeEndDate": ids.iso_z(invoice.end - 86400),
            "chargeType": "Usage fee",
            "unit": unit_name,
            "invoiceLineItemType": "billing_line_items",
            "billingProvider": "azure",
            "attributes": {"objectType": "UsageBasedLineItem"},
        }

    def _daily_item(
        self, invoice: Invoice, customer: Customer, sub: Any, day: int, service: int, days: int
    ) -> dict[str, Any]:
        name, resource, unit_name, _, _ = AZURE_SERVICES[service]
        quantity, _ = self._service_amount(sub.id, invoice.month, service)
        return self._azure_common(invoice, customer, sub) | {
            "usageDate": ids.iso_z(invoice.start + day * 86400),
            "serviceName": name,
            "serviceType": resource,
            "resourceGuid": ids.guid("meter", name, resource),
            "resourceName": unit_name,
            "region": customer.market.regions[0],
            "consumedQuantity": round(quantity / days, 4),
            "unit": unit_name,
            "resourceUri": f"/subscriptions/{sub.id}/resourceGroups/rg-demo/providers/Microsoft.Compute",
            "invoiceLineItemType": "usage_line_items",
            "billingProvider": "azure",
            "attributes": {"objectType": "DailyUsageLineItem"},
        }

    # --- invoice documents ----------------------------------------------------------------------------
    def total(self, invoice: Invoice) -> int:
        return self.onetime_total(invoice) if invoice.kind == "OneTime" else self.recurring_total(invoice)

    def invoice_date(self, invoice: Invoice) -> float:
        """Closed months are invoiced on the 1st of the next month; the current month's one-time invoice is
        open and dated by its latest order."""
        if invoice.month >= ids.month_serial(self.app.clock.now()):
            lines = self.onetime_real_lines(invoice)
            return max((record["createdAt"] for record, _ in lines), default=invoice.start)
        return invoice.end + 3723

    def paid(self, invoice: Invoice) -> bool:
        return self.invoice_date(invoice) + PAID_AFTER < self.app.clock.now()

    def invoice_json(self, invoice: Invoice) -> dict[str, Any]:
        total = self.total(invoice)
        if invoice.kind == "OneTime":
            details = [
                _detail(
                    "billing_line_items",
                    "one_time",
                    f"/invoices/{invoice.link_id}/lineitems/OneTime/BillingLineItems",
                )
            ]
        else:
            details = [
                _detail(
                    "billing_line_items",
                    "office",
                    f"/invoices/{invoice.id}/lineitems/Office/BillingLineItems",
                ),
                _detail(
                    "billing_line_items", "azure", f"/invoices/{invoice.id}/lineitems/Azure/BillingLineItems"
                ),
                _detail(
                    "usage_line_items", "azure", f"/invoices/{invoice.id}/lineitems/Azure/UsageLineItems"
                ),
            ]
        return {
            "id": invoice.id,
            "invoiceDate": ids.iso_z(self.invoice_date(invoice)),
            "billingPeriodStartDate": ids.iso_z(invoice.start),
            "billingPeriodEndDate": ids.iso_z(invoice.end - 86400),
            "totalCharges": _money(total),
            "paidAmount": -_money(total) if self.paid(invoice) else 0,
            "currencyCode": invoice.currency,
            "currencySymbol": CURRENCY_SYMBOLS[invoice.currency],
            "pdfDownloadLink": f"/invoices/{invoice.id}/documents/statement",
            "taxReceipts": [],
            "invoiceDetails": details,
            "amendments": [],
            "documentType": "invoice",
            "invoiceType": invoice.kind,
            "status": "active",
            "links": {"self": link(f"/invoices/{invoice.link_id}")},
            "attributes": {"objectType": "Invoice"},
        }

    def summary(self, currency: str, invoices: list[Invoice]) -> dict[str, Any]:
        mine = [i for i in invoices if i.currency == currency]

        def part(selected: list[Invoice]) -> dict[str, Any]:
            dates = [self.invoice_date(i) for i in selected]
            totals = {i: self.total(i) for i in selected}
            paid = [i for i in selected if self.paid(i)]
            last = max(paid, key=self.invoice_date) if paid else None
            return {
                "balanceAmount": _money(sum(t for i, t in totals.items() if i not in paid)),
                "currencyCode": currency,
                "currencySymbol": CURRENCY_SYMBOLS[currency],
                "accountingDate": ids.iso_plain(self.app.clock.now()),
                "firstInvoiceCreationDate": ids.iso_z(min(dates)) if dates else ids.NO_DATE,
                "lastPaymentDate": ids.iso_z(self.invoice_date(last) + PAID_AFTER) if last else ids.NO_DATE,
                "lastPaymentAmount": _money(totals[last]) if last else 0,
                "latestInvoiceDate": ids.iso_z(max(dates)) if dates else ids.NO_DATE,
            }

        body = part(mine)
        body["details"] = [
            {
                "invoiceType": kind,
                "summary": part([i for i in mine if i.kind == kind])
                | {"attributes": {"objectType": "InvoiceSummary"}},
            }
            for kind in ("Recurring", "OneTime")
        ]
        body["links"] = {"self": link("/invoices/summary")}
        body["attributes"] = {"objectType": "InvoiceSummary"}
        return body


def _guid(raw: bytes) -> str:
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def _detail(item_type: str, provider: str, uri: str) -> dict[str, Any]:
    return {
        "invoiceLineItemType": item_type,
        "billingProvider": provider,
        "links": {"self": link(uri)},
        "attributes": {"objectType": "InvoiceDetail"},
    }


# --- endpoints -------------------------------------------------------------------------------------


def _invoice_or_404(app: App, raw: str) -> Invoice:
    invoice = parse_invoice_id(raw)
    if invoice is None or not app.ledger.exists(invoice):
        raise ApiError(404, "800002", f"Invoice {raw} was not found.")
    return invoice


def balance(app: App, req: Request) -> Response:
    return json_response(app.ledger.summary("USD", app.ledger.invoices()))


def summaries(app: App, req: Request) -> Response:
    invoices = app.ledger.invoices()
    items = [app.ledger.summary(currency, invoices) for currency in app.ledger.currencies()]
    return json_response(collection(items, "/invoices/summaries"))


def _int_param(req: Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = req.q(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "800002", f"{name} must be a whole number, not '{raw}'.") from None
    if value < 0 or (name == "size" and value == 0):
        raise ApiError(400, "800002", f"{name} is out of range.")
    return min(value, maximum) if maximum else value


def list_invoices(app: App, req: Request) -> Response:
    ledger = app.ledger
    invoices = sorted(ledger.invoices(), key=lambda i: (-ledger.invoice_date(i), i.id))
    size = _int_param(req, "size", len(invoices) or 1)
    offset = _int_param(req, "offset", 0)
    page = invoices[offset : offset + size]
    extra: dict[str, Any] = {}
    if offset + size < len(invoices):
        extra["links"] = {"next": link(f"/invoices?size={size}&offset={offset + size}")}
    self_uri = f"/invoices{qs(size=req.q('size'), offset=req.q('offset'))}"
    return json_response(collection([ledger.invoice_json(i) for i in page], self_uri, **extra))


def get_invoice(app: App, req: Request) -> Response:
    return json_response(app.ledger.invoice_json(_invoice_or_404(app, req.params["invoice_id"])))


_PROVIDERS = {
    "onetime": "onetime",
    "one_time": "onetime",
    "office": "office",
    "azure": "azure",
    "marketplace": "marketplace",
}
_TYPES = {
    "billinglineitems": "billinglineitems",
    "billing_line_items": "billinglineitems",
    "usagelineitems": "usagelineitems",
    "usage_line_items": "usagelineitems",
}


def line_items_by_query(app: App, req: Request) -> Response:
    # The docs print the type parameter once as "nvoicelineitemtype"; accept that spelling too.
    item_type = req.q("invoicelineitemtype") or req.q("nvoicelineitemtype")
    return _line_items(app, req, req.params["invoice_id"], req.q("provider"), item_type, "query")


def line_items_by_path(app: App, req: Request) -> Response:
    return _line_items(
        app, req, req.params["invoice_id"], req.params["provider"], req.params["item_type"], "path"
    )


def _line_items(
    app: App, req: Request, raw_id: str, raw_provider: str | None, raw_type: str | None, form: str
) -> Response:
    provider = _PROVIDERS.get((raw_provider or "").lower())
    item_type = _TYPES.get((raw_type or "").lower())
    if provider is None or item_type is None:
        raise ApiError(
            400,
            "800002",
            "provider must be onetime, office or azure and invoicelineitemtype "
            "billinglineitems or usagelineitems.",
        )
    invoice = _invoice_or_404(app, raw_id)
    ledger = app.ledger
    if provider == "office" and item_type == "usagelineitems":
        raise ApiError(400, "800002", "Office invoices have no usage line items.")
    if provider in ("onetime", "marketplace"):
        return _onetime_page(app, req, invoice, provider, item_type, form)
    size = _int_param(req, "size", PAGE_MAX, PAGE_MAX)
    offset = _int_param(req, "offset", 0)
    count = ledger.recurring_count(invoice, provider, item_type) if invoice.kind == "Recurring" else 0
    items = ledger.recurring_items(invoice, provider, item_type, offset, size) if count else []
    names = (
        {"office": "Office", "azure": "Azure"}[provider],
        {"billinglineitems": "BillingLineItems", "usagelineitems": "UsageLineItems"}[item_type],
    )
    if form == "path":
        base = f"/invoices/{invoice.id}/lineitems/{names[0]}/{names[1]}"
        self_uri, next_uri = (
            f"{base}?size={size}&offset={offset}",
            f"{base}?size={size}&offset={offset + size}",
        )
    else:
        base = f"/invoices/{invoice.id}/lineitems?provider={names[0]}&invoicelineitemtype={names[1]}"
        self_uri, next_uri = (
            f"{base}&size={size}&offset={offset}",
            f"{base}&size={size}&offset={offset + size}",
        )
    extra = {"links": {"next": link(next_uri)}} if offset + size < count else {}
    return json_response(collection(items, self_uri, **extra))


def _onetime_page(
    app: App, req: Request, invoice: Invoice, provider: str, item_type: str, form: str
) -> Response:
    seek = req.q("seekOperation")
    if seek is not None:
        if seek.lower() != "next":
            raise ApiError(400, "800002", f"Unsupported seekOperation '{seek}'.")
        state = decode_token(req.header("MS-ContinuationToken"), "lineitems")
        if state.get("i") != invoice.id:
            raise ApiError(400, "800002", "The continuation token belongs to another invoice.")
        offset, size = int(state["o"]), int(state["s"])
    else:
        offset, size = 0, _int_param(req, "size", PAGE_MAX, PAGE_MAX)
    ledger = app.ledger
    real = provider == "onetime" and item_type == "billinglineitems" and invoice.kind == "OneTime"
    count = ledger.onetime_count(invoice) if real else 0
    items = ledger.onetime_items(invoice, offset, size) if real else []
    self_uri = (
        f"/invoices/{invoice.link_id}/lineitems?provider=OneTime&invoicelineitemtype=BillingLineItems&size={size}"
        if form == "query" and seek is None
        else f"/invoices/{invoice.link_id}/lineitems/OneTime/BillingLineItems?seekOperation=Next"
        if seek is not None
        else f"/invoices/{invoice.link_id}/lineitems/OneTime/BillingLineItems{qs(size=req.q('size'))}"
    )
    extra: dict[str, Any] = {}
    if offset + size < count:
        token = encode_token({"k": "lineitems", "i": invoice.id, "o": offset + size, "s": size})
        extra["continuationToken"] = token
        extra["links"] = {
            "next": link(
                f"/invoices/{invoice.link_id}/lineitems/OneTime/BillingLineItems?seekOperation=Next",
                [{"key": "MS-ContinuationToken", "value": token}],
            )
        }
    body = collection(items, self_uri, **extra)
    if "continuationToken" in body:  # the sample puts the token first
        body = {"continuationToken": body.pop("continuationToken"), **body}
    return json_response(body)


def statement(app: App, req: Request) -> Response:
    invoice = _invoice_or_404(app, req.params["invoice_id"])
    ledger = app.ledger
    total = ledger.total(invoice)
    lines = [
        PARTNER_NAME,
        f"Invoice {invoice.id}",
        f"Invoice type: {invoice.kind}",
        f"Invoice date: {ids.iso_z(ledger.invoice_date(invoice))[:10]}",
        f"Billing period: {ids.iso_z(invoice.start)[:10]} to {ids.iso_z(invoice.end - 86400)[:10]}",
        f"Total charges: {_money(total):,.2f} {invoice.currency}",
        f"Amount paid: {(_money(total) if ledger.paid(invoice) else 0):,.2f} {invoice.currency}",
        "",
        "Partner Center sandbox statement - not a real invoice.",
    ]
    headers = [("Content-Disposition", f"attachment; filename=Invoice_{invoice.id}.pdf")]
    return Response(200, pdf(lines), "application/pdf", headers)


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF with the given lines of text (Helvetica, WinAnsi), with a correct xref table."""

    def text(value: str) -> bytes:
        raw = value.encode("cp1252", "replace")
        return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    content = b"BT /F1 18 Tf 72 770 Td (" + text(lines[0]) + b") Tj /F1 11 Tf"
    for line in lines[1:]:
        content += b" 0 -22 Td (" + text(line) + b") Tj"
    content += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode() + b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


ROUTES = [
    route("GET", "/v1/invoices/summary", balance),
    route("GET", "/v1/invoices/summaries", summaries, "user"),
    route("GET", "/v1/invoices", list_invoices),
    route("GET", "/v1/invoices/{invoice_id}", get_invoice, "user"),
    route("GET", "/v1/invoices/{invoice_id}/lineitems", line_items_by_query),
    route("GET", "/v1/invoices/{invoice_id}/lineitems/{provider}/{item_type}", line_items_by_path),
    route("GET", "/v1/invoices/{invoice_id}/documents/statement", statement, "user"),
]
