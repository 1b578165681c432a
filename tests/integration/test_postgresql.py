"""The ORM on PostgreSQL, the production database: migrations, the audit trigger, claims by update.

These run when the suite itself runs on PostgreSQL (DATABASE_URL=postgres://..., as CI does).
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from portal import audit
from portal.models import AuditEntry, WorkerHeartbeat
from tests.conftest import require_service

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _on_postgresql() -> None:
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "the suite runs on SQLite; run it with DATABASE_URL=postgres://127.0.0.1:5432/test",
    )


def test_the_database_refuses_to_rewrite_the_audit_trail_even_in_raw_sql():
    entry = audit.record("sign-in-failed", outcome=audit.Outcome.REFUSED, actor_name="mallory")
    for statement in (
        "UPDATE portal_auditentry SET actor_name = 'nobody' WHERE id = %s",
        "DELETE FROM portal_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(statement, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "mallory"


def test_filters_of_the_audit_page_work_on_postgresql(personas):
    audit.record("sign-in", actor=personas["sales"], object_repr="Fabrikam ÉLECTRIQUE")
    assert AuditEntry.objects.filter(object_repr__icontains="électrique").count() == 1
    assert AuditEntry.objects.filter(created_at__date=timezone.localdate()).count() >= 1


def test_a_conditional_update_claims_a_row_once():
    # The pattern later tasks use to claim work: only one of two claims may see a row count of 1.
    now = timezone.now()
    row = WorkerHeartbeat.objects.create(hostname="w1", last_seen=now)
    first = WorkerHeartbeat.objects.filter(pk=row.pk, last_seen=now).update(last_seen=timezone.now())
    second = WorkerHeartbeat.objects.filter(pk=row.pk, last_seen=now).update(last_seen=timezone.now())
    assert (first, second) == (1, 0)
