"""Notifications: the in-portal list, the unread count, and the email that goes with each one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal import notifications
from portal.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(personas):
    user = personas["sales"]
    user.email = "megan@contoso-partner.example"
    user.save()
    return user


def test_a_notification_is_listed_and_emailed_once_the_event_commits(
    sales, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notifications.notify(
            sales,
            "registration-complete",
            "Registration complete: Azure plan of Northwind & Co can now buy reservations.",
            link="/customers/5b6c7d8e-9fa0-4b1c-8d2e-3f4a5b6c7d8e/",
        )
        assert mailoutbox == []  # not before the commit: a rolled-back event must send nothing
    assert notification.read_at is None
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["megan@contoso-partner.example"]
    assert email.subject.startswith("Reservations portal: Registration complete")
    assert "Hello Sales," in email.body
    assert "Northwind & Co can now buy reservations." in email.body  # plain text: nothing HTML-escaped
    assert "Reservations can now be bought for this subscription." in email.body
    assert "/customers/5b6c7d8e-9fa0-4b1c-8d2e-3f4a5b6c7d8e/" in email.body


def test_the_email_link_is_absolute_when_the_portal_address_is_known(
    sales, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "https://portal.contoso-partner.example/"
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(sales, "registration-failed", "Registration failed.", link="/customers/x/")
    assert "https://portal.contoso-partner.example/customers/x/" in mailoutbox[0].body
    assert "You can try the registration again" in mailoutbox[0].body


def test_a_kind_without_its_own_email_gets_the_general_one(
    sales, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(sales, "order-complete", "Your order is complete.")
    assert "Your order is complete." in mailoutbox[0].body


def test_nothing_is_emailed_when_the_event_is_rolled_back(db, sales, mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications.notify(sales, "registration-complete", "Registration complete.")
        raise RuntimeError("the step failed after all")
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_staff_without_an_email_address_are_notified_in_the_portal_only(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(personas["support"], "registration-complete", "Registration complete.")
    assert Notification.objects.filter(recipient=personas["support"]).count() == 1
    assert mailoutbox == []


def test_an_email_that_cannot_be_sent_is_logged_and_the_notification_kept(
    sales, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(sales, "registration-complete", "Registration complete.")
    assert Notification.objects.filter(recipient=sales).exists()
    assert "the email to user" in caplog.text


def test_the_unread_count_is_the_users_own(sales, personas):
    notifications.notify(sales, "registration-complete", "One")
    notifications.notify(sales, "registration-complete", "Two")
    notifications.notify(personas["support"], "registration-complete", "Someone else's")
    assert notifications.unread_count(sales) == 2


def test_the_header_shows_the_unread_count_on_every_page(client, sales):
    client.force_login(sales)
    assert 'class="badge"' not in client.get(reverse("dashboard")).content.decode()
    notifications.notify(sales, "registration-complete", "One")
    notifications.notify(sales, "registration-complete", "Two")
    html = client.get(reverse("dashboard")).content.decode()
    assert '<span class="badge" aria-label="2 unread">2</span>' in html
    client.post(reverse("notifications-read"))
    assert 'class="badge"' not in client.get(reverse("dashboard")).content.decode()


def test_the_list_shows_the_users_notifications_newest_first(client, sales, personas):
    older = notifications.notify(sales, "registration-complete", "Older news", link="/customers/a/")
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=1))
    notifications.notify(sales, "registration-failed", "Newer news")
    notifications.notify(personas["support"], "registration-complete", "Not for sales")
    client.force_login(sales)
    response = client.get(reverse("notifications"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Newer news") < html.index("Older news")
    assert "Not for sales" not in html
    assert '<a href="/customers/a/">Open</a>' in html
    assert "Mark all 2 unread notifications as read" in html


def test_the_list_is_paginated(client, sales):
    Notification.objects.bulk_create(
        Notification(recipient=sales, kind="registration-complete", message=f"News {n}") for n in range(30)
    )
    client.force_login(sales)
    html = client.get(reverse("notifications")).content.decode()
    assert html.count('class="notification unread"') == 25
    assert "Page 1 of 2" in html
    assert client.get(reverse("notifications"), {"page": 2}).content.decode().count("News ") == 5


def test_marking_read_clears_the_users_unread_count_only(client, sales, personas):
    notifications.notify(sales, "registration-complete", "Mine")
    notifications.notify(personas["support"], "registration-complete", "Theirs")
    client.force_login(sales)
    response = client.post(reverse("notifications-read"))
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications")
    assert notifications.unread_count(sales) == 0
    assert notifications.unread_count(personas["support"]) == 1
    assert "Mark all" not in client.get(reverse("notifications")).content.decode()


@pytest.mark.parametrize("persona", ["sales", "approver", "support", "admin"])
def test_every_role_has_a_notification_list(client, personas, persona):
    client.force_login(personas[persona])
    assert client.get(reverse("notifications")).status_code == 200


def test_an_account_without_a_role_has_none(client, personas):
    client.force_login(personas["outsider"])
    assert client.get(reverse("notifications")).status_code == 403
    assert client.post(reverse("notifications-read")).status_code == 403


def test_strangers_are_sent_to_sign_in(client, db):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_marking_read_needs_a_post(client, sales):
    client.force_login(sales)
    assert client.get(reverse("notifications-read")).status_code == 405
