"""Which catalog mirror a page needs, and asking a worker to copy it (catalog.sync does the copying).

A mirror is created the first time a page asks for its market and reservation scope. From then on beat
keeps it fresh (catalog.tasks.schedule_syncs): a refresh when it is older than CATALOG_REFRESH_HOURS, a
full copy when its last one is older than CATALOG_FULL_SYNC_DAYS. Staff can also ask for one. A sync is
claimed with a conditional update, so however many pages, buttons and beat runs ask at once, one worker
runs it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import AZURE_PLAN_SCOPE, LEGACY_SCOPE, Mirror
from portal import markets
from portal.models import CustomerSubscription

# After a failed run, how long pages and beat leave a mirror alone before trying again by themselves
# (staff asking for a sync are not held back): a refused or unreachable Partner Center is not asked again
# on every page view.
RETRY_AFTER_ERROR = timedelta(minutes=30)


def scope_for(subscription: CustomerSubscription) -> str:
    """The reservation scope of the catalog a subscription buys from: Azure plans have their own
    availabilities (reservationScope=AzurePlan); legacy MS-AZR-0145P subscriptions use the default set."""
    if subscription.kind == CustomerSubscription.Kind.AZURE_PLAN:
        return AZURE_PLAN_SCOPE
    return LEGACY_SCOPE


def mirror_for(country: str, scope: str) -> Mirror:
    """The mirror of a market and scope, created (empty, never synced) on first use."""
    if scope not in (AZURE_PLAN_SCOPE, LEGACY_SCOPE):
        raise ValueError(f"unknown reservation scope {scope!r}")
    code = (country or "").strip().upper()
    if len(code) != 2:
        raise ValueError(f"not an ISO country code: {country!r}")
    mirror, _created = Mirror.objects.get_or_create(country=code, scope=scope)
    return mirror


def is_blocked(mirror: Mirror) -> bool:
    """Reservations cannot be bought in this market: its catalog is never copied."""
    return markets.verdict(mirror.country).availability is markets.Availability.BLOCKED


def is_stale(mirror: Mirror, now: datetime | None = None) -> bool:
    """The copy shown is older than CATALOG_REFRESH_HOURS (a never-synced mirror has no copy to be stale)."""
    if mirror.synced_at is None:
        return False
    now = now or timezone.now()
    return mirror.synced_at < now - timedelta(hours=settings.CATALOG_REFRESH_HOURS)


def full_sync_due(mirror: Mirror, now: datetime | None = None) -> bool:
    """Never copied in full, a full copy left half-way, or the last full copy older than the setting."""
    if mirror.generation == 0 or mirror.building_generation or mirror.full_synced_at is None:
        return True
    now = now or timezone.now()
    return mirror.full_synced_at < now - timedelta(days=settings.CATALOG_FULL_SYNC_DAYS)


def next_kind(mirror: Mirror, now: datetime | None = None) -> str:
    """The kind of sync a mirror needs next: full when due (see full_sync_due), else a refresh."""
    return Mirror.SyncKind.FULL if full_sync_due(mirror, now) else Mirror.SyncKind.REFRESH


def due_kind(mirror: Mirror, now: datetime | None = None) -> str | None:
    """The sync beat should queue for an idle mirror now, or None when it is fresh enough (or failed
    recently, or its market is blocked)."""
    now = now or timezone.now()
    if is_blocked(mirror) or failed_recently(mirror, now):
        return None
    if full_sync_due(mirror, now):
        return Mirror.SyncKind.FULL
    return Mirror.SyncKind.REFRESH if is_stale(mirror, now) else None


def failed_recently(mirror: Mirror, now: datetime | None = None) -> bool:
    if not mirror.last_error or mirror.last_error_at is None:
        return False
    return mirror.last_error_at > (now or timezone.now()) - RETRY_AFTER_ERROR


def request_sync(mirror: Mirror, kind: str | None = None) -> bool:
    """Queue a sync of the mirror (full or refresh; None: whichever is due). False when its market is
    blocked or a sync is already queued or running: that one will do."""
    if is_blocked(mirror):
        return False
    # A refresh changes the published copy; with none published yet, only a full copy makes sense.
    if kind is None or mirror.generation == 0:
        kind = next_kind(mirror)
    kind = Mirror.SyncKind(kind)
    now = timezone.now()
    with transaction.atomic():
        claimed = Mirror.objects.filter(pk=mirror.pk, sync_state=Mirror.SyncState.IDLE).update(
            sync_state=Mirror.SyncState.QUEUED, sync_kind=kind, sync_progress_at=now
        )
        if not claimed:
            return False
        # Imported here: catalog.tasks imports this module.
        from catalog.tasks import sync_mirror

        mirror_id = mirror.pk
        # After commit, so the worker finds the mirror QUEUED. If the broker cannot take the message, the
        # mirror stays QUEUED and schedule_syncs sends it again once it has waited too long.
        transaction.on_commit(lambda: sync_mirror.delay(mirror_id, kind), robust=True)
    mirror.sync_state, mirror.sync_kind, mirror.sync_progress_at = Mirror.SyncState.QUEUED, kind, now
    return True


def ensure_synced(mirror: Mirror) -> None:
    """For pages: a mirror never copied, and not being copied, gets a full copy queued. A mirror that
    already has a copy is kept fresh by beat, so a page never waits on, or queues, a refresh."""
    if mirror.generation or mirror.is_syncing or failed_recently(mirror):
        return
    request_sync(mirror, Mirror.SyncKind.FULL)
