"""Finding a customer: a server-side search of the portal's copy of the list, never of Partner Center."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from partnercenter.config import PartnerCenterConfig
from portal import customers
from portal.models import Customer, MirrorSync

pytestmark = pytest.mark.django_db

FABRIKAM_ID = "8c6d2d5e-1f0a-4c1e-9d53-0c6f2e9d1a11"
CONTOSO_ID = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
COHO_ID = "a0b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3"


def add_customer(name: str, domain: str = "", customer_id: str = "", country: str = "", **fields) -> Customer:
    number = Customer.objects.count()
    return Customer.objects.create(
        id=customer_id or f"00000000-0000-4000-8000-{number:012d}",
        company_name=name,
        domain=domain,
        country=country,
        listed_at=fields.pop("listed_at", timezone.now()),
        **fields,
    )


@pytest.fixture
def mirror(db):
    add_customer("Fabrikam Inc", "fabrikaminc.onmicrosoft.com", FABRIKAM_ID, "US")
    add_customer("Contoso Pharmaceuticals", "contosopharma.onmicrosoft.com", CONTOSO_ID)
    add_customer("Coho Winery", "cohowinery.onmicrosoft.com", COHO_ID, "BR")
    add_customer("Fabrikam Fiber", "fabrikamfiber.onmicrosoft.com", country="GB")
    add_customer("Olympia Éditions", "olympiaeditions.onmicrosoft.com", country="FR")
    add_customer("Munson's Pickles 100%_Natural", "munsons.onmicrosoft.com", country="US")


def names(page) -> list[str]:
    return [c.company_name for c in page]


@pytest.fixture
def staff(client, personas):
    client.force_login(personas["sales"])
    return client


def listing(client, **params) -> str:
    response = client.get(reverse("customers"), params)
    assert response.status_code == 200
    return response.content.decode()


# --- the search itself ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("fabrikam", ["Fabrikam Fiber", "Fabrikam Inc"]),
        ("FABRIKAM FIB", ["Fabrikam Fiber"]),
        ("cohowinery.onmicrosoft", ["Coho Winery"]),
        ("pharma.onmicrosoft.com", ["Contoso Pharmaceuticals"]),
        (CONTOSO_ID.upper(), ["Contoso Pharmaceuticals"]),
        ("a0b1c2d3", ["Coho Winery"]),  # the first block of a tenant id
        ("éditions", ["Olympia Éditions"]),
        ("100%_", ["Munson's Pickles 100%_Natural"]),  # LIKE's wildcards are searched for, not obeyed
        ("munson's", ["Munson's Pickles 100%_Natural"]),
        ("  winery   coho ", ["Coho Winery"]),  # every word, in any order
        ("%", ["Munson's Pickles 100%_Natural"]),
        ("nobody-like-this", []),
    ],
)
def test_it_finds_customers_by_name_domain_or_tenant_id_in_any_case(mirror, query, expected):
    assert names(customers.search(query, 1)) == expected


def test_an_empty_search_lists_every_customer_by_name(mirror):
    assert names(customers.search("", 1)) == [
        "Coho Winery",
        "Contoso Pharmaceuticals",
        "Fabrikam Fiber",
        "Fabrikam Inc",
        "Munson's Pickles 100%_Natural",
        "Olympia Éditions",
    ]


def test_results_come_25_a_page_and_a_page_out_of_range_gives_the_last(db):
    for n in range(60):
        add_customer(f"Tailspin Toys {n:02d}", f"tailspin{n}.onmicrosoft.com")
    assert names(customers.search("tailspin", 1))[:2] == ["Tailspin Toys 00", "Tailspin Toys 01"]
    assert len(customers.search("tailspin", 2)) == 25
    assert names(customers.search("tailspin", 3)) == [f"Tailspin Toys {n}" for n in range(50, 60)]
    assert names(customers.search("tailspin", 10**12)) == names(customers.search("tailspin", 3))
    assert names(customers.search("tailspin", "two")) == names(customers.search("tailspin", 1))


# --- the list page --------------------------------------------------------------------------------------


def test_the_list_shows_each_customer_with_its_country_and_whether_it_can_buy(staff, mirror):
    html = listing(staff, q="fabrikam inc")
    assert "Fabrikam Inc" in html and "fabrikaminc.onmicrosoft.com" in html and FABRIKAM_ID in html
    assert "United States of America" in html
    assert 'data-verdict="available"' in html and "can buy" in html
    assert reverse("customer", args=[FABRIKAM_ID]) in html


def test_a_blocked_market_is_named_on_the_list(staff, mirror):
    html = listing(staff, q="coho")
    assert 'data-verdict="blocked"' in html
    assert "blocked (Brazil)" in html


def test_a_customer_whose_country_was_never_read_shows_unknown(staff, mirror):
    html = listing(staff, q="contoso")
    assert 'data-verdict="unknown"' in html
    assert "not read yet" in html


def test_pages_keep_the_search(staff, db):
    for n in range(30):
        add_customer(f"Wingtip Toys {n:02d}", f"wingtip{n}.onmicrosoft.com")
    add_customer("Alpine Ski House")
    html = listing(staff, q="wingtip")
    assert "30 customers" in html and "Page 1 of 2" in html
    assert 'href="?q=wingtip&amp;page=2"' in html
    second = listing(staff, q="wingtip", page="2")
    assert "Wingtip Toys 29" in second and "Wingtip Toys 00" not in second
    assert "Alpine Ski House" not in second


def test_typing_in_the_search_box_swaps_only_the_results(staff, mirror):
    response = staff.get(reverse("customers"), {"q": "coho"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "Coho Winery" in html and "<html" not in html
    assert "HX-Request" in response["Vary"]
    full = listing(staff, q="coho")
    assert 'hx-get="/customers/"' in full and 'hx-push-url="true"' in full and 'name="q"' in full


@pytest.mark.parametrize(
    "params",
    [
        {"page": "99999999999999999999"},
        {"page": "-1"},
        {"page": "1; DROP TABLE portal_customer"},
        {"q": "' OR 1=1 --"},
        {"q": "<script>alert(1)</script>"},
        {"q": "ünïcödé 名前 🙂"},
        {"q": "\\", "page": "0"},
    ],
)
def test_tampered_input_is_answered_safely(staff, mirror, params):
    html = listing(staff, **params)
    assert "<script>alert(1)</script>" not in html
    assert 'id="results"' in html


def test_an_overlong_search_is_refused_with_a_message_not_run(staff, mirror):
    html = listing(staff, q="x" * 10_000)
    assert "Ensure this value has at most 200 characters" in html
    assert "Fabrikam Inc" not in html
    assert "x" * 201 not in html


def test_a_null_character_in_the_search_is_refused(staff, mirror):
    html = listing(staff, q="fab\x00rikam")
    assert "Null characters are not allowed" in html


def test_an_empty_mirror_says_the_background_job_fills_it(staff, settings, configured_partner_center):
    settings.PARTNER_CENTER = configured_partner_center
    html = listing(staff)
    assert "copies it within 15 minutes" in html
    assert "has not been copied completely" in html


def test_an_empty_mirror_without_partner_center_says_it_is_not_configured(staff, settings):
    settings.PARTNER_CENTER = PartnerCenterConfig()
    html = listing(staff)
    assert "Partner Center is not configured for this portal" in html


def test_the_list_says_when_it_was_last_copied_completely(staff, mirror):
    sync = MirrorSync.objects.create(name="customers", items=6)
    sync.finished_at = timezone.now()
    sync.save()
    failed = MirrorSync.objects.create(name="customers", items=2)
    failed.finished_at = timezone.now()
    failed.error = "Partner Center had an error. Try again later."
    failed.save()
    html = listing(staff)
    assert "Customer list copied from Partner Center at" in html
    assert "stopped: Partner Center had an error. Try again later." in html


def test_a_customer_a_complete_copy_no_longer_listed_is_kept_and_marked(staff, mirror):
    add_customer("Gone Away Ltd", listed_at=timezone.now() - timedelta(days=1))
    sync = MirrorSync.objects.create(name="customers", items=6)
    Customer.objects.exclude(company_name="Gone Away Ltd").update(listed_at=sync.started_at)
    sync.finished_at = timezone.now()
    sync.save()
    html = listing(staff, q="gone away")
    assert "Gone Away Ltd" in html and "no longer listed by Partner Center" in html
    assert "no longer listed" not in listing(staff, q="coho")


def test_an_unfinished_copy_does_not_mark_customers_as_gone(staff, mirror):
    Customer.objects.update(listed_at=timezone.now() - timedelta(days=1))
    MirrorSync.objects.create(name="customers", items=3)  # still running, or its worker died
    failed = MirrorSync.objects.create(name="customers", items=1, error="Partner Center had an error.")
    failed.finished_at = timezone.now()
    failed.save()
    assert "no longer listed" not in listing(staff)
    assert customers.last_complete_sync() is None


@pytest.fixture
def configured_partner_center():
    """A configured Partner Center that nothing here calls: the list page never does."""
    return PartnerCenterConfig(
        api_url="https://partner-center.invalid", tenant_id="t", client_id="c", client_secret="s"
    )
