"""Customers (seek paging, filter), subscriptions, Azure entitlements and registration."""

from __future__ import annotations

import json
from urllib.parse import quote

from .client import Sandbox


def test_customers_page_with_continuation_tokens_until_all_are_seen(sb: Sandbox) -> None:
    first = sb.get("/v1/customers?size=25").json()
    assert first["totalCount"] == 25 and first["attributes"] == {"objectType": "Collection"}
    assert first["links"]["self"]["uri"] == "/v1/customers?size=25"
    seen = [c["id"] for c in first["items"]]
    page = first
    while "next" in page.get("links", {}):
        following = page["links"]["next"]
        assert following["uri"] == "/v1/customers?size=25&seekOperation=Next"  # observed: keeps /v1
        headers = {h["key"]: h["value"] for h in following["headers"]}
        assert headers["MS-ContinuationToken"] == page["continuationToken"]
        page = sb.get(following["uri"], headers=headers).json()
        seen += [c["id"] for c in page["items"]]
    assert len(seen) == len(set(seen)) == 60
    assert "continuationToken" not in page


def test_customer_shape_and_filter_by_name(sb: Sandbox) -> None:
    item = sb.get("/v1/customers?size=1").json()["items"][0]
    assert item["companyProfile"]["companyName"] == "Fabrikam Inc"
    assert item["relationshipToPartner"] == "reseller"
    assert item["attributes"]["objectType"] == "Customer"
    wanted = quote(json.dumps({"Field": "CompanyName", "Value": "fabrikam", "Operator": "starts_with"}))
    found = sb.get(f"/v1/customers?size=10&filter={wanted}").json()["items"]
    assert found and all(c["companyProfile"]["companyName"].lower().startswith("fabrikam") for c in found)
    detail = sb.get(f"/v1/customers/{item['id']}").json()
    assert detail["companyProfile"]["address"]["country"] == "US"
    assert detail["billingProfile"]["attributes"]["objectType"] == "CustomerBillingProfile"


def test_customers_cover_many_markets_including_blocked_ones(sb: Sandbox) -> None:
    countries = {
        sb.get(f"/v1/customers/{c['id']}").json()["companyProfile"]["address"]["country"]
        for c in sb.customers()
    }
    assert {"US", "FR", "DE", "GB", "JP"} <= countries
    assert {"BR", "CN", "RU"} <= countries


def test_subscriptions_and_azure_entitlements(sb: Sandbox) -> None:
    customer = sb.customer(0)
    subscriptions = sb.get(f"/v1/customers/{customer}/subscriptions").json()["items"]
    plan = next(s for s in subscriptions if s["offerName"] == "Azure plan")
    assert plan["billingCycle"] == "monthly" and plan["status"] == "active"
    assert plan["attributes"]["objectType"] == "Subscription"
    assert plan["links"]["product"]["uri"].startswith("/products/")
    azure = sb.get(f"/v1/customers/{customer}/subscriptions/{plan['id']}/azureEntitlements").json()
    assert azure["totalCount"] == 2
    assert all(a["subscriptionId"] == plan["id"] and a["id"] != plan["id"] for a in azure["items"])
    legacy_customer = sb.customer(4)
    legacy = sb.get(f"/v1/customers/{legacy_customer}/subscriptions").json()["items"]
    assert any(s["offerId"] == "MS-AZR-0145P" for s in legacy)


def test_registration_is_accepted_then_completes_with_time(sb: Sandbox) -> None:
    customer = sb.customer(1)  # Northwind Traders: an Azure plan not registered yet
    plan = sb.get(f"/v1/customers/{customer}/subscriptions").json()["items"][0]["id"]
    status_path = f"/v1/customers/{customer}/subscriptions/{plan}/registrationstatus"
    assert sb.get(status_path).json()["status"] == "NotRegistered"
    response = sb.post(f"/v1/customers/{customer}/subscriptions/{plan}/registrations")
    assert response.status_code == 202
    assert response.content == b""
    assert response.headers["Location"] == f"/customers/{customer}/subscriptions/{plan}/registrationstatus"
    body = sb.get(status_path).json()
    assert body == {
        "subscriptionId": plan,
        "status": "Registering",
        "attributes": {"objectType": "SubscriptionRegistrationStatus"},
    }
    sb.advance(21)
    assert sb.get(status_path).json()["status"] == "Registered"


def test_seeded_registration_in_flight_completes_after_the_delay(sb: Sandbox) -> None:
    customer = sb.customer(2)  # Adventure Works: Azure plan Registering
    plan = sb.get(f"/v1/customers/{customer}/subscriptions").json()["items"][0]["id"]
    status_path = f"/v1/customers/{customer}/subscriptions/{plan}/registrationstatus"
    assert sb.get(status_path).json()["status"] == "Registering"
    sb.advance(25)
    assert sb.get(status_path).json()["status"] == "Registered"


def test_registering_something_that_is_not_azure_is_refused(sb: Sandbox) -> None:
    customer = sb.customer(0)
    office = next(
        s
        for s in sb.get(f"/v1/customers/{customer}/subscriptions").json()["items"]
        if s["unitType"] == "Licenses"
    )
    response = sb.post(f"/v1/customers/{customer}/subscriptions/{office['id']}/registrations")
    assert (response.status_code, response.json()["code"]) == (400, "800011")
