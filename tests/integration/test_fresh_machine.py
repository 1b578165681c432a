"""What `make run` does before starting the processes, on a bare machine: SQLite and the embedded broker.

CI runs the suite on PostgreSQL, so this is where the newcomer's default path is proven there too.
"""

import pytest

from tests.process import clean_env, run_manage

pytestmark = pytest.mark.integration


def test_migrate_and_seed_demo_work_on_a_fresh_sqlite_file_and_again(tmp_path):
    env = clean_env(DJANGO_DEBUG="true", PORTAL_DATA_DIR=str(tmp_path))
    migrate = run_manage("migrate", "--noinput", env=env)
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "portal.sqlite3").exists()

    first = run_manage("seed_demo", "--reset-passwords", env=env)
    assert first.returncode == 0, first.stderr
    logins = [line.split() for line in first.stdout.splitlines()[1:]]
    assert [(role, user) for role, user, _password in logins] == [
        ("Sales", "sales"),
        ("Approver", "approver"),
        ("Support", "support"),
        ("Admin", "admin"),
    ]

    # A second `make run` finds everything in place and gives fresh passwords.
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    second = run_manage("seed_demo", "--reset-passwords", env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout != first.stdout


def test_production_settings_refuse_demo_accounts(tmp_path):
    env = clean_env(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a-production-secret-" + "x" * 40,
        PORTAL_DATA_DIR=str(tmp_path),
    )
    assert run_manage("migrate", "--noinput", env=env).returncode == 0
    seed = run_manage("seed_demo", env=env)
    assert seed.returncode != 0
    assert "Demo accounts are off" in seed.stderr
