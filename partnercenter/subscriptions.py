"""A customer's subscriptions, and registering one for reservation purchases (reference §6.3 to §6.5)."""

from __future__ import annotations

from collections.abc import Iterator

from .auth import TokenProvider
from .models import AzureEntitlement, RegistrationStatus, SubmittedRegistration, Subscription
from .paging import iter_items, iter_pages
from .transport import Operation, Transport

LIST_SUBSCRIPTIONS = Operation("list_subscriptions", "GET", "/customers/{customer_id}/subscriptions")
LIST_AZURE_ENTITLEMENTS = Operation(
    "list_azure_entitlements",
    "GET",
    "/customers/{customer_id}/subscriptions/{subscription_id}/azureEntitlements",
)
# Registering is idempotent: asking again for a registered or registering subscription changes nothing.
REGISTER_SUBSCRIPTION = Operation(
    "register_subscription",
    "POST",
    "/customers/{customer_id}/subscriptions/{subscription_id}/registrations",
    retry_safe=True,
)
GET_REGISTRATION_STATUS = Operation(
    "get_registration_status",
    "GET",
    "/customers/{customer_id}/subscriptions/{subscription_id}/registrationstatus",
)


def list_subscriptions(
    transport: Transport, customer_id: str, *, token: TokenProvider | None = None
) -> Iterator[Subscription]:
    path = LIST_SUBSCRIPTIONS.path_for(customer_id=customer_id)
    return iter_items(
        iter_pages(transport, LIST_SUBSCRIPTIONS, Subscription.from_json, path=path, token=token)
    )


def list_azure_entitlements(
    transport: Transport, customer_id: str, subscription_id: str, *, token: TokenProvider | None = None
) -> Iterator[AzureEntitlement]:
    """The Azure subscriptions (their GUIDs are the items' ids) under an Azure plan subscription."""
    path = LIST_AZURE_ENTITLEMENTS.path_for(customer_id=customer_id, subscription_id=subscription_id)
    return iter_items(
        iter_pages(transport, LIST_AZURE_ENTITLEMENTS, AzureEntitlement.from_json, path=path, token=token)
    )


def register_subscription(
    transport: Transport, customer_id: str, subscription_id: str, *, token: TokenProvider | None = None
) -> SubmittedRegistration:
    """Ask for the subscription to be enabled for reservation purchases. It happens asynchronously:
    poll get_registration_status() until it says Registered."""
    path = REGISTER_SUBSCRIPTION.path_for(customer_id=customer_id, subscription_id=subscription_id)
    response = transport.request(REGISTER_SUBSCRIPTION, path, token=token)
    # The Location header is relative and lacks /v1 (§10.8); location normalises it either way.
    location = response.location or GET_REGISTRATION_STATUS.path_for(
        customer_id=customer_id, subscription_id=subscription_id
    )
    return SubmittedRegistration(status_location=location, raw={"location": location}, meta=response.meta)


def get_registration_status(
    transport: Transport, customer_id: str, subscription_id: str, *, token: TokenProvider | None = None
) -> RegistrationStatus:
    path = GET_REGISTRATION_STATUS.path_for(customer_id=customer_id, subscription_id=subscription_id)
    response = transport.request(GET_REGISTRATION_STATUS, path, token=token)
    return RegistrationStatus.from_json(response.data).with_meta(response.meta)
