"""The inventory check of a SKU page: staff ask whether Microsoft can supply the SKU before they cart it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import availability, inventory
from catalog.models import Sku
from catalog.views import catalog_id_arguments
from portal import partner_center
from portal.models import CustomerSubscription
from portal.roles import Capability, requires
from portal.views import guid_arguments, subscription_or_404


def _get_sku(subscription: CustomerSubscription, product_id: str, sku_id: str) -> Sku:
    """The SKU in the published catalog of the subscription's market and reservation scope, or 404."""
    found = availability.published_sku(subscription, product_id, sku_id)
    if found is None:
        raise Http404("no such SKU in this subscription's catalog")
    return found


@requires(Capability.VIEW_CATALOG)
@require_POST
@guid_arguments("customer_id", "subscription_id")
@catalog_id_arguments
def check_inventory(
    request: HttpRequest, customer_id: str, subscription_id: str, product_id: str, sku_id: str
) -> HttpResponse:
    subscription = subscription_or_404(customer_id, subscription_id)
    sku = _get_sku(subscription, product_id, sku_id)
    customer = subscription.customer
    chosen = request.POST.get("azure_subscription", "").strip().lower()
    status = 200
    try:
        result = inventory.check(
            partner_center.transport(for_page=True),
            customer,
            subscription,
            sku,
            azure_subscription_id=chosen or None,
        )
    except inventory.WrongAzureSubscription as refusal:
        result = inventory.InventoryResult(inventory.Outcome.FAILED, message=refusal.user_message)
        chosen, status = "", 400
    except partner_center.NotConfigured as exc:
        result = inventory.InventoryResult(inventory.Outcome.FAILED, message=str(exc.user_message))

    if request.htmx:
        context = {
            "customer": customer,
            "subscription": subscription,
            "sku": sku,
            "azure_subscriptions": list(subscription.azure_subscriptions.all()),
            "result": result,
            "chosen": chosen,
        }
        return render(request, "catalog/_inventory.html", context, status=status)
    _tell(request, result)
    return redirect("catalog-sku", customer.pk, subscription.pk, sku.product_id, sku.sku_id)


def _tell(request: HttpRequest, result: inventory.InventoryResult) -> None:
    """The result as a message on the SKU page, for browsers without JavaScript."""
    if result.outcome is inventory.Outcome.AVAILABLE:
        messages.success(
            request,
            _("Available: Microsoft can supply this SKU in %(region)s for %(subscription)s.")
            % {"region": result.region, "subscription": result.checked_for},
        )
    elif result.outcome is inventory.Outcome.NOT_REQUIRED:
        messages.info(request, _("This SKU needs no inventory check."))
    elif result.outcome is inventory.Outcome.RESTRICTED:
        for reason in result.reasons:
            messages.warning(request, reason)
    else:
        messages.error(request, result.message)
