from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from portal.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the trail is append-only, so the admin can list and open entries, nothing more."""

    list_display = ["created_at", "actor_name", "action", "object_repr", "outcome", "correlation_id"]
    list_filter = ["outcome", "action"]
    search_fields = ["actor_name", "object_id", "object_repr", "correlation_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
