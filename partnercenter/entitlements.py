"""What the customer owns: entitlements, and the reservations behind them (reference §6.21, §6.22)."""

from __future__ import annotations

from collections.abc import Iterator

from .auth import TokenProvider
from .enums import EntitlementType
from .models import Artifact, Entitlement, Link, ReservationDetails
from .paging import iter_items, iter_pages
from .transport import Operation, Transport

LIST_ENTITLEMENTS = Operation(
    "list_entitlements", "GET", "/customers/{customer_id}/entitlements", app_user_only=True
)
# Reached by following an artifact's link. Its own auth rule is not documented; it is taken to be the
# entitlements' (App+User).
GET_RESERVATION_DETAILS = Operation(
    "get_reservation_details",
    "GET",
    "/customers/{customer_id}/artifacts/reservedinstance/groups/{group_id}/lineitems/{line_item_id}"
    "/resource/{resource_id}",
    app_user_only=True,
)

# The query spelling the docs use for each type (§6.21).
_TYPE_QUERY = {
    EntitlementType.SOFTWARE: "software",
    EntitlementType.RESERVED_INSTANCE: "reservedInstance",
    EntitlementType.VIRTUAL_MACHINE_RESERVED_INSTANCE: "virtualMachineReservedInstance",
}


def list_entitlements(
    transport: Transport,
    customer_id: str,
    *,
    entitlement_type: EntitlementType | str | None = None,
    show_expiry: bool | None = None,
    token: TokenProvider | None = None,
) -> Iterator[Entitlement]:
    """The customer's entitlements (reserved instances: EntitlementType.RESERVED_INSTANCE). App+User only."""
    params = list_query(entitlement_type=entitlement_type, show_expiry=show_expiry)
    path = LIST_ENTITLEMENTS.path_for(customer_id=customer_id)
    return iter_items(
        iter_pages(transport, LIST_ENTITLEMENTS, Entitlement.from_json, path=path, params=params, token=token)
    )


def list_query(
    *, entitlement_type: EntitlementType | str | None = None, show_expiry: bool | None = None
) -> dict[str, str]:
    """The query of LIST_ENTITLEMENTS, for callers that page through it themselves."""
    params: dict[str, str] = {}
    kind = EntitlementType.parse(entitlement_type)
    if kind is not None:
        params["entitlementType"] = _TYPE_QUERY.get(kind, kind.value)
    if show_expiry is not None:
        params["showExpiry"] = "true" if show_expiry else "false"
    return params


def get_reservation_details(
    transport: Transport, artifact: Artifact | Link, *, token: TokenProvider | None = None
) -> ReservationDetails:
    """The reservations behind a reserved-instance artifact, by following its link as given."""
    link = artifact.link if isinstance(artifact, Artifact) else artifact
    if link is None or not link.uri:
        raise ValueError("this artifact has no link to reservation details")
    response = transport.request(
        GET_RESERVATION_DETAILS, link.uri, method=link.method, headers=dict(link.headers), token=token
    )
    return ReservationDetails.from_json(response.data).with_meta(response.meta)
