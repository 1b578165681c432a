"""The portal speaks English and French: chosen by the browser, or in the footer, before or after sign-in."""

import re

from django.urls import reverse


def test_a_french_browser_gets_the_login_page_in_french(client, db):
    html = client.get(reverse("login"), headers={"accept-language": "fr-FR,fr;q=0.9"}).content.decode()
    assert '<html lang="fr"' in html
    assert "Se connecter" in html


def test_the_language_can_be_changed_before_signing_in(client, db):
    response = client.post(reverse("set_language"), {"language": "fr", "next": reverse("login")})
    assert response["Location"] == reverse("login")
    assert "Se connecter" in client.get(reverse("login")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert "Sign in" in client.get(reverse("login")).content.decode()


def test_pages_are_french_for_signed_in_staff_too(client, personas):
    client.force_login(personas["sales"])
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    html = client.get(reverse("dashboard")).content.decode()
    assert "Tableau de bord" in html
    assert "Clients" in html


def test_every_french_message_is_translated():
    from tests.process import PROJECT

    po = (PROJECT / "locale" / "fr" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in po
    # An empty msgstr (or plural form) with no continuation lines after it is an untranslated message; a
    # long translation starts with "" and goes on in the lines below, as gettext wraps it.
    entries = po.split("\n\n")[1:]
    untranslated = [e for e in entries if re.search(r'^msgstr(\[\d\])? ""\n(?!")', e + "\n", re.MULTILINE)]
    assert untranslated == []


def test_an_email_is_in_the_portals_language_whatever_the_thread_last_spoke(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import translation

    from portal import notifications

    personas["sales"].email = "sam@example.com"
    personas["sales"].save()
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        notifications.notify(personas["sales"], "registration-complete", "Registration complete.", "/")
    assert mailoutbox[0].subject.startswith("Reservations portal: ")
