"""How the portal reaches Partner Center: one transport per process, with the app's own token by default.

Views and tasks call the client's functions (partnercenter.customers, ...) with `transport()`, and pass
`token=microsoft.delegated_token(user)` for the calls Microsoft allows only with App+User tokens.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from partnercenter.config import PartnerCenterConfig
from partnercenter.transport import Transport


class NotConfigured(Exception):
    """The PARTNER_CENTER_* variables are not set: there is no Partner Center to talk to."""

    user_message = _("Partner Center is not configured for this portal. Ask whoever runs it.")


@cache
def _transport_for(config: PartnerCenterConfig) -> Transport:
    # Created on first use in each process (after Celery forks its workers), then reused so connections
    # and MSAL's token cache are shared by every call of the process.
    return Transport.from_config(config)


def transport() -> Transport:
    config: PartnerCenterConfig = settings.PARTNER_CENTER
    if not config.is_configured:
        raise NotConfigured
    return _transport_for(config)
