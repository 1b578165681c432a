"""Staff sign-in with Microsoft, and the App+User (delegated) Partner Center session that comes with it.

The authorization-code flow runs through MSAL (partnercenter.auth). The portal keeps each staff member's
token cache on the server, sealed, in MicrosoftIdentity; the browser only ever holds the session cookie.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from partnercenter import auth as pc_auth
from partnercenter.config import PartnerCenterConfig
from partnercenter.errors import AuthenticationError, PartnerCenterError
from portal import partner_center
from portal.models import MicrosoftIdentity
from portal.roles import Role
from portal.sealing import seal, unseal

logger = logging.getLogger(__name__)

_FLOW_SESSION_KEY = "microsoft_sign_in_flow"

# Microsoft's answer comes back in the query string, not as a cross-site form POST: browsers do not send
# a SameSite=Lax session cookie with such a POST, so the flow kept in the session would be lost. The code
# is bound to this sign-in by PKCE, state and nonce, which is what form_post would otherwise add.
warnings.filterwarnings("ignore", message=r"response_mode='form_post' is recommended", category=UserWarning)


class SignInRefused(Exception):
    """Microsoft said who the person is, but the portal will not let them in. The message is for them."""


def config() -> PartnerCenterConfig:
    return settings.PARTNER_CENTER


def is_enabled() -> bool:
    return config().is_configured


def begin(request: HttpRequest, redirect_uri: str) -> str:
    """Start the authorization-code flow; returns the address of Microsoft's sign-in page."""
    flow = pc_auth.start_sign_in(config(), redirect_uri, pc_auth.load_token_cache())
    request.session[_FLOW_SESSION_KEY] = flow
    return flow["auth_uri"]


def complete(request: HttpRequest) -> AbstractBaseUser:
    """Finish the flow with Microsoft's answer; returns the staff member to sign in, with roles applied."""
    flow = request.session.pop(_FLOW_SESSION_KEY, None)
    if not flow:
        raise SignInRefused(_("This sign-in link has expired or was already used. Start again."))
    if "error" in request.GET:
        raise SignInRefused(
            _("Microsoft did not sign you in: %(reason)s")
            % {"reason": request.GET.get("error_description") or request.GET["error"]}
        )
    cache = pc_auth.load_token_cache()
    try:
        result = pc_auth.finish_sign_in(config(), flow, request.GET.dict(), cache)
    except AuthenticationError as exc:
        raise SignInRefused(
            _("Microsoft did not sign you in: %(reason)s") % {"reason": exc.user_message}
        ) from exc
    if result.tenant_id.lower() != config().tenant_id.lower():
        raise SignInRefused(
            _("%(account)s belongs to another organisation. Sign in with your account at the partner.")
            % {"account": result.username}
        )
    with transaction.atomic():
        user = _match_staff(result)
        MicrosoftIdentity.objects.update_or_create(
            user=user,
            defaults={
                "tenant_id": result.tenant_id,
                "object_id": result.object_id,
                "username": result.username,
                "token_cache": seal(cache.serialize()),
                "account_id": result.account_id,
                "mfa": result.mfa,
                "signed_in_at": timezone.now(),
            },
        )
    return user


def _match_staff(result: pc_auth.SignInResult) -> AbstractBaseUser:
    """The portal account for a Microsoft account: by the link made at an earlier sign-in, else by email.

    When the portal's app registration assigns app roles named like the portal's roles, those roles are
    the truth and replace the account's roles at each sign-in; accounts are then created on first sign-in.
    Without app roles, only staff an admin already created (matched by email) may sign in.
    """
    User = get_user_model()
    roles = [role for role in Role if role.value in set(result.roles)]
    identity = (
        MicrosoftIdentity.objects.select_related("user")
        .filter(tenant_id=result.tenant_id, object_id=result.object_id)
        .first()
    )
    user = identity.user if identity else None
    if user is None and result.username:
        user = User.objects.filter(email__iexact=result.username).first()
    if user is None and roles:
        user = User.objects.create_user(
            username=_free_username(result.username),
            email=result.username,
            first_name=result.given_name,
            last_name=result.family_name,
        )
    if user is None:
        raise SignInRefused(
            _("There is no portal account for %(account)s. Ask a portal admin to create one.")
            % {"account": result.username}
        )
    if not user.is_active:
        raise SignInRefused(_("Your portal account is disabled. Ask a portal admin."))
    if roles:
        user.groups.set(Group.objects.filter(name__in=[r.value for r in roles]))
    return user


