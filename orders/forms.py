"""Forms of the purchase pages. They check the shape of what was posted; the domain (orders.carts,
orders.approvals) decides whether it may be done, and re-checks everything a form cannot know."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from catalog import availability, search
from catalog.models import Availability, Sku
from orders import carts
from orders.models import PurchaseLine, PurchaseRequest
from portal.models import Customer

# Partner Center takes quantities as 32-bit integers; a SKU without a stated maximum is capped here.
MAX_QUANTITY = 999_999_999
MAX_TEXT = 2000


def offer_value(row: Availability) -> str:
    """The value of a term and billing plan in the SKU page's form: "12:one_time"."""
    return f"{row.term_months}:{row.billing_plan}"


def buyable(rows: Iterable[Availability]) -> list[Availability]:
    """The SKU's lines a purchase request can take: purchasable, commercial segment, one per term and plan."""
    found: dict[str, Availability] = {}
    for row in rows:
        segment = (row.segment or availability.DEFAULT_SEGMENT).lower()
        if row.is_purchasable and row.term_months and segment == availability.DEFAULT_SEGMENT:
            found.setdefault(offer_value(row), row)
    return list(found.values())


class QuantityField(forms.CharField):
    """A quantity within limits (a SKU's, or a line's), refused in the words catalog.availability uses."""

    def __init__(self, limits: availability.QuantityLimits) -> None:
        super().__init__(label=_("Quantity"))
        self.limits = limits

    def clean(self, value: Any) -> int:
        text = super().clean(value)
        try:
            quantity = availability.validate_quantity(self.limits, text)
        except availability.QuantityRefused as refused:
            raise forms.ValidationError(refused.user_message) from refused
        if quantity > MAX_QUANTITY:
            raise forms.ValidationError(
                _("At most %(maximum)s of this SKU can be bought at once.") % {"maximum": MAX_QUANTITY}
            )
        return quantity


def scope_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Scope"), choices=PurchaseLine.Scope.choices)


def friendly_name_field() -> forms.CharField:
    return forms.CharField(label=_("Friendly name"), required=False, max_length=carts.MAX_FRIENDLY_NAME)


class ActionForm(forms.Form):
    """A form behind a button of the purchase pages; its errors read as one sentence for a message."""

    def error_text(self) -> str:
        """ "Quantity: The quantity must be at least 1." for each error, labelled with its field."""
        parts = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            parts += [f"{label}: {error}" if label else str(error) for error in errors]
        return " ".join(parts)


class AddLineForm(ActionForm):
    """A line from a SKU page: one of the SKU's terms and billing plans, a quantity, a scope, a name."""

    offer = forms.ChoiceField(label=_("Term and billing"))
    scope = scope_field()
    friendly_name = friendly_name_field()

    def __init__(self, *args: Any, sku: Sku, rows: Iterable[Availability], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sku = sku
        self.fields["offer"].choices = [
            (
                offer_value(row),
                f"{search.term_label(row.term_months)}, {search.billing_plan_label(row.billing_plan)}",
            )
            for row in buyable(rows)
        ]
        self.fields["quantity"] = QuantityField(sku)

    def choice(self) -> carts.LineChoice:
        """What was picked, for carts.add_line. Call after is_valid()."""
        data = self.cleaned_data
        months, plan = data["offer"].split(":", 1)
        return carts.LineChoice(
            product_id=self.sku.product_id,
            sku_id=self.sku.sku_id,
            term_months=int(months),
            billing_plan=plan,
            quantity=data["quantity"],
            scope=data["scope"],
            friendly_name=data["friendly_name"],
        )


class ChangeLineForm(ActionForm):
    scope = scope_field()
    friendly_name = friendly_name_field()

    def __init__(self, *args: Any, line: PurchaseLine, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quantity"] = QuantityField(line)


class SubmitForm(ActionForm):
    note = forms.CharField(
        label=_("Note for the approver"), required=False, max_length=MAX_TEXT, widget=forms.Textarea
    )


class CancelForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=MAX_TEXT, widget=forms.Textarea)


class ApproveForm(ActionForm):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=MAX_TEXT, widget=forms.Textarea)


class RejectForm(ActionForm):
    comment = forms.CharField(
        label=_("Why it is rejected"),
        max_length=MAX_TEXT,
        widget=forms.Textarea,
        error_messages={
            "required": _("Say why the request is rejected, so the requester knows what to change.")
        },
    )

    def clean_comment(self) -> str:
        comment = self.cleaned_data["comment"].strip()
        if not comment:
            raise forms.ValidationError(self.fields["comment"].error_messages["required"])
        return comment


class PurchaseFilterForm(forms.Form):
    """Filters of the purchase list: whose requests, which state, which customer. Invalid values are
    reported, never guessed."""

    MINE = "mine"
    ALL = "all"

    who = forms.ChoiceField(
        label=_("Requests"), required=False, choices=[(MINE, _("Mine")), (ALL, _("Everyone's"))]
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *PurchaseRequest.State.choices]
    )
    customer = forms.ChoiceField(label=_("Customer"), required=False)

    def __init__(self, *args: Any, default_who: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["who"].initial = default_who
        self.default_who = default_who
        customers = Customer.objects.filter(purchase_requests__isnull=False).distinct()
        self.fields["customer"].choices = [("", _("Any customer"))] + [
            (customer.pk, customer.company_name) for customer in customers.order_by("company_name")
        ]

    def filter(self, requests: QuerySet[PurchaseRequest], user: Any) -> QuerySet[PurchaseRequest]:
        """Apply the valid filters. Call after is_valid()."""
        data = self.cleaned_data
        if (data.get("who") or self.default_who) == self.MINE:
            requests = requests.filter(requester=user)
        if data.get("state"):
            requests = requests.filter(state=data["state"])
        if data.get("customer"):
            requests = requests.filter(customer_id=data["customer"])
        return requests
