"""Purchase requests built through the pages against the sandbox: the cart Partner Center keeps (created,
then updated), the errors it reports per line shown in plain words, carts that expire, availability ids
that rotate, and a cart the service could not take, written again on request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import AZURE_PLAN_SCOPE, Availability, Sku
from orders.models import PurchaseRequest
from partnercenter import carts as pc_carts
from partnercenter.enums import CartErrorCode, CartStatus
from portal import partner_center as portal_partner_center
from portal.models import AuditEntry, CustomerSubscription
from tests.integration.conftest import mirror_customer
from tests.integration.test_catalog_availability import mirrored_line
from tests.sandbox_process import Sandbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

State = PurchaseRequest.State
Kind = CustomerSubscription.Kind
CREATE_CART = "POST /v1/customers/{customer_id}/carts"
UPDATE_CART = "PUT /v1/customers/{customer_id}/carts/{cart_id}"
CART_PATH = r"^/v1/customers/[^/]+/carts/[^/]+$"
VM_CORE_QUOTA = 1000  # the sandbox's reserved vCPUs per subscription and region


@pytest.fixture
def fabrikam(partner_center):
    return mirror_customer("Fabrikam Inc")  # US, a registered Azure plan


@pytest.fixture
def plan(fabrikam) -> CustomerSubscription:
    return fabrikam.subscriptions.get(kind=Kind.AZURE_PLAN)


@pytest.fixture
def vm_line(fabrikam) -> Availability:
    return mirrored_line(fabrikam, AZURE_PLAN_SCOPE)


@pytest.fixture
def sales(client, personas):
    client.force_login(personas["sales"])
    return client


def calls(sandbox: Sandbox, route: str) -> int:
    return sandbox.stats()["requests"].get(route, 0)


def add(client, plan: CustomerSubscription, line: Availability, quantity: int = 1, scope: str = "shared"):
    url = reverse("purchase-add-line", args=[plan.customer_id, plan.pk, line.product_id, line.sku_id])
    data = {"offer": f"{line.term_months}:{line.billing_plan}", "quantity": str(quantity), "scope": scope}
    return client.post(url, data, follow=True)


def page(client, purchase: PurchaseRequest) -> str:
    response = client.get(reverse("purchase-request", args=[purchase.pk]))
    assert response.status_code == 200
    return response.content.decode()


def post(client, name: str, purchase: PurchaseRequest, *args: int, **data: str) -> str:
    response = client.post(reverse(name, args=[purchase.pk, *args]), data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def timeline(purchase: PurchaseRequest) -> list[str]:
    return [
        entry.message
        for entry in AuditEntry.objects.filter(
            object_type="orders.purchaserequest", object_id=str(purchase.pk)
        )
    ]


def partner_center_cart(purchase: PurchaseRequest):
    return pc_carts.get_cart(portal_partner_center.transport(), purchase.customer_id, purchase.cart_id)


def test_the_cart_is_created_then_updated_as_lines_are_added(partner_center, sales, plan, vm_line):
    created, updated = calls(partner_center, CREATE_CART), calls(partner_center, UPDATE_CART)

    add(sales, plan, vm_line, quantity=2)
    purchase = PurchaseRequest.objects.get()
    first_cart = purchase.cart_id
    add(sales, plan, vm_line, quantity=1, scope="single")

    purchase.refresh_from_db()
    assert purchase.cart_id == first_cart
    assert calls(partner_center, CREATE_CART) == created + 1
    assert calls(partner_center, UPDATE_CART) == updated + 1
    cart = partner_center_cart(purchase)
    assert [(item.id, item.quantity, item.provisioning_context["scope"]) for item in cart.line_items] == [
        (0, 2, "shared"),
        (1, 1, "single"),
    ]
    assert all(item.error is None for item in cart.line_items)
    assert purchase.quoted_total == sum(line.extended_price for line in purchase.lines.all())
    html = page(sales, purchase)
    assert "Cart written to Partner Center: 2 line(s)" in html


def test_a_quantity_beyond_the_subscriptions_quota_is_explained_and_can_be_fixed(
    partner_center, sales, plan, vm_line
):
    cores = Sku.objects.get(pk=vm_line.sku_row_id).cores
    assert cores, "a VM SKU has cores"
    too_many = VM_CORE_QUOTA // cores + 1

    html = add(sales, plan, vm_line, quantity=too_many).content.decode()

    purchase = PurchaseRequest.objects.get()
    line = purchase.lines.get()
    assert line.error_code == CartErrorCode.QUOTA_NOT_AVAILABLE
    quota_words = (
        "The subscription&#x27;s quota in this region is not enough for this quantity. Lower the quantity, "
        "or ask the customer to raise the quota."
    )
    assert f"Partner Center cannot sell this line as it is: {quota_words}" in html  # the message
    assert f'data-testid="line-error">{quota_words}</small>' in html  # and on the line itself
    assert "no price quoted yet" in html

    html = post(sales, "purchase-submit", purchase)
    assert "1 line(s) have errors Partner Center reported. Fix or remove them first." in html
    assert PurchaseRequest.objects.get().state == State.DRAFT

    html = post(sales, "purchase-change-line", purchase, line.pk, quantity="1", scope="shared")
    line.refresh_from_db()
    assert (line.error_code, line.quantity) == ("", 1)
    assert 'data-testid="line-error"' not in html
    post(sales, "purchase-submit", purchase)
    assert PurchaseRequest.objects.get().state == State.AWAITING_APPROVAL


def test_a_subscription_partner_center_says_is_not_registered_is_explained(partner_center, sales, vm_line):
    northwind = mirror_customer("Northwind Traders")  # US, an Azure plan Partner Center has not registered
    plan = northwind.subscriptions.get(kind=Kind.AZURE_PLAN)
    # The portal's copy is stale: it believes the plan registered, Partner Center knows better.
    CustomerSubscription.objects.filter(pk=plan.pk).update(
        registration=CustomerSubscription.Registration.REGISTERED
    )

    html = add(sales, plan, vm_line).content.decode()

    line = PurchaseRequest.objects.get().lines.get()
    assert line.error_code == CartErrorCode.SUBSCRIPTION_NOT_REGISTERED
    assert (
        "The subscription is not registered for reservation purchases yet. Register it from the "
        "customer&#x27;s page, then try again."
    ) in html


def test_a_draft_whose_cart_expired_gets_a_new_one_at_its_next_change(partner_center, sales, plan, vm_line):
    add(sales, plan, vm_line)
    purchase = PurchaseRequest.objects.get()
    old_cart = purchase.cart_id
    partner_center.advance_clock(8 * 86400)  # Partner Center forgets the cart after 7 days

    post(sales, "purchase-change-line", purchase, purchase.lines.get().pk, quantity="3", scope="shared")

    purchase.refresh_from_db()
    assert purchase.cart_id and purchase.cart_id != old_cart
    assert purchase.cart_synced
    assert purchase.lines.get().quantity == 3
    assert any("The previous cart had expired; a new cart was created." in m for m in timeline(purchase))
    assert partner_center_cart(purchase).line_items[0].quantity == 3


def test_an_expired_request_is_rebuilt_with_a_new_cart_and_needs_a_new_approval(
    partner_center, client, personas, plan, vm_line
):
    client.force_login(personas["sales"])
    add(client, plan, vm_line)
    purchase = PurchaseRequest.objects.get()
    post(client, "purchase-submit", purchase, note="Q3")
    old_cart = PurchaseRequest.objects.get().cart_id
    # Eight days pass before an approver looks at it: Partner Center's cart has expired, and ours says so.
    partner_center.advance_clock(8 * 86400)
    eight_days_ago = timezone.now() - timedelta(days=8)
    PurchaseRequest.objects.filter(pk=purchase.pk).update(
        cart_created_at=eight_days_ago, cart_expires_at=eight_days_ago + timedelta(days=7)
    )

    client.force_login(personas["approver"])
    html = post(client, "purchase-approve", purchase, comment="ok")
    assert "The cart of this request has expired (carts last 7 days), so it cannot be approved." in html
    assert PurchaseRequest.objects.get().state == State.EXPIRED

    client.force_login(personas["sales"])
    html = page(client, purchase)
    assert 'data-testid="rebuild-form"' in html
    html = post(client, "purchase-rebuild", purchase)

    purchase.refresh_from_db()
    assert "The request is a draft again, with a new cart. Send it for approval." in html
    assert purchase.state == State.DRAFT
    assert purchase.cart_synced and purchase.cart_id != old_cart
    assert purchase.cart_expires_at > timezone.now() + timedelta(days=6)
    assert purchase.lines.get().error_code == ""
    messages = timeline(purchase)
    assert "Rebuilt from fresh availabilities; it needs a new approval." in messages
    assert "Availabilities read again from Partner Center (their ids rotate)." in messages
    assert partner_center_cart(purchase).status == CartStatus.ACTIVE

    post(client, "purchase-submit", purchase)
    assert PurchaseRequest.objects.get().state == State.AWAITING_APPROVAL


def test_rotated_availability_ids_are_read_again_in_a_draft(partner_center, sales, plan, vm_line):
    add(sales, plan, vm_line)
    purchase = PurchaseRequest.objects.get()
    line = purchase.lines.get()
    stale = line.catalog_item_id
    partner_center.admin("POST", "rotate-availabilities")

    html = post(sales, "purchase-change-line", purchase, line.pk, quantity="2", scope="shared")

    line.refresh_from_db()
    assert line.catalog_item_id != stale
    assert (line.quantity, line.error_code) == (2, "")
    assert "Line changed:" in html
    assert 'data-testid="out-of-sync"' not in html
    assert "Availabilities read again from Partner Center (their ids rotate)." in timeline(purchase)
    assert partner_center_cart(purchase).line_items[0].catalog_item_id == line.catalog_item_id


def test_a_cart_partner_center_cannot_take_is_out_of_sync_until_written_again(
    partner_center, sales, plan, vm_line
):
    add(sales, plan, vm_line)
    purchase = PurchaseRequest.objects.get()
    line = purchase.lines.get()
    partner_center.faults({"method": "PUT", "path": CART_PATH, "kind": "error", "status": 503, "count": 50})

    html = post(sales, "purchase-change-line", purchase, line.pk, quantity="4", scope="shared")

    purchase.refresh_from_db()
    assert not purchase.cart_synced
    assert purchase.lines.get().quantity == 4  # the change is kept
    notice = html[html.index('data-testid="out-of-sync"') :]
    assert "The Partner Center cart does not hold these lines yet" in notice
    assert f"Reason: {purchase.last_error}" in notice
    assert "Write the cart again" in notice
    html = post(sales, "purchase-submit", purchase)  # sending it writes the cart first, and fails likewise
    assert PurchaseRequest.objects.get().state == State.DRAFT

    partner_center.admin("DELETE", "faults")
    html = post(sales, "purchase-sync-cart", purchase)

    purchase.refresh_from_db()
    assert "The cart was written to Partner Center." in html
    assert purchase.cart_synced
    assert 'data-testid="out-of-sync"' not in html
    assert partner_center_cart(purchase).line_items[0].quantity == 4
