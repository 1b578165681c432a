from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    from portal.roles import sync_roles

    sync_roles()


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from portal import signals  # noqa: F401  (connects the receivers)

        # After every migrate, when the permissions exist, so roles always match the code.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="portal-sync-roles")
