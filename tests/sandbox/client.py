"""Talking to a sandbox process from tests: starting and stopping it, and a client that trusts its CA.

REQUESTS_CA_BUNDLE is set on this machine and wins over Session.verify, so `verify=` is passed on every
request (the Session subclass below does it for MSAL too).
"""

from __future__ import annotations

import html
import re
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msal
import requests

PC_SCOPE = "https://api.partnercenter.microsoft.com/.default"
USER_SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation"
REDIRECT_URI = "http://localhost:8765/auth/callback"
MEGAN = "meganb@contoso-partner.onmicrosoft.com"  # Sales, MFA
LEE = "leeg@contoso-partner.onmicrosoft.com"  # Support, no MFA


class TrustingSession(requests.Session):
    """A Session that passes verify=<sandbox CA> on every request (REQUESTS_CA_BUNDLE would win otherwise)."""

    def __init__(self, ca: str) -> None:
        super().__init__()
        self.ca = ca

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = self.ca
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, *args, **kwargs)


@dataclass
class Sandbox:
    """A running sandbox and the credentials a portal would get from its portal.env."""

    data_dir: Path
    base: str
    process: subprocess.Popen[str] | None = None
    http: TrustingSession = field(init=False)
    _tokens: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.http = TrustingSession(self.ca)

    @property
    def ca(self) -> str:
        return str(self.data_dir / "ca.pem")

    @property
    def env(self) -> dict[str, str]:
        lines = (self.data_dir / "portal.env").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if line)

    @property
    def secret(self) -> str:
        return (self.data_dir / "client-secret").read_text().strip()

    @property
    def admin_token(self) -> str:
        return (self.data_dir / "admin-token").read_text().strip()

    @property
    def tenant(self) -> str:
        return self.env["PARTNER_CENTER_TENANT_ID"]

    @property
    def client_id(self) -> str:
        return self.env["PARTNER_CENTER_CLIENT_ID"]

    def msal_app(self) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            self.client_id,
            client_credential=self.secret,
            authority=self.env["PARTNER_CENTER_AUTHORITY"],
            instance_discovery=False,
            http_client=TrustingSession(self.ca),
        )

    def app_token(self) -> str:
        if "app" not in self._tokens:
            result = self.msal_app().acquire_token_for_client([PC_SCOPE])
            self._tokens["app"] = result["access_token"]
        return self._tokens["app"]

    def user_token(self, email: str = MEGAN) -> str:
        if email not in self._tokens:
            self._tokens[email] = sign_in(self, email)["access_token"]
        return self._tokens[email]

    def call(self, method: str, path: str, auth: str | None = "app", **kwargs: Any) -> requests.Response:
        """A Partner Center call; auth is "app" (an app-only token), None (no token) or a bearer token."""
        headers = dict(kwargs.pop("headers", {}))
        token = self.app_token() if auth == "app" else auth
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.base + path, headers=headers, **kwargs)

    def get(self, path: str, auth: str | None = "app", **kwargs: Any) -> requests.Response:
        return self.call("GET", path, auth, **kwargs)

    def post(self, path: str, auth: str | None = "app", **kwargs: Any) -> requests.Response:
        return self.call("POST", path, auth, **kwargs)

    def put(self, path: str, auth: str | None = "app", **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, auth, **kwargs)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(
            method, f"{self.base}/_sandbox/{path}", headers={"X-Sandbox-Admin": self.admin_token}, json=body
        )
        assert response.status_code == 200, response.text
        return response.json()

    def advance(self, seconds: float) -> None:
        self.admin("POST", "clock", {"advance_seconds": seconds})

    def customers(self) -> list[dict[str, Any]]:
        return self.get("/v1/customers?size=500").json()["items"]

    def customer(self, index: int) -> str:
        """The id of a seeded customer by position (the first ones are fixed: see sandbox/world.py)."""
        return self.customers()[index]["id"]


