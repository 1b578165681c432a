"""Approval limits in Django's admin site, for admins (the Admin role): how much each approver may
approve in one request, per currency."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import ForeignKey
from django.http import HttpRequest

from orders import approvals
from orders.models import ApprovalLimit
from portal.roles import Capability


@admin.register(ApprovalLimit)
class ApprovalLimitAdmin(admin.ModelAdmin):
    list_display = ["approver", "currency_code", "max_amount"]
    list_filter = ["currency_code"]
    search_fields = ["approver__username", "approver__first_name", "approver__last_name", "currency_code"]
    ordering = ["approver__username", "currency_code"]

    # Limits are part of managing staff: the Admin role's capability opens them, whatever Django's
    # model permissions say (the role table in portal.roles is the one source of who may do what).
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(Capability.MANAGE_STAFF.perm)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Capability.MANAGE_STAFF.perm)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(Capability.MANAGE_STAFF.perm)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Capability.MANAGE_STAFF.perm)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(Capability.MANAGE_STAFF.perm)

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        if db_field.name == "approver":
            # Only people who may approve can have a limit.
            kwargs["queryset"] = approvals.approvers().order_by("username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
