"""The portal's project package and core app: settings, URLs, Celery, staff roles, audit trail."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
