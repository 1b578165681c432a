"""The audit trail: append-only, readable by Support and Admin, filterable, and never editable."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import audit
from portal.models import AppendOnlyError, AuditEntry


@pytest.fixture
def trail(personas):
    """A few entries of different kinds, one with a Partner Center correlation id."""
    audit.record("sign-in", actor=personas["sales"])
    audit.record("sign-in-failed", outcome=audit.Outcome.REFUSED, actor_name="mallory")
    audit.record(
        "subscription-registration",
        actor=personas["support"],
        object_type="subscription",
        object_id="8c1f0e5a-0000-4000-8000-000000000001",
        object_repr="Contoso Azure plan",
        outcome=audit.Outcome.FAILURE,
        message="Partner Center answered 503.",
        correlation_id="11111111-2222-4333-8444-555555555555",
    )


def test_an_entry_cannot_be_changed_or_deleted(trail):
    entry = AuditEntry.objects.first()
    entry.action = "something-else"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 3


def test_support_sees_the_whole_trail_newest_first(client, personas, trail):
    client.force_login(personas["support"])
    html = client.get(reverse("audit")).content.decode()
    assert "4 entries" in html  # the three above and support's own sign-in
    assert html.index("Contoso Azure plan") < html.index("mallory")  # newest first
    assert "11111111-2222-4333-8444-555555555555" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"outcome": "refused"}, ["mallory"]),
        ({"action": "sign-in"}, ["admin", "sales"]),  # admin signed in to read the trail
        ({"actor": "supp"}, ["Contoso Azure plan"]),
        ({"q": "11111111-2222-4333-8444-555555555555"}, ["Contoso Azure plan"]),
        ({"q": "8c1f0e5a-0000-4000-8000-000000000001"}, ["Contoso Azure plan"]),
        ({"q": "answered 503"}, ["Contoso Azure plan"]),
    ],
)
def test_filters_narrow_the_trail(client, personas, trail, query, expected):
    client.force_login(personas["admin"])
    response = client.get(reverse("audit"), query)
    page = response.context["page"]
    assert [e.object_repr or e.actor_name for e in page.object_list] == expected


def test_date_filters_keep_the_days_given(client, personas, trail):
    client.force_login(personas["admin"])
    today = timezone.localdate()
    assert client.get(reverse("audit"), {"since": today, "until": today}).context["page"].paginator.count == 4
    tomorrow = today + timedelta(days=1)
    assert client.get(reverse("audit"), {"since": tomorrow}).context["page"].paginator.count == 0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "2026-12-01", "until": "2026-11-01"}, "The start date is after the end date."),
        ({"since": "not-a-date"}, "Enter a valid date."),
        ({"outcome": "deleted"}, "Select a valid choice."),
        ({"action": "'; DROP TABLE portal_auditentry; --"}, "Select a valid choice."),
    ],
)
def test_invalid_filters_are_explained_and_show_nothing(client, personas, trail, query, message):
    client.force_login(personas["admin"])
    response = client.get(reverse("audit"), query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters could not be used" in html
    assert message in html
    assert "Contoso Azure plan" not in html
    assert AuditEntry.objects.count() == 4


def test_an_htmx_request_gets_only_the_results(client, personas, trail):
    client.force_login(personas["support"])
    response = client.get(reverse("audit"), {"outcome": "refused"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html
    assert "mallory" in html
    assert "HX-Request" in response["Vary"]


def test_pages_keep_the_filters_and_survive_absurd_page_numbers(client, personas):
    for i in range(60):
        audit.record("sign-in-failed", outcome=audit.Outcome.REFUSED, actor_name=f"guess{i}")
    client.force_login(personas["support"])
    first = client.get(reverse("audit"), {"outcome": "refused"})
    assert "Page 1 of 2" in first.content.decode()
    assert "outcome=refused&amp;page=2" in first.content.decode()
    for page in ("2", "99999999999", "-1", "abc"):
        response = client.get(reverse("audit"), {"outcome": "refused", "page": page})
        assert response.status_code == 200


def test_no_page_writes_to_the_trail(client, personas, trail):
    client.force_login(personas["admin"])
    assert client.post(reverse("audit"), {"action": "x"}).status_code in {403, 405}
    # The admin site lists entries for superusers but offers no way to add, change or delete one.
    personas["admin"].is_superuser = True
    personas["admin"].save()
    entry = AuditEntry.objects.first()
    change_url = reverse("admin:portal_auditentry_change", args=[entry.pk])
    response = client.post(change_url, {"action": "rewritten"})
    assert response.status_code == 403 or "rewritten" not in response.content.decode()
    assert (
        client.post(reverse("admin:portal_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert client.get(reverse("admin:portal_auditentry_add")).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == entry.action


def test_the_dashboard_shows_the_users_own_recent_activity(client, personas, trail):
    client.force_login(personas["support"])
    html = client.get(reverse("dashboard")).content.decode()
    assert "Contoso Azure plan" in html
    assert "mallory" not in html
