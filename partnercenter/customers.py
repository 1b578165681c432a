"""Customers of the partner (reference §6.1, §6.2)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from .auth import TokenProvider
from .models import Customer
from .paging import Page, SeekPaging, iter_items, iter_pages
from .transport import Operation, Transport

LIST_CUSTOMERS = Operation("list_customers", "GET", "/customers")
GET_CUSTOMER = Operation("get_customer", "GET", "/customers/{customer_id}")


def list_customer_pages(
    transport: Transport,
    *,
    size: int = 100,
    name_starts_with: str | None = None,
    domain_starts_with: str | None = None,
    continuation_token: str | None = None,
    token: TokenProvider | None = None,
) -> Iterator[Page[Customer]]:
    """The partner's customers, a page at a time (seek paging; resume with a page's continuation token).

    At most one filter: company name or domain, "starts with". Addresses are not in the list: get the
    customer by id for its country.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    if name_starts_with and domain_starts_with:
        raise ValueError("filter by company name or by domain, not both")
    params: dict[str, str] = {"size": str(size)}
    if name_starts_with or domain_starts_with:
        field, value = (
            ("CompanyName", name_starts_with) if name_starts_with else ("Domain", domain_starts_with)
        )
        params["filter"] = json.dumps({"Field": field, "Value": value, "Operator": "starts_with"})
    seek = SeekPaging("/customers", {"size": str(size), "seekOperation": "Next"})
    return iter_pages(
        transport,
        LIST_CUSTOMERS,
        Customer.from_json,
        params=params,
        token=token,
        seek=seek,
        continuation_token=continuation_token,
    )


def list_customers(
    transport: Transport,
    *,
    size: int = 100,
    name_starts_with: str | None = None,
    domain_starts_with: str | None = None,
    token: TokenProvider | None = None,
) -> Iterator[Customer]:
    """Every customer (or those matching the filter), fetched page by page as the caller iterates."""
    return iter_items(
        list_customer_pages(
            transport,
            size=size,
            name_starts_with=name_starts_with,
            domain_starts_with=domain_starts_with,
            token=token,
        )
    )


def get_customer(transport: Transport, customer_id: str, *, token: TokenProvider | None = None) -> Customer:
    response = transport.request(GET_CUSTOMER, GET_CUSTOMER.path_for(customer_id=customer_id), token=token)
    return Customer.from_json(response.data).with_meta(response.meta)
