"""Settings as a deployment sees them: each case starts a fresh process with its own environment."""

import json
import logging
import sys
from pathlib import Path

import pytest

from portal.logs import ClientErrorsWithoutTraceback
from tests.process import clean_env, run_manage, run_python

SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from portal import celery_app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": settings.DATABASES["default"]["NAME"],
    "broker": celery_app.conf.broker_url,
    "cache": settings.CACHES["default"]["BACKEND"],
    "debug": settings.DEBUG,
    "secure_cookies": settings.SESSION_COOKIE_SECURE,
}))
"""


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("x" * 64 + "-a-long-random-production-secret-0123456789")
    return clean_env(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY_FILE=str(secret_file),
        DJANGO_ALLOWED_HOSTS="portal.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://portal.example.com",
        PORTAL_DATA_DIR=str(tmp_path / "data"),
        **extra,
    )


def show(env: dict[str, str]) -> dict:
    result = run_python(SHOW_SETTINGS, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_bare_machine_gets_sqlite_an_embedded_broker_and_a_local_cache(tmp_path):
    seen = show(clean_env(DJANGO_DEBUG="true", PORTAL_DATA_DIR=str(tmp_path)))
    assert seen["engine"] == "django.db.backends.sqlite3"
    assert seen["db_name"] == str(tmp_path / "portal.sqlite3")
    assert seen["broker"] == "filesystem://"
    assert seen["cache"].endswith("LocMemCache")


def test_database_url_and_redis_url_switch_to_postgresql_and_redis(tmp_path):
    seen = show(
        clean_env(
            DJANGO_DEBUG="true",
            PORTAL_DATA_DIR=str(tmp_path),
            DATABASE_URL="postgres://portal@db.internal:5432/portal",
            REDIS_URL="redis://cache.internal:6379/0",
        )
    )
    assert seen["engine"] == "django.db.backends.postgresql"
    assert seen["db_name"] == "portal"
    assert seen["broker"] == "redis://cache.internal:6379/0"
    assert seen["cache"].endswith("RedisCache")


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY_FILE"]
    result = run_python(SHOW_SETTINGS, env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_a_typo_in_a_boolean_stops_the_start_and_names_the_variable(tmp_path):
    result = run_python(SHOW_SETTINGS, clean_env(DJANGO_DEBUG="ture", PORTAL_DATA_DIR=str(tmp_path)))
    assert result.returncode != 0
    assert "DJANGO_DEBUG='ture' is not a boolean" in result.stderr


def test_production_turns_on_secure_cookies(tmp_path):
    seen = show(production_env(tmp_path))
    assert seen["debug"] is False
    assert seen["secure_cookies"] is True


def test_check_deploy_is_clean_with_the_production_variables(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(
            tmp_path,
            DATABASE_URL="postgres://portal@db.internal:5432/portal",
            REDIS_URL="redis://cache.internal:6379/0",
        ),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("weak", ["DJANGO_HTTPS=false", "DJANGO_HSTS_SECONDS=0"])
def test_check_deploy_warns_when_production_is_weakened(tmp_path, weak):
    name, value = weak.split("=")
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path, **{name: value})
    )
    assert result.returncode != 0
    assert "security.W" in result.stdout + result.stderr


def test_the_database_password_can_come_from_a_secret_file(tmp_path):
    password_file = tmp_path / "postgres_password"
    password_file.write_text("s3cret-from-file\n")
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['PASSWORD'] == 's3cret-from-file')"
    )
    env = clean_env(
        DJANGO_DEBUG="true",
        PORTAL_DATA_DIR=str(tmp_path),
        DATABASE_URL="postgres://portal@db.internal:5432/portal",
        DATABASE_PASSWORD_FILE=str(password_file),
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


def test_a_refused_request_is_logged_in_one_line_and_a_server_error_with_its_traceback():
    def record(status: int) -> logging.LogRecord:
        try:
            raise PermissionError("refused")
        except PermissionError:
            entry = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "x", (), sys.exc_info())
        entry.status_code = status
        return entry

    keep = ClientErrorsWithoutTraceback()
    refused, failed = record(403), record(500)
    assert keep.filter(refused) and keep.filter(failed)
    assert refused.exc_info is None and failed.exc_info is not None
