"""Copying Partner Center's customer list into the portal, against the sandbox (60 seeded customers)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from partnercenter import RetryPolicy, ServerError, Throttled, Transport
from portal import customer_tasks, customers
from portal.models import Customer, MirrorSync
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

SEEDED_CUSTOMERS = 60
LIST_ROUTE = "GET /v1/customers"


@pytest.fixture
def pc(partner_center: Sandbox) -> Iterator[Transport]:
    """A transport to the freshly reset sandbox whose retries do not sleep."""
    with Transport.from_config(partner_center.config, sleep=lambda _seconds: None) as transport:
        yield transport


def test_a_sync_copies_every_customer_and_says_the_list_is_complete(pc):
    sync = customers.sync_customers(pc)

    assert Customer.objects.count() == SEEDED_CUSTOMERS
    assert sync.items == SEEDED_CUSTOMERS and sync.error == "" and sync.finished_at is not None
    assert len(sync.correlation_id) == 36
    assert customers.last_complete_sync() == sync
    fabrikam = Customer.objects.get(company_name="Fabrikam Inc")
    assert fabrikam.domain == "fabrikaminc.onmicrosoft.com"
    assert fabrikam.listed_at == sync.started_at
    assert fabrikam.country == "" and fabrikam.details_read_at is None  # the list has no addresses
    assert [c.company_name for c in customers.search("fabrikaminc.onmicrosoft", 1)] == ["Fabrikam Inc"]
    assert [c.company_name for c in customers.search(fabrikam.pk[:13].upper(), 1)] == ["Fabrikam Inc"]


def test_a_sync_follows_the_paging_to_the_last_page(pc, partner_center):
    customers.sync_customers(pc, page_size=7)

    assert Customer.objects.count() == SEEDED_CUSTOMERS
    assert partner_center.stats()["requests"][LIST_ROUTE] == 9  # 8 full pages of 7, then 4


def test_a_second_sync_changes_nothing_but_the_time_each_customer_was_listed(pc):
    first = customers.sync_customers(pc, page_size=25)
    before = {c.pk: (c.company_name, c.domain, c.search_text) for c in Customer.objects.all()}
    second = customers.sync_customers(pc, page_size=25)

    after = {c.pk: (c.company_name, c.domain, c.search_text) for c in Customer.objects.all()}
    assert after == before
    assert set(Customer.objects.values_list("listed_at", flat=True)) == {second.started_at}
    assert customers.last_complete_sync() == second and first.error == ""


def test_a_sync_keeps_what_it_read_of_a_customer_in_full(pc):
    customers.sync_customers(pc)
    Customer.objects.filter(company_name="Fabrikam Inc").update(country="US", details_read_at=timezone.now())
    customers.sync_customers(pc)
    fabrikam = Customer.objects.get(company_name="Fabrikam Inc")
    assert fabrikam.country == "US" and fabrikam.details_read_at is not None


def test_a_failing_partner_center_is_recorded_and_the_list_is_not_called_complete(pc, partner_center):
    partner_center.faults(
        {"method": "GET", "path": "^/v1/customers$", "kind": "error", "status": 500, "count": 10}
    )
    with pytest.raises(ServerError):
        customers.sync_customers(pc)

    failed = MirrorSync.objects.get()
    assert failed.finished_at is not None and failed.items == 0
    assert (
        failed.error.startswith("Partner Center had an unexpected error. Try again later.")
        and failed.correlation_id in failed.error
    )
    assert customers.last_complete_sync() is None

    partner_center.admin("DELETE", "faults")
    sync = customers.sync_customers(pc)
    assert customers.last_complete_sync() == sync and sync.items == SEEDED_CUSTOMERS


def test_a_sync_cut_short_keeps_the_pages_read_but_never_claims_to_be_complete(
    partner_center, client, personas
):
    complete = customers.sync_customers(Transport.from_config(partner_center.config))
    # Three calls a minute: the sync above and two pages; the third page is throttled, and this
    # transport does not wait for the minute to pass.
    partner_center.admin("PUT", "settings", {"rate_limit": 3})
    hasty = Transport.from_config(partner_center.config, retry=RetryPolicy(max_attempts=1))

    with pytest.raises(Throttled):
        customers.sync_customers(hasty, page_size=20)

    cut_short = MirrorSync.objects.first()
    assert cut_short.items == 40 and cut_short.error.startswith("Partner Center is limiting")
    assert customers.last_complete_sync() == complete
    assert Customer.objects.filter(listed_at=cut_short.started_at).count() == 40  # two pages applied
    assert Customer.objects.filter(listed_at=complete.started_at).count() == 20  # the rest not reached
    assert all(customers.is_still_listed(c, complete) for c in Customer.objects.all())  # not reached ≠ gone
    client.force_login(personas["sales"])
    html = client.get(reverse("customers")).content.decode()
    assert "60 customers" in html
    assert "no longer listed" not in html
    assert "stopped: Partner Center is limiting the number of requests" in html


def test_a_customer_a_complete_sync_no_longer_lists_is_kept_and_shown_as_such(pc, client, personas):
    Customer.objects.create(
        id="0badc0de-0000-4000-8000-000000000000",
        company_name="Former Customer Ltd",
        listed_at=timezone.now() - timedelta(days=3),
    )
    customers.sync_customers(pc)

    assert Customer.objects.count() == SEEDED_CUSTOMERS + 1
    client.force_login(personas["support"])
    html = client.get(reverse("customers"), {"q": "former"}).content.decode()
    assert "Former Customer Ltd" in html and "no longer listed by Partner Center" in html
    page = client.get(reverse("customer", args=["0badc0de-0000-4000-8000-000000000000"])).content.decode()
    assert "no longer listed by Partner Center" in page


def test_the_sync_task_copies_the_list(partner_center):
    result = customer_tasks.sync_customers.apply()
    assert result.successful()
    assert Customer.objects.count() == SEEDED_CUSTOMERS
    assert customers.last_complete_sync() is not None
