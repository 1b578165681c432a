"""How the portal reaches Partner Center: one transport per process, with the app's own token by default.

Views and tasks call the client's functions (partnercenter.customers, ...) with `transport()`, and pass
`token=microsoft.delegated_token(user)` for the calls Microsoft allows only with App+User tokens.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from partnercenter.config import PartnerCenterConfig
from partnercenter.transport import RetryPolicy, Transport

# Someone is waiting on a page: ride out a short throttle or a blip, but hand a longer Retry-After back at
# once ("try again in N seconds") instead of holding the page for the background policy's two minutes.
PAGE_RETRY = RetryPolicy(max_attempts=3, backoff_max=2.0, max_retry_after=5.0, max_total_seconds=15.0)


class NotConfigured(Exception):
    """The PARTNER_CENTER_* variables are not set: there is no Partner Center to talk to."""

    user_message = _("Partner Center is not configured for this portal. Ask whoever runs it.")


@cache
def _transport_for(config: PartnerCenterConfig, for_page: bool) -> Transport:
    # Created on first use in each process (after Celery forks its workers), then reused so connections
    # and MSAL's token cache are shared by every call of the process.
    return Transport.from_config(config, retry=PAGE_RETRY if for_page else None)


def transport(*, for_page: bool = False, for_queue: bool = False) -> Transport:
    """The process's transport. `for_page` when a person waits on the answer, `for_queue` when a worker has
    other work waiting behind this call: both get the tighter policy that hands a long wait back."""
    config: PartnerCenterConfig = settings.PARTNER_CENTER
    if not config.is_configured:
        raise NotConfigured
    return _transport_for(config, for_page or for_queue)
