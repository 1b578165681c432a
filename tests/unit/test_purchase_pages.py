"""The purchase pages: the SKU page's "Add to purchase request", the request page and its buttons, the
approvers' queue and the list; who may press what, and what a crafted form, a stale page or a double click
gets (a refusal in plain words, and nothing changed).

Where a view calls Partner Center, it calls the sandbox (`partner_center`), with a catalog mirrored from it.
Requests in later states are written as the domain leaves them, with the portal not configured for Partner
Center when no call should happen at all.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from catalog.models import AZURE_PLAN_SCOPE, Availability, Mirror, Sku
from orders import carts
from orders.models import Approval, ApprovalLimit, PurchaseLine, PurchaseRequest
from partnercenter.config import PartnerCenterConfig
from portal.models import AuditEntry, Customer, CustomerSubscription, Notification
from portal.roles import Role
from tests.catalog_factory import published_mirror

pytestmark = pytest.mark.django_db

State = PurchaseRequest.State
Kind = CustomerSubscription.Kind
Registration = CustomerSubscription.Registration

CONTOSO_ID = "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9"
CONTOSO_PLAN_ID = "5e4d3c2b-1a0f-4e8d-b7c6-5b4a39281716"
LITWARE_ID = "2c3d4e5f-6071-4829-93a4-b5c6d7e8f9a0"
LITWARE_PLAN_ID = "6f5e4d3c-2b1a-4f0e-8d7c-6c5b4a392817"
COHO_ID = "a0b1c2d3-e4f5-4a6b-8c7d-8e9fa0b1c2d3"
COHO_PLAN_ID = "7a6f5e4d-3c2b-4a1f-9e8d-7d6c5b4a3928"

NOT_ALLOWED_TO_CHANGE = "Only the person who started this request can change it."


# --- the world ----------------------------------------------------------------------------------------------


@pytest.fixture
def offline(settings):
    """No Partner Center: a view that called it would refuse with "not configured"."""
    settings.PARTNER_CENTER = PartnerCenterConfig()


def make_customer(customer_id: str = CONTOSO_ID, name: str = "Contoso", country: str = "US") -> Customer:
    now = timezone.now()
    return Customer.objects.create(
        id=customer_id, company_name=name, country=country, listed_at=now, details_read_at=now
    )


def make_plan(
    customer: Customer, plan_id: str = CONTOSO_PLAN_ID, registration: str = Registration.REGISTERED
) -> CustomerSubscription:
    return CustomerSubscription.objects.create(
        id=plan_id, customer=customer, kind=Kind.AZURE_PLAN, name="Azure plan", registration=registration
    )


@pytest.fixture
def contoso_plan(db) -> CustomerSubscription:
    return make_plan(make_customer())


def make_request(
    requester,
    state: str = State.AWAITING_APPROVAL,
    *,
    plan: CustomerSubscription | None = None,
    total: Decimal | None = Decimal("1200.00"),
    currency: str = "USD",
    expires_in: timedelta = timedelta(days=6),
    line_error: str = "",
) -> PurchaseRequest:
    """A request as the domain leaves it in `state`: one line, a cart Partner Center priced."""
    plan = plan or CustomerSubscription.objects.get(pk=CONTOSO_PLAN_ID)
    now = timezone.now()
    purchase = PurchaseRequest.objects.create(
        customer=plan.customer,
        subscription=plan,
        subscription_ref=plan.pk,
        subscription_name=plan.name,
        country=plan.customer.country,
        reservation_scope="AzurePlan",
        requester=requester,
        state=state,
        state_changed_at=now,
        cart_id=str(uuid.uuid4()),
        cart_created_at=now - timedelta(days=7) + expires_in,
        cart_expires_at=now + expires_in,
        cart_status="Active",
        cart_synced=True,
        currency_code=currency if total is not None else "",
        quoted_total=total,
    )
    PurchaseLine.objects.create(
        request=purchase,
        position=0,
        product_id="DZH318Z0ABCD",
        sku_id="00A1",
        availability_id="DZH318Z0WXYZ",
        catalog_item_id="DZH318Z0ABCD:00A1:DZH318Z0WXYZ",
        title="Reserved VM Instance, Standard_D4s_v5, US East, 1 Year",
        region="US East",
        term_duration="P1Y",
        term_months=12,
        quantity=2,
        currency_code=currency if total is not None else "",
        unit_price=total / 2 if total is not None else None,
        extended_price=total,
        order_group="0",
        error_code="quota_not_available" if line_error else "",
        error_message=line_error,
    )
    return purchase


def user_with(username: str, *roles: Role):
    user = get_user_model().objects.create_user(username=username, password="x", first_name=username.title())
    for role in roles:
        user.groups.add(Group.objects.get(name=role.value))
    return user


def page_url(purchase: PurchaseRequest) -> str:
    return reverse("purchase-request", args=[purchase.pk])


def action_url(name: str, purchase: PurchaseRequest) -> str:
    return reverse(name, args=[purchase.pk])


def line_url(name: str, purchase: PurchaseRequest, line: PurchaseLine | None = None) -> str:
    line = line or purchase.lines.get()
    return reverse(name, args=[purchase.pk, line.pk])


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def followed(client, url: str, data: dict | None = None) -> str:
    """POST as a browser without JavaScript does: the redirect is followed to the page and its messages."""
    response = client.post(url, data or {}, follow=True)
    return html_of(response)


def reloaded(purchase: PurchaseRequest) -> PurchaseRequest:
    return PurchaseRequest.objects.get(pk=purchase.pk)


# --- who may open the pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["sales", "approver", "support", "admin"])
def test_every_role_sees_the_list_and_a_request(client, personas, contoso_plan, offline, persona):
    purchase = make_request(personas["sales"])
    client.force_login(personas[persona])
    html = html_of(client.get(reverse("purchases"), {"who": "all"}))
    assert purchase.reference in html
    html = html_of(client.get(page_url(purchase)))
    assert f"Purchase request {purchase.reference}" in html
    assert "Awaiting approval" in html


def test_an_account_without_a_role_sees_none_of_it(client, personas, contoso_plan, offline):
    purchase = make_request(personas["sales"])
    client.force_login(personas["outsider"])
    for url in (reverse("purchases"), page_url(purchase), reverse("purchase-approvals")):
        assert client.get(url).status_code == 403, url


def test_strangers_are_sent_to_sign_in(client, personas, contoso_plan, offline):
    purchase = make_request(personas["sales"])
    for url in (reverse("purchases"), page_url(purchase), action_url("purchase-approve", purchase)):
        response = client.post(url) if url.endswith("/approve/") else client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert reloaded(purchase).state == State.AWAITING_APPROVAL


@pytest.mark.parametrize("persona", ["sales", "support"])
def test_only_approvers_and_admins_open_the_approval_queue(client, personas, contoso_plan, offline, persona):
    client.force_login(personas[persona])
    assert client.get(reverse("purchase-approvals")).status_code == 403


def test_an_unknown_request_is_not_found(client, personas, offline):
    client.force_login(personas["sales"])
    assert client.get(reverse("purchase-request", args=[999])).status_code == 404
    assert client.post(reverse("purchase-cancel", args=[999])).status_code == 404


REQUESTER_ACTIONS = [
    "purchase-submit",
    "purchase-cancel",
    "purchase-rebuild",
    "purchase-sync-cart",
    "purchase-change-line",
    "purchase-remove-line",
]


def url_for(name: str, purchase: PurchaseRequest) -> str:
    return line_url(name, purchase) if "line" in name else action_url(name, purchase)


@pytest.mark.parametrize("name", REQUESTER_ACTIONS)
@pytest.mark.parametrize("persona", ["approver", "support", "outsider"])
def test_roles_that_do_not_buy_may_not_touch_a_request(
    client, personas, contoso_plan, offline, name, persona
):
    purchase = make_request(personas["sales"], State.DRAFT)
    client.force_login(personas[persona])
    assert client.post(url_for(name, purchase), {"quantity": "3", "scope": "shared"}).status_code == 403
    assert reloaded(purchase).state == State.DRAFT
    assert purchase.lines.get().quantity == 2


@pytest.mark.parametrize("name", ["purchase-approve", "purchase-reject"])
@pytest.mark.parametrize("persona", ["sales", "support", "outsider"])
def test_only_approvers_approve_or_reject(client, personas, contoso_plan, offline, name, persona):
    purchase = make_request(personas["admin"])
    client.force_login(personas[persona])
    assert client.post(action_url(name, purchase), {"comment": "fine"}).status_code == 403
    assert reloaded(purchase).state == State.AWAITING_APPROVAL
    assert not Approval.objects.exists()


@pytest.mark.parametrize("name", [*REQUESTER_ACTIONS, "purchase-approve", "purchase-reject"])
def test_actions_need_a_post(client, personas, contoso_plan, offline, name):
    purchase = make_request(personas["sales"], State.DRAFT)
    client.force_login(personas["admin"])
    assert client.get(url_for(name, purchase)).status_code == 405


# --- someone else's request ---------------------------------------------------------------------------------


@pytest.fixture
def other_sales(db):
    return user_with("nestor", Role.SALES)


def test_another_sales_persons_draft_cannot_be_changed_or_sent(
    client, personas, contoso_plan, partner_center, other_sales
):
    purchase = make_request(personas["sales"], State.DRAFT)
    client.force_login(other_sales)
    html = html_of(client.get(page_url(purchase)))
    assert 'data-testid="submit-form"' not in html
    assert "Save the line" not in html

    for name, data, refusal in [
        ("purchase-change-line", {"quantity": "5", "scope": "single"}, NOT_ALLOWED_TO_CHANGE),
        ("purchase-remove-line", {}, NOT_ALLOWED_TO_CHANGE),
        ("purchase-sync-cart", {}, NOT_ALLOWED_TO_CHANGE),
        ("purchase-submit", {"note": "please"}, "Only the person who started this request can send it"),
        ("purchase-cancel", {}, "Only the person who started this request, or an admin, can cancel it."),
    ]:
        assert refusal in followed(client, url_for(name, purchase), data), name

    purchase = reloaded(purchase)
    assert purchase.state == State.DRAFT
    assert (purchase.lines.get().quantity, purchase.lines.get().scope) == (2, "shared")


def test_an_admin_may_cancel_someone_elses_request(client, personas, contoso_plan, offline):
    purchase = make_request(personas["sales"])
    client.force_login(personas["admin"])
    html = followed(client, action_url("purchase-cancel", purchase), {"reason": "Duplicate of PR-000002"})
    assert "The request was cancelled. Nothing was bought." in html
    assert reloaded(purchase).state == State.CANCELLED
    entry = AuditEntry.objects.get(action="purchase-cancelled")
    assert (entry.actor, entry.message) == (personas["admin"], "Duplicate of PR-000002")


# --- approving and rejecting --------------------------------------------------------------------------------


def test_an_approver_approves_and_the_request_goes_to_checkout(
    client, personas, contoso_plan, offline, django_capture_on_commit_callbacks
):
    purchase = make_request(personas["sales"])
    client.force_login(personas["approver"])
    html = html_of(client.get(page_url(purchase)))
    assert 'data-testid="approve-form"' in html
    assert "Approve (1,200.00 USD)" in html

    with django_capture_on_commit_callbacks() as callbacks:
        html = followed(client, action_url("purchase-approve", purchase), {"comment": "Budget ok"})

    assert "Approved. The portal is checking it out now." in html
    assert reloaded(purchase).state == State.APPROVED
    approval = Approval.objects.get()
    assert (approval.decided_by, approval.decision, approval.comment) == (
        personas["approver"],
        Approval.Decision.APPROVED,
        "Budget ok",
    )
    assert (approval.total, approval.currency_code, approval.cart_id) == (
        Decimal("1200.00"),
        "USD",
        purchase.cart_id,
    )
    assert approval.snapshot[0]["quantity"] == 2
    assert len(callbacks) >= 1  # the checkout worker is sent for once the approval is committed
    # The page shows the decision with the frozen total, and polls its state while checkout runs.
    assert "total when decided: 1,200.00 USD" in html
    assert f'hx-get="{page_url(purchase)}?shown=approved" hx-trigger="every 2s"' in html
    assert 'data-testid="approve-form"' not in html
    assert Notification.objects.filter(recipient=personas["sales"], kind="purchase-request").exists()


def test_nobody_approves_their_own_request(client, personas, contoso_plan, offline):
    both = user_with("megan", Role.SALES, Role.APPROVER)
    purchase = make_request(both)
    client.force_login(both)

    html = html_of(client.get(page_url(purchase)))
    assert "You started this request, so someone else has to approve it." in html
    assert 'data-testid="approve-form"' not in html
    assert 'data-testid="reject-form"' not in html

    # The button is hidden, and the server refuses anyway.
    html = followed(client, action_url("purchase-approve", purchase), {"comment": "mine"})
    assert "You started this request, so someone else has to approve it." in html
    html = followed(client, action_url("purchase-reject", purchase), {"comment": "mine"})
    assert "You started this request; cancel it instead." in html
    assert reloaded(purchase).state == State.AWAITING_APPROVAL
    assert not Approval.objects.exists()

    queue = html_of(client.get(reverse("purchase-approvals")))
    assert purchase.reference in queue
    assert "You started this request, so someone else has to approve it." in queue


@pytest.mark.parametrize(
    ("total", "currency", "refusal"),
    [
        (Decimal("4999.99"), "USD", None),
        (Decimal("5000.00"), "USD", None),
        (
            Decimal("5000.01"),
            "USD",
            "This request (5,000.01 USD) is above your approval limit of 5,000.00 USD.",
        ),
        (
            Decimal("10.00"),
            "EUR",
            "You have no approval limit in EUR. An approver with one has to approve it.",
        ),
        (None, "", "Partner Center quoted no price for this request, and your approvals are limited."),
    ],
)
def test_approval_limits(client, personas, contoso_plan, offline, total, currency, refusal):
    approver = personas["approver"]
    ApprovalLimit.objects.create(approver=approver, currency_code="usd", max_amount=Decimal("5000"))
    purchase = make_request(personas["sales"], total=total, currency=currency)
    client.force_login(approver)

    page = html_of(client.get(page_url(purchase)))
    html = followed(client, action_url("purchase-approve", purchase))

    if refusal is None:
        assert 'data-testid="approve-form"' in page
        assert reloaded(purchase).state == State.APPROVED
    else:
        assert refusal in page
        assert 'data-testid="approve-form"' not in page
        assert 'data-testid="reject-form"' in page  # above one's limit, one may still reject
        assert refusal in html
        assert reloaded(purchase).state == State.AWAITING_APPROVAL


def test_an_approver_without_limits_approves_any_amount(client, personas, contoso_plan, offline):
    purchase = make_request(personas["sales"], total=Decimal("987654.32"))
    client.force_login(personas["admin"])
    followed(client, action_url("purchase-approve", purchase))
    assert reloaded(purchase).state == State.APPROVED


@pytest.mark.parametrize("comment", ["", "   \n "])
def test_a_rejection_needs_a_reason(client, personas, contoso_plan, offline, comment):
    purchase = make_request(personas["sales"])
    client.force_login(personas["approver"])
    html = followed(client, action_url("purchase-reject", purchase), {"comment": comment})
    assert "Say why the request is rejected, so the requester knows what to change." in html
    assert reloaded(purchase).state == State.AWAITING_APPROVAL
    assert not Approval.objects.exists()


def test_with_htmx_a_refusal_answers_the_request_region_and_keeps_what_was_typed(
    client, personas, contoso_plan, partner_center
):
    purchase = make_request(personas["sales"], State.DRAFT, line_error="The quota is not enough.")
    client.force_login(personas["sales"])
    response = client.post(
        action_url("purchase-submit", purchase),
        {"note": "For <the> migration"},
        headers={"HX-Request": "true", "HX-Target": "purchase-request"},
    )
    html = html_of(response)
    assert html.lstrip().startswith('<div id="purchase-request"')
    assert "<html" not in html
    assert (
        'role="alert" data-testid="refusal">1 line(s) have errors Partner Center reported. Fix or remove '
        "them first.</p>"
    ) in html
    assert '<textarea name="note" rows="2" maxlength="2000">For &lt;the&gt; migration</textarea>' in html
    assert reloaded(purchase).state == State.DRAFT


def test_a_rejection_tells_the_requester_why(client, personas, contoso_plan, offline):
    purchase = make_request(personas["sales"])
    client.force_login(personas["approver"])
    html = followed(
        client, action_url("purchase-reject", purchase), {"comment": "Wrong region: use West Europe"}
    )
    assert "Rejected. The requester has been told why." in html
    assert reloaded(purchase).state == State.REJECTED
    assert "Wrong region: use West Europe" in html  # in the approvals and the timeline
    notice = Notification.objects.get(recipient=personas["sales"], kind="purchase-request")
    assert "Wrong region: use West Europe" in notice.message
    assert notice.link == page_url(purchase)


def test_a_second_approval_is_refused_in_plain_words(client, personas, contoso_plan, offline):
    purchase = make_request(personas["sales"])
    client.force_login(personas["approver"])
    followed(client, action_url("purchase-approve", purchase))
    client.force_login(personas["admin"])  # a second approver, on the page they opened before
    html = followed(client, action_url("purchase-approve", purchase))
    assert "This purchase request is approved: it cannot become approved. Reload the page to see it." in html
    assert Approval.objects.count() == 1


def test_a_request_with_line_errors_cannot_be_approved(client, personas, contoso_plan, offline):
    purchase = make_request(personas["sales"], line_error="The subscription's quota is not enough.")
    client.force_login(personas["approver"])
    html = followed(client, action_url("purchase-approve", purchase))
    assert "This request has lines with errors; the requester has to fix them first." in html
    assert reloaded(purchase).state == State.AWAITING_APPROVAL


def test_a_request_whose_cart_expired_expires_instead_of_being_approved(
    client, personas, contoso_plan, offline
):
    purchase = make_request(personas["sales"], expires_in=timedelta(minutes=-5))
    client.force_login(personas["approver"])
    html = followed(client, action_url("purchase-approve", purchase))
    assert "The cart of this request has expired (carts last 7 days), so it cannot be approved." in html
    assert reloaded(purchase).state == State.EXPIRED
    assert not Approval.objects.exists()


# --- states: only the moves the table allows ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "name", "persona", "refusal"),
    [
        (
            State.ORDERED,
            "purchase-cancel",
            "sales",
            "This purchase request is ordered: it cannot become cancelled.",
        ),
        (State.CHECKING_OUT, "purchase-cancel", "sales", "is checking out: it cannot become cancelled."),
        (State.REJECTED, "purchase-cancel", "sales", "is rejected: it cannot become cancelled."),
        (
            State.DRAFT,
            "purchase-approve",
            "approver",
            "This purchase request is draft: it cannot become approved.",
        ),
        (State.CANCELLED, "purchase-reject", "approver", "is cancelled: it cannot become rejected."),
        (
            State.APPROVED,
            "purchase-rebuild",
            "sales",
            "This purchase request is approved: it cannot become draft.",
        ),
        (State.ORDERED, "purchase-rebuild", "sales", "is ordered: it cannot become draft."),
        (
            State.AWAITING_APPROVAL,
            "purchase-submit",
            "sales",
            "is awaiting approval: it cannot become awaiting approval.",
        ),
        (State.ORDERED, "purchase-approve", "approver", "is ordered: it cannot become approved."),
    ],
)
def test_every_move_the_table_does_not_allow_is_refused(
    client, personas, contoso_plan, partner_center, state, name, persona, refusal
):
    purchase = make_request(personas["sales"], state)
    client.force_login(personas[persona])
    html = followed(client, action_url(name, purchase), {"comment": "why not"})
    assert refusal in html
    assert reloaded(purchase).state == state
    assert not Approval.objects.exists()


@pytest.mark.parametrize("name", ["purchase-change-line", "purchase-remove-line"])
def test_the_lines_of_a_request_awaiting_approval_no_longer_change(
    client, personas, contoso_plan, partner_center, name
):
    purchase = make_request(personas["sales"])
    client.force_login(personas["sales"])
    html = html_of(client.get(page_url(purchase)))
    assert "Save the line" not in html and "Remove the line" not in html

    html = followed(client, line_url(name, purchase), {"quantity": "9", "scope": "single"})
    assert "This request is awaiting approval: its lines can no longer change." in html
    line = purchase.lines.get()
    assert (line.quantity, line.scope) == (2, "shared")


def test_a_line_of_another_request_is_refused(client, personas, contoso_plan, partner_center):
    mine = make_request(personas["sales"], State.DRAFT)
    theirs = make_request(user_with("nestor", Role.SALES), State.DRAFT)
    client.force_login(personas["sales"])
    for name in ("purchase-change-line", "purchase-remove-line"):
        html = followed(
            client, line_url(name, mine, theirs.lines.get()), {"quantity": "7", "scope": "single"}
        )
        assert "This line is not part of the request (it may have been removed)." in html
    assert theirs.lines.get().quantity == 2
    assert mine.lines.get().quantity == 2


def test_each_state_shows_only_the_actions_it_allows(client, personas, contoso_plan, offline):
    client.force_login(personas["sales"])
    expected = {
        State.DRAFT: {"submit-form", "cancel-form"},
        State.AWAITING_APPROVAL: {"cancel-form"},
        State.APPROVED: {"cancel-form"},
        State.CHECKING_OUT: set(),
        State.ORDERED: set(),
        State.REJECTED: set(),
        State.CANCELLED: set(),
        State.EXPIRED: {"rebuild-form"},
        State.FAILED: {"rebuild-form"},
    }
    every = {"submit-form", "cancel-form", "rebuild-form", "approve-form", "reject-form"}
    for state, shown in expected.items():
        html = html_of(client.get(page_url(make_request(personas["sales"], state))))
        found = {form for form in every if f'data-testid="{form}"' in html}
        assert found == shown, state


# --- the state region ---------------------------------------------------------------------------------------


def test_while_checking_out_the_state_region_polls_the_portals_row(client, personas, contoso_plan, offline):
    purchase = make_request(personas["sales"], State.CHECKING_OUT)
    client.force_login(personas["sales"])
    html = html_of(client.get(page_url(purchase)))
    assert f'hx-get="{page_url(purchase)}?shown=checking_out" hx-trigger="every 2s"' in html

    poll = {"HX-Request": "true", "HX-Target": "purchase-state"}
    response = client.get(page_url(purchase), {"shown": "checking_out"}, headers=poll)
    fragment = html_of(response)
    assert fragment.lstrip().startswith('<section id="purchase-state"')
    assert "Checking out" in fragment
    assert "HX-Refresh" not in response
    assert "no-cache" in response["Cache-Control"]

    PurchaseRequest.objects.filter(pk=purchase.pk).update(state=State.ORDERED)
    response = client.get(page_url(purchase), {"shown": "checking_out"}, headers=poll)
    assert response["HX-Refresh"] == "true"  # the whole page, with its orders, once the state moved on
    assert "hx-trigger" not in html_of(response)  # and a final state polls no more


def test_a_final_state_does_not_poll(client, personas, contoso_plan, offline):
    client.force_login(personas["sales"])
    for state in (State.ORDERED, State.FAILED, State.REJECTED, State.DRAFT):
        html = html_of(client.get(page_url(make_request(personas["sales"], state))))
        assert 'hx-trigger="every 2s"' not in html, state


@pytest.mark.parametrize(
    ("expires_in", "shown"),
    [
        (timedelta(days=6, hours=1), "(in 6 days)"),
        (timedelta(days=6, hours=23), "(in 7 days)"),  # to the nearest day
        (timedelta(days=1, hours=1), "(in 1 day)"),
        (timedelta(hours=3), "(in less than a day)"),
        (timedelta(hours=-1), "expired <time"),
    ],
)
def test_the_cart_expiry_is_a_date_and_a_countdown(
    client, personas, contoso_plan, offline, expires_in, shown
):
    purchase = make_request(personas["sales"], State.DRAFT, expires_in=expires_in)
    client.force_login(personas["sales"])
    html = html_of(client.get(page_url(purchase)))
    expiry = html[html.index('data-testid="cart-expiry"') :]
    assert shown in expiry[: expiry.index("</dd>")]
    assert f'datetime="{purchase.cart_expires_at.isoformat()}"' in expiry


def test_the_page_shows_orders_and_each_lines_outcome(client, personas, contoso_plan, offline):
    from orders.models import Order

    purchase = make_request(personas["sales"], State.ORDERED)
    order = Order.objects.create(
        id="b7c6d5e4f3a2",
        customer=purchase.customer,
        purchase_request=purchase,
        source="checkout",
        status="pending",
    )
    PurchaseLine.objects.filter(request=purchase).update(order=order)
    client.force_login(personas["sales"])
    html = html_of(client.get(page_url(purchase)))
    link = reverse("order", kwargs={"customer_id": purchase.customer_id, "order_id": order.pk})
    assert html.count(f'href="{link}"') == 2  # in the line and in the orders
    assert "Bought: Partner Center took the order." in html


# --- the SKU page's form, and what a crafted one gets -------------------------------------------------------


@pytest.fixture
def us_catalog(db) -> Mirror:
    return published_mirror("US", AZURE_PLAN_SCOPE, size=50)


def a_sku(mirror: Mirror) -> Sku:
    return Sku.objects.filter(mirror=mirror, availabilities__term_months=12, cores__isnull=False).first()


def add_url(sku: Sku, customer_id: str = CONTOSO_ID, plan_id: str = CONTOSO_PLAN_ID) -> str:
    return reverse("purchase-add-line", args=[customer_id, plan_id, sku.product_id, sku.sku_id])


def sku_page(sku: Sku, customer_id: str = CONTOSO_ID, plan_id: str = CONTOSO_PLAN_ID) -> str:
    return reverse("catalog-sku", args=[customer_id, plan_id, sku.product_id, sku.sku_id])


def good_line(sku: Sku, **changes: str) -> dict[str, str]:
    row = Availability.objects.filter(sku_row=sku, term_months__isnull=False).first()
    return {"offer": f"{row.term_months}:{row.billing_plan}", "quantity": "1", "scope": "shared"} | changes


def test_the_sku_page_offers_the_form_to_those_who_buy(client, personas, contoso_plan, us_catalog, offline):
    sku = a_sku(us_catalog)
    client.force_login(personas["sales"])
    html = html_of(client.get(sku_page(sku)))
    url = add_url(sku)
    assert f'<form method="post" action="{url}" hx-post="{url}" hx-target="#add-line"' in html
    assert '<option value="12:one_time"' in html
    assert 'name="quantity" value="1" min="1"' in html
    assert '<option value="single"' in html

    client.force_login(personas["approver"])
    assert 'data-testid="add-line"' not in html_of(client.get(sku_page(sku)))


def test_no_form_for_a_subscription_that_is_not_registered(client, personas, us_catalog, offline):
    plan = make_plan(make_customer(), registration=Registration.NOT_REGISTERED)
    sku = a_sku(us_catalog)
    client.force_login(personas["sales"])
    html = html_of(client.get(sku_page(sku)))
    assert 'data-testid="add-line"' not in html
    # And a crafted POST is refused with the reason, before anything is started.
    html = followed(client, add_url(sku), good_line(sku))
    assert f"The subscription {plan.name} is not registered for reservation purchases." in html
    assert not PurchaseRequest.objects.exists()


def test_a_blocked_market_is_refused_before_anything_starts(client, personas, offline):
    plan = make_plan(make_customer(COHO_ID, "Coho Winery", "BR"), COHO_PLAN_ID)
    client.force_login(personas["sales"])
    url = reverse("purchase-add-line", args=[COHO_ID, plan.pk, "DZH318Z0ABCD", "00A1"])
    html = followed(client, url, {"offer": "12:one_time", "quantity": "1", "scope": "shared"})
    assert "Azure reservations cannot be bought in Brazil, the customer&#x27;s market." in html
    assert not PurchaseRequest.objects.exists()
    assert not Mirror.objects.exists()  # not even a catalog lookup


def test_another_customers_subscription_in_the_address_is_not_found(
    client, personas, contoso_plan, us_catalog, offline
):
    make_plan(make_customer(LITWARE_ID, "Litware", "US"), LITWARE_PLAN_ID)
    sku = a_sku(us_catalog)
    client.force_login(personas["sales"])
    assert client.post(add_url(sku, CONTOSO_ID, LITWARE_PLAN_ID), good_line(sku)).status_code == 404
    assert client.post(add_url(sku, LITWARE_ID, CONTOSO_PLAN_ID), good_line(sku)).status_code == 404
    assert not PurchaseRequest.objects.exists()


@pytest.mark.parametrize(
    ("product_id", "sku_id"),
    [
        ("DZH318Z0ABCD'--", "00A1"),
        ("DZH318Z0ABCD", "00A1;drop"),
        ("DZH318Z0ABCD", "%3Cscript%3E"),
        ("x" * 65, "1"),
    ],
)
def test_malformed_product_or_sku_ids_are_a_bad_request(
    client, personas, contoso_plan, offline, product_id, sku_id
):
    client.force_login(personas["sales"])
    url = reverse("purchase-add-line", args=[CONTOSO_ID, CONTOSO_PLAN_ID, product_id, sku_id])
    response = client.post(url, {"offer": "12:one_time", "quantity": "1", "scope": "shared"})
    assert response.status_code == 400
    assert "Partner Center&#x27;s ids are letters and digits only" in response.content.decode()
    assert not PurchaseRequest.objects.exists()


def test_a_sku_not_in_the_customers_catalog_is_not_found(client, personas, contoso_plan, us_catalog, offline):
    client.force_login(personas["sales"])
    url = reverse("purchase-add-line", args=[CONTOSO_ID, CONTOSO_PLAN_ID, "DZH318Z0NONE", "0001"])
    assert client.post(url, {"offer": "12:one_time", "quantity": "1", "scope": "shared"}).status_code == 404


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"quantity": "0"}, "Quantity: The quantity must be at least 1."),
        ({"quantity": "-3"}, "Quantity: The quantity must be at least 1."),
        ({"quantity": "abc"}, "Quantity: The quantity must be a whole number, such as 1 or 2."),
        ({"quantity": "1.5"}, "Quantity: The quantity must be a whole number, such as 1 or 2."),
        ({"quantity": "99999999999999999999"}, "at once."),
        ({"quantity": ""}, "Quantity: This field is required."),
        (
            {"scope": "everyone"},
            "Scope: Select a valid choice. everyone is not one of the available choices.",
        ),
        ({"offer": "36:one_time"}, "Term and billing: Select a valid choice."),
        ({"offer": "12:monthly"}, "Term and billing: Select a valid choice."),
        ({"friendly_name": "x" * 81}, "Friendly name: Ensure this value has at most 80 characters"),
    ],
)
def test_a_tampered_line_is_refused_before_partner_center_is_asked(
    client, personas, contoso_plan, us_catalog, offline, changes, refusal
):
    sku = a_sku(us_catalog)
    client.force_login(personas["sales"])
    response = client.post(add_url(sku), good_line(sku, **changes), follow=True)
    assert response.redirect_chain == [(sku_page(sku), 302)]
    assert refusal in response.content.decode()
    assert not PurchaseRequest.objects.exists()


def test_with_htmx_a_refused_line_shows_the_form_again_with_what_was_typed(
    client, personas, contoso_plan, us_catalog, offline
):
    sku = a_sku(us_catalog)
    client.force_login(personas["sales"])
    data = good_line(sku, quantity="0", scope="single", friendly_name="RI <b>prod</b>")
    html = html_of(client.post(add_url(sku), data, headers={"HX-Request": "true"}))
    assert html.lstrip().startswith('<section id="add-line"')
    assert 'role="alert" data-testid="add-line-refusal">Quantity: The quantity must be at least 1.' in html
    assert 'name="quantity" value="0"' in html
    assert '<option value="single" selected>' in html
    assert 'value="RI &lt;b&gt;prod&lt;/b&gt;"' in html


def test_without_partner_center_nothing_is_started(client, personas, contoso_plan, us_catalog, offline):
    sku = a_sku(us_catalog)
    client.force_login(personas["sales"])
    html = followed(client, add_url(sku), good_line(sku))
    assert "Partner Center is not configured for this portal. Ask whoever runs it." in html
    assert not PurchaseRequest.objects.exists()


# --- with Partner Center (the sandbox) ----------------------------------------------------------------------


@pytest.fixture
def fabrikam(partner_center):
    from tests.integration.conftest import mirror_customer

    return mirror_customer("Fabrikam Inc")  # US, a registered Azure plan


@pytest.fixture
def fabrikam_plan(fabrikam) -> CustomerSubscription:
    return fabrikam.subscriptions.get(kind=Kind.AZURE_PLAN)


@pytest.fixture
def vm_line(fabrikam) -> Availability:
    from tests.integration.test_catalog_availability import mirrored_line

    return mirrored_line(fabrikam, AZURE_PLAN_SCOPE)


def sandbox_add_url(plan: CustomerSubscription, line: Availability) -> str:
    return reverse("purchase-add-line", args=[plan.customer_id, plan.pk, line.product_id, line.sku_id])


def line_form(line: Availability, **changes: str) -> dict[str, str]:
    return {"offer": f"{line.term_months}:{line.billing_plan}", "quantity": "2", "scope": "shared"} | changes


def test_sales_add_a_line_and_see_the_quoted_price_and_the_carts_expiry(
    client, personas, fabrikam_plan, vm_line
):
    client.force_login(personas["sales"])
    sku_url = reverse(
        "catalog-sku", args=[fabrikam_plan.customer_id, fabrikam_plan.pk, vm_line.product_id, vm_line.sku_id]
    )
    assert 'data-testid="add-line"' in html_of(client.get(sku_url))

    response = client.post(
        sandbox_add_url(fabrikam_plan, vm_line), line_form(vm_line, friendly_name="RI prod")
    )

    purchase = PurchaseRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page_url(purchase)
    assert (purchase.state, purchase.requester, purchase.cart_synced) == (
        State.DRAFT,
        personas["sales"],
        True,
    )
    assert purchase.cart_id and purchase.currency_code == "USD" and purchase.quoted_total > 0
    line = purchase.lines.get()
    assert (line.quantity, line.scope, line.friendly_name, line.error_code) == (2, "shared", "RI prod", "")
    assert line.extended_price == line.unit_price * 2

    html = html_of(client.get(page_url(purchase)))
    assert f"Added 2 x {line.title} to {purchase.reference}." in html
    assert carts.money(purchase.quoted_total, "USD") in html
    assert carts.money(line.unit_price, "USD") in html
    assert "(in 7 days)" in html  # 7 days from the cart's creation, a moment ago
    assert 'data-testid="out-of-sync"' not in html
    timeline = html[html.index('data-testid="timeline"') :]
    assert "Started for Fabrikam Inc" in timeline
    assert f"Added 2 x {line.title}" in timeline
    assert "Cart written to Partner Center: 1 line(s)" in timeline
    assert AuditEntry.objects.filter(action="purchase-event").exclude(correlation_id="").exists()


def test_a_second_line_goes_into_the_same_draft(client, personas, fabrikam_plan, vm_line):
    client.force_login(personas["sales"])
    client.post(sandbox_add_url(fabrikam_plan, vm_line), line_form(vm_line))
    client.post(sandbox_add_url(fabrikam_plan, vm_line), line_form(vm_line, quantity="1", scope="single"))
    purchase = PurchaseRequest.objects.get()
    assert [(line.position, line.quantity, line.scope) for line in purchase.lines.all()] == [
        (0, 2, "shared"),
        (1, 1, "single"),
    ]
    assert purchase.quoted_total == sum(line.extended_price for line in purchase.lines.all())


def test_with_htmx_an_added_line_leads_to_the_request_page(client, personas, fabrikam_plan, vm_line):
    client.force_login(personas["sales"])
    response = client.post(
        sandbox_add_url(fabrikam_plan, vm_line), line_form(vm_line), headers={"HX-Request": "true"}
    )
    assert response["HX-Redirect"] == page_url(PurchaseRequest.objects.get())


def test_changing_and_removing_lines_reprices_the_cart(client, personas, fabrikam_plan, vm_line):
    client.force_login(personas["sales"])
    client.post(sandbox_add_url(fabrikam_plan, vm_line), line_form(vm_line))
    purchase = PurchaseRequest.objects.get()
    line = purchase.lines.get()
    unit = line.unit_price

    html = followed(
        client, line_url("purchase-change-line", purchase, line), {"quantity": "5", "scope": "single"}
    )
    assert f"Line changed: {line.title}." in html
    line.refresh_from_db()
    assert (line.quantity, line.scope, line.extended_price) == (5, "single", unit * 5)
    assert reloaded(purchase).quoted_total == unit * 5

    # With htmx, the request region answers, saying how it went.
    response = client.post(
        line_url("purchase-remove-line", purchase, line),
        headers={"HX-Request": "true", "HX-Target": "purchase-request"},
    )
    fragment = html_of(response)
    assert fragment.lstrip().startswith('<div id="purchase-request"')
    assert f"Line removed: {line.title}." in fragment
    assert "No reservation in this request yet." in fragment
    assert not purchase.lines.exists()


def test_submitted_requests_reach_the_approvers_queue(
    client, personas, fabrikam_plan, vm_line, mailoutbox, django_capture_on_commit_callbacks
):
    get_user_model().objects.filter(username="approver").update(email="alex@example.com")
    client.force_login(personas["sales"])
    client.post(sandbox_add_url(fabrikam_plan, vm_line), line_form(vm_line))
    purchase = PurchaseRequest.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        html = followed(client, action_url("purchase-submit", purchase), {"note": "For the Q3 migration"})

    assert "Sent for approval. Approvers have been told." in html
    purchase = reloaded(purchase)
    assert (purchase.state, purchase.note) == (State.AWAITING_APPROVAL, "For the Q3 migration")
    assert {n.recipient.username for n in Notification.objects.filter(kind="purchase-awaiting-approval")} == {
        "approver",
        "admin",
    }
    (email,) = mailoutbox
    assert email.to == ["alex@example.com"]
    assert f"{purchase.reference} for Fabrikam Inc" in email.subject
    assert "Open the request to see its lines and the price Partner Center quoted" in email.body
    assert page_url(purchase) in email.body
    client.force_login(personas["approver"])
    queue = html_of(client.get(reverse("purchase-approvals")))
    assert purchase.reference in queue
    assert carts.money(purchase.quoted_total, "USD") in queue
    assert "you can approve it" in queue
    page = html_of(client.get(page_url(purchase)))
    assert "For the Q3 migration" in page
    assert 'data-testid="approve-form"' in page


def test_an_empty_draft_cannot_be_sent(client, personas, contoso_plan, partner_center):
    purchase = make_request(personas["sales"], State.DRAFT)
    purchase.lines.all().delete()
    client.force_login(personas["sales"])
    html = followed(client, action_url("purchase-submit", purchase))
    assert "Add at least one reservation before sending the request for approval." in html
    assert reloaded(purchase).state == State.DRAFT


# --- the list -----------------------------------------------------------------------------------------------


def test_the_list_shows_ones_own_requests_by_default_and_filters(client, personas, offline):
    contoso = make_plan(make_customer())
    litware = make_plan(make_customer(LITWARE_ID, "Litware", "US"), LITWARE_PLAN_ID)
    mine = make_request(personas["sales"], State.DRAFT, plan=contoso)
    mine_ordered = make_request(personas["sales"], State.ORDERED, plan=litware)
    theirs = make_request(personas["admin"], State.AWAITING_APPROVAL, plan=contoso)
    client.force_login(personas["sales"])

    def shown(**query: str) -> set[str]:
        html = html_of(client.get(reverse("purchases"), query))
        return {p.reference for p in (mine, mine_ordered, theirs) if f">{p.reference}</a>" in html}

    assert shown() == {mine.reference, mine_ordered.reference}
    assert shown(who="all") == {mine.reference, mine_ordered.reference, theirs.reference}
    assert shown(who="all", state="awaiting_approval") == {theirs.reference}
    assert shown(who="all", customer=LITWARE_ID) == {mine_ordered.reference}
    html = html_of(client.get(reverse("purchases"), {"state": "bogus"}))
    assert "State: Select a valid choice." in html
    # An approver, who requests nothing, sees everyone's by default.
    client.force_login(personas["approver"])
    assert shown() == {mine.reference, mine_ordered.reference, theirs.reference}
    # With htmx, the results region alone.
    fragment = html_of(client.get(reverse("purchases"), {"who": "all"}, headers={"HX-Request": "true"}))
    assert fragment.lstrip().startswith('<section id="results"')


def test_the_list_is_paginated(client, personas, contoso_plan, offline):
    for _ in range(27):
        make_request(personas["sales"], State.DRAFT)
    client.force_login(personas["sales"])
    html = html_of(client.get(reverse("purchases")))
    assert "27 requests" in html and "Page 1 of 2" in html
    assert html.count('<tr data-purchase="') == 25
    assert html_of(client.get(reverse("purchases"), {"page": "2"})).count('<tr data-purchase="') == 2


def test_the_navigation_leads_to_the_purchases(client, personas, offline):
    client.force_login(personas["support"])
    html = html_of(client.get(reverse("dashboard")))
    assert f'<a href="{reverse("purchases")}" data-nav="purchases"' in html


# --- approval limits in the admin site ----------------------------------------------------------------------


def test_admins_set_approval_limits_for_approvers_only(client, personas, offline):
    ApprovalLimit.objects.create(
        approver=personas["approver"], currency_code="EUR", max_amount=Decimal("2500")
    )
    client.force_login(personas["admin"])
    html = html_of(client.get(reverse("admin:orders_approvallimit_changelist")))
    assert "approver" in html and "EUR" in html and "2500" in html
    add = html_of(client.get(reverse("admin:orders_approvallimit_add")))
    options = add[add.index('name="approver"') : add.index("</select>", add.index('name="approver"'))]
    assert ">approver</option>" in options and ">admin</option>" in options
    assert ">sales</option>" not in options and ">support</option>" not in options

    client.force_login(personas["approver"])
    assert client.get(reverse("admin:orders_approvallimit_changelist")).status_code == 302
