"""The seed_demo command: one user per role, idempotent, and never on a production portal."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from portal.roles import Role, roles_of


def seed(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_it_creates_one_user_per_role_and_prints_their_passwords(db, settings):
    settings.DEMO_ACCOUNTS = True
    output = seed()
    User = get_user_model()
    assert {u.username: roles_of(u) for u in User.objects.all()} == {
        "sales": [Role.SALES],
        "approver": [Role.APPROVER],
        "support": [Role.SUPPORT],
        "admin": [Role.ADMIN],
    }
    for line in output.splitlines()[1:]:
        _role, username, password = line.split()
        assert User.objects.get(username=username).check_password(password)


def test_running_it_again_changes_nothing_unless_asked(db, settings):
    settings.DEMO_ACCOUNTS = True
    first = seed()
    second = seed()
    assert get_user_model().objects.count() == 4
    assert "(unchanged)" in second and "(unchanged)" not in first
    admin_password = next(line.split()[2] for line in first.splitlines() if line.split()[0] == "Admin")
    assert get_user_model().objects.get(username="admin").check_password(admin_password)
    third = seed("--reset-passwords")
    new_password = next(line.split()[2] for line in third.splitlines() if line.split()[0] == "Admin")
    assert new_password != admin_password
    assert get_user_model().objects.get(username="admin").check_password(new_password)


def test_it_refuses_when_demo_accounts_are_off(db, settings):
    settings.DEMO_ACCOUNTS = False
    with pytest.raises(CommandError, match="PORTAL_DEMO_ACCOUNTS"):
        seed()
    assert not get_user_model().objects.exists()
