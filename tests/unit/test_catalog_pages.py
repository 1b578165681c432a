"""The catalog pages: the mirrors and "Sync now", browsing a customer's catalog (filters, htmx results, the
situations where there is nothing to browse), SKU pages, and who may open them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from catalog import search
from catalog.models import AZURE_PLAN_SCOPE, LEGACY_SCOPE, Availability, Mirror, Product, Sku
from partnercenter.config import PartnerCenterConfig
from portal.models import AuditEntry, AzureSubscription, Customer, CustomerSubscription
from tests.catalog_factory import fill_generation, published_mirror

pytestmark = pytest.mark.django_db

FABRIKAM_ID = "8c6d2d5e-1f0a-4c1e-9d53-0c6f2e9d1a11"
CONTOSO_ID = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
COHO_ID = "a0b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3"
PLAN_ID = "3c2b1a09-8f7e-4d6c-b5a4-392817160504"
LEGACY_ID = "4d3c2b1a-0f9e-4d7c-a6b5-4a3928171605"
CONTOSO_PLAN_ID = "5e4d3c2b-1a0f-4e8d-b7c6-5b4a39281716"
COHO_PLAN_ID = "6f5e4d3c-2b1a-4f9e-8d7c-6c5b4a392817"
PRODUCTION_ID = "11111111-aaaa-4bbb-8ccc-000000000001"

ROLES = ["sales", "approver", "support", "admin"]
INVENTORY_TEMPLATE = Path(settings.BASE_DIR) / "templates" / "catalog" / "_inventory.html"


@pytest.fixture(autouse=True)
def _isolated(settings):
    # Pages read the portal's copy only: a call to Partner Center would fail loudly.
    settings.PARTNER_CENTER = PartnerCenterConfig()
    cache.clear()
    yield
    cache.clear()


def customer(customer_id: str, name: str, country: str) -> Customer:
    now = timezone.now()
    return Customer.objects.create(
        id=customer_id,
        company_name=name,
        country=country,
        listed_at=now,
        details_read_at=now,
        subscriptions_read_at=now,
    )


def subscription(sub_id: str, owner: Customer, kind: str, registration: str) -> CustomerSubscription:
    return CustomerSubscription.objects.create(
        id=sub_id, customer=owner, kind=kind, name=f"{owner.company_name} {kind}", registration=registration
    )


@pytest.fixture
def fabrikam(db) -> Customer:
    owner = customer(FABRIKAM_ID, "Fabrikam Inc", "US")
    plan = subscription(
        PLAN_ID, owner, CustomerSubscription.Kind.AZURE_PLAN, CustomerSubscription.Registration.REGISTERED
    )
    subscription(
        LEGACY_ID, owner, CustomerSubscription.Kind.LEGACY, CustomerSubscription.Registration.NOT_REGISTERED
    )
    AzureSubscription.objects.create(id=PRODUCTION_ID, plan=plan, name="Production", status="active")
    return owner


@pytest.fixture
def us_plan_catalog(db) -> Mirror:
    return published_mirror("US", AZURE_PLAN_SCOPE, size=200)


@pytest.fixture
def staff(client, personas):
    client.force_login(personas["sales"])
    return client


def browse_url(customer_id: str = FABRIKAM_ID, sub_id: str = PLAN_ID) -> str:
    return reverse("catalog-browse", args=[customer_id, sub_id])


def sku_url(product_id: str, sku_id: str, customer_id: str = FABRIKAM_ID, sub_id: str = PLAN_ID) -> str:
    return reverse("catalog-sku", args=[customer_id, sub_id, product_id, sku_id])


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def result_rows(html: str) -> list[str]:
    return re.findall(r'<tr data-availability="([^"]+)"', html)


def sku_of(mirror: Mirror, arm_sku_name: str, region: str = "eastus", months: int = 12) -> Sku:
    return Sku.objects.get(
        mirror=mirror,
        generation=mirror.generation,
        arm_sku_name=arm_sku_name,
        arm_region_name=region,
        availabilities__term_months=months,
    )


# --- browsing ------------------------------------------------------------------------------------------


def test_the_catalog_of_the_customers_market_and_scope_is_shown(staff, fabrikam, us_plan_catalog):
    html = html_of(staff.get(browse_url()))
    summary = html[html.index('data-testid="catalog-summary"') :]
    assert "Catalog of United States of America for Azure plan, last synced" in summary
    assert "(200 availabilities)" in summary
    assert "200 availabilities" in html[html.index('data-testid="count"') :]
    assert len(result_rows(html)) == 25
    assert "Page 1 of 8" in html
    assert 'data-testid="not-registered"' not in html


def test_each_result_row_says_what_it_is_and_links_to_its_sku_page(staff, fabrikam, us_plan_catalog):
    html = html_of(staff.get(browse_url(), {"size": "Standard_D4s_v5", "region": "eastus", "term": "3"}))
    assert len(result_rows(html)) == 1
    row = html[html.index("<tr data-availability") : html.index("</tr>", html.index("<tr data-availability"))]
    for shown in (
        "Reserved VM Instance, Standard_D4s_v5, US East, 3 Years",
        "Virtual Machines Dsv5 Series",
        "D4s v5",
        "<td>4</td>",
        "<td>16</td>",
        "US East",
        "3 years",
        "Upfront",
        "Commercial",
        "USD ($)",
    ):
        assert shown in row, shown
    sku = sku_of(us_plan_catalog, "Standard_D4s_v5", months=36)
    link = sku_url(sku.product_id, sku.sku_id) + "?region=eastus&amp;size=Standard_D4s_v5&amp;term=3"
    assert f'href="{link}"' in row


def test_a_row_without_some_values_shows_what_it_has(staff, fabrikam, us_plan_catalog):
    Availability.objects.filter(mirror=us_plan_catalog, arm_sku_name="Standard_D4s_v5").update(
        size_name="", cores=None, ram_gb="1.5", region="", currency_symbol=""
    )
    html = html_of(staff.get(browse_url(), {"size": "Standard_D4s_v5", "region": "eastus", "term": "3"}))
    row = html[html.index("<tr data-availability") : html.index("</tr>", html.index("<tr data-availability"))]
    cells = re.findall(r"<td>(.*?)</td>", row)
    # Size, cores, memory, region (its Azure name), term, billing plan, segment, currency.
    assert cells == ["Standard_D4s_v5", "—", "1.50", "eastus", "3 years", "Upfront", "Commercial", "USD"]


def test_the_full_page_keeps_the_filters_in_the_form(staff, fabrikam, us_plan_catalog):
    html = html_of(
        staff.get(
            browse_url(),
            {
                "q": "d4s",
                "region": "eastus",
                "cores_min": "2",
                "ram_max": "64",
                "term": "3",
                "sort": "-cores",
            },
        )
    )
    form = html[html.index('<form method="get"') : html.index("</form>", html.index('<form method="get"'))]
    assert 'name="q" class="typed" value="d4s"' in form
    assert '<option value="eastus" selected>US East</option>' in form
    assert 'name="cores_min" class="typed" value="2"' in form
    assert 'name="ram_max" class="typed" value="64"' in form
    assert '<option value="3" selected>3 years</option>' in form
    assert '<option value="-cores" selected>Cores, most first</option>' in form
    assert f'hx-get="{browse_url()}"' in form and 'hx-push-url="true"' in form
    assert len(result_rows(html)) == 1


def test_the_series_list_is_grouped_by_family_escaped_and_keeps_the_choice(staff, fabrikam, us_plan_catalog):
    dsv5 = Product.objects.get(mirror=us_plan_catalog, title="Virtual Machines Dsv5 Series")
    Product.objects.filter(pk=dsv5.pk).update(title="Dsv5 <b>new</b> & improved")
    html = html_of(staff.get(browse_url(), {"product": dsv5.product_id, "family": "VirtualMachines"}))
    form = html[html.index('<form method="get"') : html.index("</form>", html.index('<form method="get"'))]
    group = form[form.index('<optgroup label="Virtual machines">') :].split("</optgroup>")[0]
    assert (
        f'<option value="{dsv5.product_id}" selected>Dsv5 &lt;b&gt;new&lt;/b&gt; &amp; improved</option>'
        in group
    )
    assert '<option value="VirtualMachines" selected>Virtual machines</option>' in form
    assert "<b>new</b>" not in html


def test_an_htmx_request_of_the_filters_gets_only_the_results(staff, fabrikam, us_plan_catalog):
    response = staff.get(browse_url(), {"q": "d4s"}, headers={"HX-Request": "true", "HX-Target": "results"})
    html = html_of(response)
    assert html.lstrip().startswith('<section id="results"')
    assert "<form" not in html and "<html" not in html
    assert "4 availabilities" in html and len(result_rows(html)) == 4
    assert "HX-Request" in response["Vary"] and "HX-Target" in response["Vary"]


def test_the_address_bar_gets_only_the_filters_that_apply(staff, fabrikam, us_plan_catalog):
    # A form sends its empty fields too; the address to push leaves them (and unusable values) out.
    sent = {"q": "d4s", "family": "", "region": "eastus", "cores_min": "", "term": "7", "sort": "name"}
    response = staff.get(browse_url(), sent, headers={"HX-Request": "true", "HX-Target": "results"})
    assert response["HX-Push-Url"] == f"{browse_url()}?q=d4s&region=eastus"


def test_going_back_after_htmx_forgot_the_page_gets_the_whole_page(staff, fabrikam, us_plan_catalog):
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    html = html_of(staff.get(browse_url(), {"q": "d4s"}, headers=restore))
    assert "<html" in html and 'value="d4s"' in html and len(result_rows(html)) == 4


def test_the_pages_links_keep_the_filters(staff, fabrikam, us_plan_catalog):
    html = html_of(staff.get(browse_url(), {"family": "VirtualMachines", "page": "2"}))
    assert "Page 2 of" in html
    assert 'href="?family=VirtualMachines&amp;page=3"' in html
    assert 'href="?family=VirtualMachines"' in html  # back to page 1


def test_unusable_filters_are_explained_and_the_page_still_answers(staff, fabrikam, us_plan_catalog):
    response = staff.get(
        browse_url(),
        {"family": "Nope", "cores": "abc", "term": "7", "sort": "password", "region": "<script>x</script>"},
    )
    html = html_of(response)
    notes = html[html.index('data-testid="filter-notes"') :]
    assert "This catalog has no reservation family “Nope”" in notes
    assert "“abc” is not a valid number of cores" in notes
    assert "This catalog has no term of “7” years" in notes
    assert "&lt;script&gt;x&lt;/script&gt;" in notes and "<script>x</script>" not in html
    assert "200 availabilities" in html


def test_a_broad_search_says_more_than_and_pages_on(staff, fabrikam, us_plan_catalog, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 50)  # 1,000 in real life, scaled to this small catalog
    html = html_of(staff.get(browse_url(), {"page": "2"}))
    assert "More than 50 availabilities match: narrow the filters" in html
    assert "<span>Page 2</span>" in html
    assert 'href="?page=3"' in html and 'href="?"' in html
    assert len(result_rows(html)) == 25


@pytest.mark.parametrize("page", ["999999999", "-1", "abc"])
def test_any_page_number_answers_with_a_page(staff, fabrikam, us_plan_catalog, page):
    html = html_of(staff.get(browse_url(), {"page": page}))
    assert ("Page 8 of 8" if page == "999999999" else "Page 1 of 8") in html


def test_a_search_that_finds_nothing_says_so(staff, fabrikam, us_plan_catalog):
    html = html_of(staff.get(browse_url(), {"q": "' OR 1=1 --"}))
    assert "No availability matches these filters." in html and result_rows(html) == []


def test_rows_of_a_generation_being_built_are_not_shown(staff, fabrikam, us_plan_catalog):
    fill_generation(us_plan_catalog, 2, size=20)
    Availability.objects.filter(generation=2).update(title="Half-copied row", search_text="half copied")
    html = html_of(staff.get(browse_url()))
    assert "(200 availabilities)" in html and "Half-copied row" not in html
    assert "No availability matches" in html_of(staff.get(browse_url(), {"q": "half copied"}))


def test_a_legacy_subscription_browses_the_legacy_catalog(staff, fabrikam, us_plan_catalog):
    published_mirror("US", LEGACY_SCOPE, size=30)
    html = html_of(staff.get(browse_url(sub_id=LEGACY_ID)))
    assert "Catalog of United States of America for Microsoft Azure (MS-AZR-0145P)" in html
    assert "(30 availabilities)" in html


def test_an_unregistered_subscription_is_browsable_with_a_warning(staff, fabrikam):
    published_mirror("US", LEGACY_SCOPE, size=30)
    html = html_of(staff.get(browse_url(sub_id=LEGACY_ID)))
    warning = html[html.index('data-testid="not-registered"') :]
    assert "is not registered for reservation purchases (Not registered)" in warning
    assert "nothing can be bought for it until it is registered" in warning
    assert f'href="{reverse("customer", args=[FABRIKAM_ID])}#registration-{LEGACY_ID}"' in warning
    assert len(result_rows(html)) == 25


def test_a_blocked_market_is_explained_and_nothing_is_listed(staff):
    coho = customer(COHO_ID, "Coho Winery", "BR")
    subscription(
        COHO_PLAN_ID, coho, CustomerSubscription.Kind.AZURE_PLAN, CustomerSubscription.Registration.REGISTERED
    )
    html = html_of(staff.get(browse_url(COHO_ID, COHO_PLAN_ID)))
    assert 'data-testid="market-blocked"' in html
    assert "Azure reservations cannot be bought in Brazil" in html
    assert "there is no catalog to browse, and nothing can be bought for this customer" in html
    assert 'id="results"' not in html and "<select" not in html.split("site-footer")[0]
    assert not Mirror.objects.filter(country="BR").exists()  # and no copy of it is asked for


def test_a_customer_whose_country_is_unknown_is_told_to_refresh_first(staff):
    contoso = customer(CONTOSO_ID, "Contoso", "")
    subscription(
        CONTOSO_PLAN_ID,
        contoso,
        CustomerSubscription.Kind.AZURE_PLAN,
        CustomerSubscription.Registration.UNKNOWN,
    )
    html = html_of(staff.get(browse_url(CONTOSO_ID, CONTOSO_PLAN_ID)))
    assert 'data-testid="market-unknown"' in html
    assert "use “Refresh from Partner Center”" in html
    assert f'href="{reverse("customer", args=[CONTOSO_ID])}"' in html
    assert 'id="results"' not in html


def test_a_market_never_copied_is_queued_and_the_page_says_it_is_being_prepared(staff):
    northwind = customer(CONTOSO_ID, "Northwind Traders", "GB")
    subscription(
        CONTOSO_PLAN_ID,
        northwind,
        CustomerSubscription.Kind.AZURE_PLAN,
        CustomerSubscription.Registration.REGISTERED,
    )
    html = html_of(staff.get(browse_url(CONTOSO_ID, CONTOSO_PLAN_ID)))
    mirror = Mirror.objects.get(country="GB", scope=AZURE_PLAN_SCOPE)
    assert mirror.sync_state == Mirror.SyncState.QUEUED and mirror.sync_kind == Mirror.SyncKind.FULL
    preparing = html[html.index('data-testid="preparing"') :]
    assert "Preparing the catalog of United Kingdom" in preparing
    status_url = reverse("catalog-mirror-status", args=[mirror.pk])
    assert f'hx-get="{status_url}?waiting=1" hx-trigger="every 2s"' in preparing
    assert 'hx-trigger="catalog-ready from:body"' in preparing  # the results come in when it is ready
    assert 'id="results"' not in html


def test_the_preparing_page_shows_how_far_the_copy_is(staff):
    northwind = customer(CONTOSO_ID, "Northwind Traders", "GB")
    subscription(
        CONTOSO_PLAN_ID,
        northwind,
        CustomerSubscription.Kind.AZURE_PLAN,
        CustomerSubscription.Registration.REGISTERED,
    )
    Mirror.objects.create(
        country="GB",
        scope=AZURE_PLAN_SCOPE,
        sync_state=Mirror.SyncState.RUNNING,
        sync_kind=Mirror.SyncKind.FULL,
        sync_products_total=319,
        sync_products_done=12,
    )
    html = html_of(staff.get(browse_url(CONTOSO_ID, CONTOSO_PLAN_ID)))
    assert "Preparing the catalog of United Kingdom (12 of 319 products)" in html


def test_a_catalog_being_refreshed_is_shown_with_a_note(staff, fabrikam, us_plan_catalog):
    Mirror.objects.filter(pk=us_plan_catalog.pk).update(
        sync_state=Mirror.SyncState.RUNNING, sync_kind=Mirror.SyncKind.REFRESH
    )
    html = html_of(staff.get(browse_url()))
    assert "It is being refreshed" in html and len(result_rows(html)) == 25


def test_a_stale_catalog_says_so_and_offers_a_sync_that_comes_back_here(staff, fabrikam, us_plan_catalog):
    Mirror.objects.filter(pk=us_plan_catalog.pk).update(synced_at=timezone.now() - timedelta(days=3))
    html = html_of(staff.get(browse_url(), {"q": "d4s"}))
    assert "This copy is stale" in html and len(result_rows(html)) == 4
    sync_url = reverse("catalog-mirror-sync", args=[us_plan_catalog.pk])
    assert f'action="{sync_url}"' in html and f'name="next" value="{browse_url()}?q=d4s"' in html
    response = staff.post(sync_url, {"next": f"{browse_url()}?q=d4s"})
    assert response["Location"] == f"{browse_url()}?q=d4s"
    html = html_of(staff.get(response["Location"]))
    assert "was asked for" in html and "It is being refreshed" in html


# --- the mirrors page, its progress, "Sync now" ---------------------------------------------------------


def test_the_catalog_page_lists_each_copy_and_how_to_browse(staff, us_plan_catalog):
    Mirror.objects.create(
        country="FR",
        scope=LEGACY_SCOPE,
        last_error="Partner Center refused the call (403): the view is not allowed.",
        last_error_at=timezone.now(),
    )
    html = html_of(staff.get(reverse("catalog")))
    us = html[html.index('data-mirror="US-AzurePlan"') :]
    assert "United States of America" in us and "Azure plan" in us
    assert "12 products, 200 SKUs, 200 availabilities" in us
    assert "Up to date" in us and "Sync now" in us
    france = html[html.index('data-mirror="FR-legacy"') :]
    assert "France" in france and "Microsoft Azure (MS-AZR-0145P)" in france
    assert "nothing yet: never copied completely" in france
    assert "Partner Center refused the call (403): the view is not allowed." in france
    assert f'action="{reverse("customers")}"' in html and 'name="q"' in html


def test_a_stale_copy_is_marked_on_the_catalog_page(staff, us_plan_catalog):
    Mirror.objects.filter(pk=us_plan_catalog.pk).update(synced_at=timezone.now() - timedelta(days=2))
    html = html_of(staff.get(reverse("catalog")))
    assert "stale: due for a refresh" in html


def test_the_catalog_page_without_any_copy_says_how_one_starts(staff):
    html = html_of(staff.get(reverse("catalog")))
    assert "No market's catalog has been copied yet" in html


def test_only_those_who_may_sync_see_the_button(client, personas, us_plan_catalog):
    client.force_login(personas["approver"])
    html = html_of(client.get(reverse("catalog")))
    assert "12 products" in html and "Sync now" not in html


def test_a_sync_in_progress_polls_its_progress(staff, us_plan_catalog):
    Mirror.objects.filter(pk=us_plan_catalog.pk).update(
        sync_state=Mirror.SyncState.RUNNING,
        sync_kind=Mirror.SyncKind.FULL,
        sync_products_total=12,
        sync_products_done=5,
    )
    status_url = reverse("catalog-mirror-status", args=[us_plan_catalog.pk])
    html = html_of(staff.get(reverse("catalog")))
    assert f'hx-get="{status_url}" hx-trigger="every 2s"' in html
    assert "5 of 12 products" in html and "Sync now" not in html
    response = staff.get(status_url, headers={"HX-Request": "true"})
    fragment = html_of(response)
    assert fragment.lstrip().startswith('<div id="mirror-') and "5 of 12 products" in fragment
    assert "no-cache" in response["Cache-Control"]


def test_polling_stops_when_the_sync_is_done_and_a_waiting_page_is_told(staff, us_plan_catalog):
    status_url = reverse("catalog-mirror-status", args=[us_plan_catalog.pk])
    done = staff.get(status_url, headers={"HX-Request": "true"})
    assert "hx-trigger" not in html_of(done) and "HX-Trigger" not in done
    waiting = staff.get(status_url, {"waiting": "1"}, headers={"HX-Request": "true"})
    assert waiting["HX-Trigger"] == "catalog-ready"
    assert "The catalog of United States of America is ready." in html_of(waiting)


def test_sync_now_queues_a_sync_and_is_audited(staff, us_plan_catalog):
    response = staff.post(reverse("catalog-mirror-sync", args=[us_plan_catalog.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("catalog")
    us_plan_catalog.refresh_from_db()
    assert us_plan_catalog.sync_state == Mirror.SyncState.QUEUED
    entry = AuditEntry.objects.get(action="catalog-sync")
    assert entry.outcome == AuditEntry.Outcome.SUCCESS and entry.actor.username == "sales"
    assert entry.object_id == str(us_plan_catalog.pk)
    html = html_of(staff.get(reverse("catalog")))
    assert "A fresh copy of the catalog of United States of America (Azure plan) was asked for." in html
    assert "Waiting for a worker" in html


def test_sync_now_twice_says_the_first_one_will_do(staff, us_plan_catalog):
    url = reverse("catalog-mirror-sync", args=[us_plan_catalog.pk])
    staff.post(url)
    html = html_of(staff.post(url, follow=True))
    assert "is already being copied" in html
    assert [e.outcome for e in AuditEntry.objects.filter(action="catalog-sync").order_by("id")] == [
        AuditEntry.Outcome.SUCCESS,
        AuditEntry.Outcome.REFUSED,
    ]


def test_sync_now_through_htmx_answers_with_the_mirror_fragment(staff, us_plan_catalog):
    response = staff.post(
        reverse("catalog-mirror-sync", args=[us_plan_catalog.pk]), headers={"HX-Request": "true"}
    )
    fragment = html_of(response)
    assert fragment.lstrip().startswith(f'<div id="mirror-{us_plan_catalog.pk}"')
    assert "was asked for" in fragment and "Waiting for a worker" in fragment
    assert 'hx-trigger="every 2s"' in fragment


def test_sync_now_is_refused_for_a_blocked_market(staff):
    brazil = Mirror.objects.create(country="BR", scope=AZURE_PLAN_SCOPE)
    html = html_of(staff.post(reverse("catalog-mirror-sync", args=[brazil.pk]), follow=True))
    assert "Azure reservations cannot be bought in Brazil" in html
    brazil.refresh_from_db()
    assert brazil.sync_state == Mirror.SyncState.IDLE
    assert AuditEntry.objects.get(action="catalog-sync").outcome == AuditEntry.Outcome.REFUSED


def test_sync_now_goes_back_where_it_was_asked_but_never_off_site(staff, us_plan_catalog):
    url = reverse("catalog-mirror-sync", args=[us_plan_catalog.pk])
    assert staff.post(url, {"next": browse_url()})["Location"] == browse_url()
    Mirror.objects.filter(pk=us_plan_catalog.pk).update(sync_state=Mirror.SyncState.IDLE)
    assert staff.post(url, {"next": "https://evil.example/"})["Location"] == reverse("catalog")


def test_sync_now_only_by_post(staff, us_plan_catalog):
    assert staff.get(reverse("catalog-mirror-sync", args=[us_plan_catalog.pk])).status_code == 405


# --- SKU pages ------------------------------------------------------------------------------------------


def test_the_sku_page_says_everything_the_catalog_knows(staff, fabrikam, us_plan_catalog):
    sku = sku_of(us_plan_catalog, "SQLDB_GP_Compute_Gen5")
    html = html_of(staff.get(sku_url(sku.product_id, sku.sku_id)))
    details = html[html.index('data-testid="sku-details"') :]
    assert "<h1>SQL Database Reserved vCore, SQL Database Single/Elastic Pool General Purpose" in html
    assert sku.product_id in details and sku.sku_id in details
    assert "from 1 to 999,999,999" in details
    billing = details[details.index('data-testid="billing-cycles"') :]
    assert billing.split("</dd>")[0].endswith("Upfront")
    assert "The subscription must be registered for reservation purchases" in details
    assert "Check inventory before buying" not in details
    assert "<code>Scope</code>, <code>SubscriptionId</code>" in details
    terms = html[html.index('data-testid="availabilities"') :]
    assert "1 year" in terms and "1 Year Prepaid" in terms and "USD ($)" in terms and "Commercial" in terms
    attributes = html[html.index('data-testid="attributes"') :]
    for key, value in sku.dynamic_attributes.items():
        assert f"<dt><code>{key}</code></dt><dd>{value}</dd>" in attributes
    assert 'data-testid="inventory-check"' not in html


def test_the_sku_page_of_a_virtual_machine_has_its_size_and_prerequisites(staff, fabrikam, us_plan_catalog):
    if not INVENTORY_TEMPLATE.exists():
        pytest.skip("catalog/_inventory.html (the inventory check) is not written yet")
    sku = sku_of(us_plan_catalog, "Standard_D4s_v5", months=36)
    html = html_of(staff.get(sku_url(sku.product_id, sku.sku_id)))
    assert "<dd>4</dd>" in html and "16 GB" in html and "US East <code>eastus</code>" in html
    assert "3 years" in html and "3 Years Prepaid" in html
    prerequisites = html[html.index('data-testid="prerequisites"') :].split("</dd>")[0]
    assert "The subscription must be registered for reservation purchases" in prerequisites
    assert "Check inventory before buying" in prerequisites
    inventory = html[html.index('data-testid="inventory-check"') :]
    action = reverse("catalog-inventory", args=[FABRIKAM_ID, PLAN_ID, sku.product_id, sku.sku_id])
    assert action in inventory and PRODUCTION_ID in inventory


def test_a_prerequisite_nobody_described_is_shown_as_sent(staff, fabrikam, us_plan_catalog):
    sku = sku_of(us_plan_catalog, "SQLDB_GP_Compute_Gen5")
    Sku.objects.filter(pk=sku.pk).update(
        prerequisites=["AzureSubscriptionRegistration", "QuantumEntanglement"]
    )
    html = html_of(staff.get(sku_url(sku.product_id, sku.sku_id)))
    assert "<li>QuantumEntanglement</li>" in html


def test_the_sku_page_leads_back_to_the_results_it_came_from(staff, fabrikam, us_plan_catalog):
    sku = sku_of(us_plan_catalog, "SQLDB_GP_Compute_Gen5")
    html = html_of(
        staff.get(sku_url(sku.product_id, sku.sku_id), {"q": "sql", "page": "1", "family": "Nope"})
    )
    back = html[html.index('data-testid="back-to-results"') - 200 :]
    assert f'href="{browse_url()}?q=sql"' in back


@pytest.mark.parametrize(
    ("product_id", "sku_id"),
    [("DZH318Z0NOPE", "0001"), ("DZH318Z036CT", "ZZZZ")],
)
def test_a_sku_not_in_this_catalog_is_not_found(staff, fabrikam, us_plan_catalog, product_id, sku_id):
    response = staff.get(sku_url(product_id, sku_id))
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


def test_a_sku_only_in_a_generation_being_built_is_not_found(staff, fabrikam, us_plan_catalog):
    fill_generation(us_plan_catalog, 2, size=20)
    newcomer = Sku.objects.filter(generation=2).first()
    assert staff.get(sku_url(newcomer.product_id, newcomer.sku_id)).status_code == 200  # published too
    Sku.objects.filter(pk=newcomer.pk).update(sku_id="NEW1")
    product_id = newcomer.product_id
    assert staff.get(sku_url(product_id, "NEW1")).status_code == 404


@pytest.mark.parametrize(
    ("product_id", "sku_id"),
    [("DZH318Z0-ABC", "0001"), ("DZH318Z036CT", "00%2701"), ("A" * 65, "0001"), ("DZH318Z036CT", "00_1")],
)
def test_a_malformed_product_or_sku_id_is_a_bad_request(staff, fabrikam, us_plan_catalog, product_id, sku_id):
    url = f"{browse_url()}{product_id}/{sku_id}/"
    response = staff.get(url)
    assert response.status_code == 400
    assert "Partner Center&#x27;s ids are letters and digits only" in response.content.decode()


def test_the_sku_page_of_a_blocked_market_explains_instead(staff):
    coho = customer(COHO_ID, "Coho Winery", "BR")
    subscription(
        COHO_PLAN_ID, coho, CustomerSubscription.Kind.AZURE_PLAN, CustomerSubscription.Registration.REGISTERED
    )
    html = html_of(staff.get(sku_url("DZH318Z036CT", "0029", COHO_ID, COHO_PLAN_ID)))
    assert "Azure reservations cannot be bought in Brazil" in html and 'data-testid="sku-details"' not in html


def test_the_sku_page_of_a_market_never_copied_leads_to_the_preparing_page(staff):
    northwind = customer(CONTOSO_ID, "Northwind Traders", "GB")
    subscription(
        CONTOSO_PLAN_ID,
        northwind,
        CustomerSubscription.Kind.AZURE_PLAN,
        CustomerSubscription.Registration.REGISTERED,
    )
    response = staff.get(sku_url("DZH318Z036CT", "0029", CONTOSO_ID, CONTOSO_PLAN_ID))
    assert response.status_code == 302 and response["Location"] == browse_url(CONTOSO_ID, CONTOSO_PLAN_ID)


# --- the way in, from the customer page -----------------------------------------------------------------


def test_the_customer_page_links_each_subscription_to_its_catalog(staff, fabrikam):
    html = html_of(staff.get(reverse("customer", args=[FABRIKAM_ID])))
    assert f'href="{browse_url()}" data-testid="browse-catalog"' in html
    assert f'href="{browse_url(sub_id=LEGACY_ID)}" data-testid="browse-catalog"' in html


def test_no_catalog_link_for_a_customer_in_a_blocked_market(staff):
    coho = customer(COHO_ID, "Coho Winery", "BR")
    subscription(
        COHO_PLAN_ID, coho, CustomerSubscription.Kind.AZURE_PLAN, CustomerSubscription.Registration.REGISTERED
    )
    html = html_of(staff.get(reverse("customer", args=[COHO_ID])))
    assert COHO_PLAN_ID in html and "Browse catalog" not in html


# --- who may, and addresses that are wrong --------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_may_browse(client, personas, fabrikam, us_plan_catalog, role):
    client.force_login(personas[role])
    sku = sku_of(us_plan_catalog, "SQLDB_GP_Compute_Gen5")
    for url in (reverse("catalog"), browse_url(), sku_url(sku.product_id, sku.sku_id)):
        assert client.get(url).status_code == 200, url
    status = reverse("catalog-mirror-status", args=[us_plan_catalog.pk])
    assert client.get(status).status_code == 200


@pytest.mark.parametrize(
    ("role", "allowed"), [("sales", True), ("support", True), ("admin", True), ("approver", False)]
)
def test_who_may_ask_for_a_sync(client, personas, us_plan_catalog, role, allowed):
    client.force_login(personas[role])
    response = client.post(reverse("catalog-mirror-sync", args=[us_plan_catalog.pk]))
    assert response.status_code == (302 if allowed else 403)
    us_plan_catalog.refresh_from_db()
    assert (us_plan_catalog.sync_state == Mirror.SyncState.QUEUED) is allowed


def test_an_account_without_a_role_is_refused_everywhere(client, personas, fabrikam, us_plan_catalog):
    client.force_login(personas["outsider"])
    sku = sku_of(us_plan_catalog, "SQLDB_GP_Compute_Gen5")
    for url in (
        reverse("catalog"),
        browse_url(),
        sku_url(sku.product_id, sku.sku_id),
        reverse("catalog-mirror-status", args=[us_plan_catalog.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("catalog-mirror-sync", args=[us_plan_catalog.pk])).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, fabrikam):
    response = client.get(browse_url())
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_subscription_of_another_customer_is_not_found(staff, fabrikam, us_plan_catalog):
    customer(CONTOSO_ID, "Contoso", "US")
    assert staff.get(browse_url(CONTOSO_ID, PLAN_ID)).status_code == 404
    sku = sku_of(us_plan_catalog, "SQLDB_GP_Compute_Gen5")
    assert staff.get(sku_url(sku.product_id, sku.sku_id, CONTOSO_ID, PLAN_ID)).status_code == 404


def test_an_unknown_mirror_is_not_found(staff):
    assert staff.get(reverse("catalog-mirror-status", args=[999])).status_code == 404
    assert staff.post(reverse("catalog-mirror-sync", args=[999])).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/customers/not-a-guid/subscriptions/{PLAN_ID}/catalog/",
        f"/customers/{FABRIKAM_ID}/subscriptions/1234/catalog/",
        f"/customers/{FABRIKAM_ID}/subscriptions/{PLAN_ID}x/catalog/DZH318Z036CT/0029/",
    ],
)
def test_a_malformed_guid_is_a_bad_request(staff, fabrikam, url):
    response = staff.get(url)
    assert response.status_code == 400
    assert "is malformed: it is not a valid GUID" in response.content.decode()
