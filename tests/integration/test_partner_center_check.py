"""The dashboard's "Test the connection" button: a real app-only call to the sandbox, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import AuditEntry

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_support_tests_the_connection_and_the_call_is_audited_with_its_correlation_id(
    client, personas, partner_center
):
    client.force_login(personas["support"])
    response = client.post(reverse("partner-center-check"), follow=True)
    html = response.content.decode()
    assert "Partner Center answered in" in html
    entry = AuditEntry.objects.get(action="partner-center-check")
    assert entry.outcome == "success"
    assert len(entry.correlation_id) == 36
    assert entry.correlation_id in html


def test_a_failing_partner_center_is_reported_in_plain_words_and_audited(client, personas, partner_center):
    partner_center.faults(
        {"method": "GET", "path": "^/v1/customers$", "kind": "error", "status": 503, "code": "800003"}
    )
    client.force_login(personas["admin"])
    html = client.post(reverse("partner-center-check"), follow=True).content.decode()
    assert "Partner Center could not be reached" in html
    entry = AuditEntry.objects.get(action="partner-center-check")
    assert entry.outcome == "failure"
    assert entry.correlation_id


@pytest.mark.parametrize("persona", ["sales", "approver", "outsider"])
def test_only_support_and_admins_may_test_the_connection(client, personas, partner_center, persona):
    client.force_login(personas[persona])
    assert client.post(reverse("partner-center-check")).status_code == 403
    assert not AuditEntry.objects.filter(action="partner-center-check").exists()


def test_the_check_needs_a_post(client, personas, partner_center):
    client.force_login(personas["support"])
    assert client.get(reverse("partner-center-check")).status_code == 405