def _free_username(email: str) -> str:
    User = get_user_model()
    base = (email.split("@", 1)[0] or "staff")[:140]
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


@dataclass(frozen=True)
class DelegatedStatus:
    """What the page says about the staff member's App+User access to Partner Center."""

    signed_in_with_microsoft: bool
    available: bool
    mfa: bool
    account: str = ""
    expires_at: datetime | None = None


def delegated_status(user: Any) -> DelegatedStatus:
    identity = MicrosoftIdentity.objects.filter(user=user).first()
    if identity is None or not identity.token_cache:
        return DelegatedStatus(signed_in_with_microsoft=False, available=False, mfa=False)
    token = _delegated(identity)
    return DelegatedStatus(
        signed_in_with_microsoft=True,
        available=token is not None,
        mfa=identity.mfa,
        account=identity.username,
        expires_at=token.expires_at if token else None,
    )


def delegated_token(user: Any) -> pc_auth.DelegatedToken | None:
    """The staff member's App+User token, to pass as `token=` to the client's App+User-only calls,
    or None when they must sign in with Microsoft (again)."""
    identity = MicrosoftIdentity.objects.filter(user=user).first()
    if identity is None or not identity.token_cache:
        return None
    return _delegated(identity)


def _delegated(identity: MicrosoftIdentity) -> pc_auth.DelegatedToken | None:
    serialized = unseal(identity.token_cache)
    if serialized is None:
        return None
    cache = pc_auth.load_token_cache(serialized)
    token = pc_auth.delegated_token(config(), cache, identity.account_id)
    if cache.has_state_changed:
        # MSAL refreshed the access token (and rotated the refresh token): keep the new ones.
        MicrosoftIdentity.objects.filter(pk=identity.pk).update(token_cache=seal(cache.serialize()))
    return token


def forget(user: Any) -> None:
    """Drop the staff member's Partner Center tokens (at sign-out)."""
    MicrosoftIdentity.objects.filter(user=user).update(token_cache="", account_id="")


# --- the viewer's own Partner Center access, for pages --------------------------------------------------


@dataclass(frozen=True)
class DelegatedAccess:
    """The viewer's App+User token, or why there is none (for the page to say what to do: see
    templates/portal/_microsoft_session.html)."""

    token: pc_auth.DelegatedToken | None
    configured: bool = True
    session_ended: bool = False  # signed in with Microsoft once, but the session is over
    problem: str = ""  # the token could not be had for another reason (Microsoft unreachable, ...)


def page_access(request: HttpRequest) -> DelegatedAccess:
    """The signed-in viewer's App+User token, for a page that reads what Partner Center gives only to it."""
    if not is_enabled():
        return DelegatedAccess(None, configured=False)
    try:
        token = delegated_token(request.user)
    except PartnerCenterError as exc:
        logger.warning("delegated token of %s not obtained: %s", request.user, exc)
        return DelegatedAccess(None, problem=exc.user_message)
    if token is not None:
        return DelegatedAccess(token)
    return DelegatedAccess(None, session_ended=delegated_status(request.user).signed_in_with_microsoft)


def tell_why_no_token(request: HttpRequest, access: DelegatedAccess, without_session: str) -> None:
    """Say, as a message on the next page, why an App+User call was not made: Partner Center is not
    configured, the token could not be had, or (`without_session`) the viewer has no Microsoft session."""
    if not access.configured:
        messages.error(request, str(partner_center.NotConfigured.user_message))
    elif access.problem:
        messages.error(request, access.problem)
    else:
        messages.warning(request, without_session)


def sign_in_url(back: str) -> str:
    """Microsoft's sign-in, coming back to `back` (a path of this site)."""
    return f"{reverse('microsoft-sign-in')}?{urlencode({'next': back})}"
