"""/healthz: 200 when the database and the broker answer, 503 naming the part that does not."""

import json

import pytest
from django.urls import reverse

from portal import celery_app
from tests.process import clean_env, run_python


def test_it_answers_200_without_signing_in(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert "no-cache" in response["Cache-Control"]


@pytest.fixture
def broker_at(monkeypatch):
    """Point the Celery app at another broker for one test (configuration, not a mock)."""

    def point(url: str, options: dict) -> None:
        monkeypatch.setitem(celery_app.conf, "broker_url", url)
        monkeypatch.setitem(celery_app.conf, "broker_transport_options", options)

    return point


def test_an_unreachable_redis_broker_gives_503_naming_the_broker(client, db, broker_at):
    broker_at("redis://127.0.0.1:1/0", {"socket_connect_timeout": 1})
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("fail")


def test_a_missing_embedded_queue_folder_gives_503(client, db, broker_at, tmp_path):
    broker_at("filesystem://", {"data_folder_in": str(tmp_path / "gone")})
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "fail: queue folder not writable"


def test_an_unreachable_database_gives_503_naming_the_database(tmp_path):
    code = """
import django, json
django.setup()
from django.test import Client
response = Client().get("/healthz", headers={"host": "localhost"})
print(json.dumps([response.status_code, response.json()]))
"""
    env = clean_env(
        DJANGO_DEBUG="true",
        PORTAL_DATA_DIR=str(tmp_path),
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        DATABASE_CONN_MAX_AGE="0",
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body["checks"]["database"].startswith("fail")
    assert body["checks"]["broker"] == "ok"
    assert "nobody" not in result.stdout  # no connection details leak into the answer