def sign_in(
    sandbox: Sandbox, email: str, app: msal.ConfidentialClientApplication | None = None
) -> dict[str, Any]:
    """The authorization-code flow through MSAL (form_post, as a web app would), using the sandbox's
    non-interactive shortcut: login_hint plus prompt=none signs the user in without the picker."""
    app = app or sandbox.msal_app()
    flow = app.initiate_auth_code_flow(
        [USER_SCOPE], redirect_uri=REDIRECT_URI, login_hint=email, prompt="none", response_mode="form_post"
    )
    return app.acquire_token_by_auth_code_flow(flow, posted_fields(sandbox.http.get(flow["auth_uri"])))


def posted_fields(page: requests.Response) -> dict[str, str]:
    """What the browser would POST to the redirect URI from the sandbox's auto-submitting form."""
    assert page.status_code == 200, page.text
    return {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', page.text)}


def new_request_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Offer:
    """A purchasable reservation for a customer: what a portal collects before building a cart."""

    customer_id: str
    subscription_id: str
    product_id: str
    sku_id: str
    catalog_item_id: str
    term: str
    duration: str


def find_offer(
    sb: Sandbox,
    customer_index: int = 0,
    family: str = "Dsv5",
    restricted: bool = False,
    legacy: bool = False,
    skip: int = 0,
) -> Offer:
    """Walk the documented discovery calls: subscriptions, products, SKUs, inventory, availabilities."""
    customer_id = sb.customer(customer_index)
    subscriptions = sb.get(f"/v1/customers/{customer_id}/subscriptions").json()["items"]
    wanted = "MS-AZR-0145P" if legacy else "Azure plan"
    subscription = next(s for s in subscriptions if wanted in (s["offerId"], s["offerName"]))
    scope = "" if legacy else "&reservationScope=AzurePlan"
    country = sb.get(f"/v1/customers/{customer_id}").json()["companyProfile"]["address"]["country"]
    products = sb.get(f"/v1/products?country={country}&targetView=AzureReservationsVM{scope}").json()["items"]
    product = next(p for p in products if family in p["title"])
    skus = sb.get(f"/v1/products/{product['id']}/skus?country={country}{scope}").json()["items"]
    inventory = sb.post(
        f"/v1/extensions/product/checkInventory?country={country}",
        json={
            "targetItems": [{"productId": product["id"]}],
            "inventoryContext": {"customerId": customer_id, "azureSubscriptionId": subscription["id"]},
        },
    ).json()
    restricted_ids = {item["skuId"] for item in inventory if item["isRestricted"]}
    candidates = [
        s
        for s in skus
        if (s["id"] in restricted_ids) == restricted and s["dynamicAttributes"]["duration"] == "1Year"
    ]
    sku = candidates[skip]
    availability = sb.get(
        f"/v1/products/{product['id']}/skus/{sku['id']}/availabilities?country={country}{scope}"
    )
    item = availability.json()["items"][0]
    return Offer(
        customer_id, subscription["id"], product["id"], sku["id"], item["catalogItemId"], "P1Y", "1Year"
    )


def cart_line(offer: Offer, quantity: int = 1, line_id: int = 0, **overrides: Any) -> dict[str, Any]:
    line = {
        "id": line_id,
        "catalogItemId": offer.catalog_item_id,
        "friendlyName": f"RI test {line_id}",
        "quantity": quantity,
        "billingCycle": "one_time",
        "termDuration": offer.term,
        "provisioningContext": {
            "subscriptionId": offer.subscription_id,
            "scope": "shared",
            "duration": offer.duration,
        },
    }
    line.update(overrides)
    return line


def create_cart(sb: Sandbox, offer: Offer, *lines: dict[str, Any]) -> dict[str, Any]:
    response = sb.post(
        f"/v1/customers/{offer.customer_id}/carts", json={"lineItems": list(lines) or [cart_line(offer)]}
    )
    assert response.status_code == 201, response.text
    return response.json()
