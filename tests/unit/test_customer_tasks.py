"""The customer mirror's background tasks: their retry policy, and doing nothing without Partner Center."""

from __future__ import annotations

import logging

import pytest

from partnercenter.config import PartnerCenterConfig
from partnercenter.errors import ServerError, Throttled
from portal import customer_tasks
from portal.models import MirrorSync


@pytest.mark.parametrize(
    "task, args",
    [
        (customer_tasks.sync_customers, []),
        (customer_tasks.refresh_customer, ["8c6d2d5e-1f0a-4c1e-9d53-0c6f2e9d1a11"]),
        (customer_tasks.fill_customer_details, []),
    ],
)
def test_without_partner_center_the_tasks_do_nothing_and_say_so(db, settings, caplog, task, args):
    settings.PARTNER_CENTER = PartnerCenterConfig()
    with caplog.at_level(logging.INFO, logger="portal.customer_tasks"):
        result = task.apply(args=args)
    assert result.successful() and result.result is None
    assert "Partner Center is not configured for this portal; nothing to do" in caplog.text
    assert not MirrorSync.objects.exists()


def test_a_retry_waits_at_least_as_long_as_partner_center_asked():
    asked = Throttled("throttled", status=429, retry_after=300)
    assert customer_tasks.retry_countdown(asked, retries=0) == 300


def test_retries_back_off_and_are_capped():
    failure = ServerError("boom", status=503)
    waits = [customer_tasks.retry_countdown(failure, retries=n) for n in range(8)]
    assert waits[:3] == [30, 60, 120]
    assert waits == sorted(waits) and max(waits) == 15 * 60
