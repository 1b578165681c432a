"""What the benchmarks share about their scratch database."""

from __future__ import annotations

from django.db import connection


def database_version() -> str:
    """The database's version, as the figures are printed with it: "3.40.1", "15.20"."""
    if connection.vendor == "sqlite":
        return ".".join(str(part) for part in connection.Database.sqlite_version_info)
    return f"{connection.pg_version // 10000}.{connection.pg_version % 10000}"


def own_test_database(suffix: str) -> None:
    """On PostgreSQL, name the scratch database test_<name>_<suffix> rather than Django's test_<name>: the
    test suite may be using that one on the same server at the same time."""
    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"test_{name}_{suffix}"
