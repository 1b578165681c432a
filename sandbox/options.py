"""What the sandbox is told at start-up (sizes, address, seed) and the behaviour settings it keeps.

Size options shape the generated world and are read on every start. Behaviour settings (delays, rate
limit, rotation period) can also be changed at run time through the admin API and are kept in the state
database; a value given explicitly on the command line (or in the environment) wins over the stored one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    """Behaviour knobs, all in seconds unless named otherwise."""

    listing_delay: float = 900.0  # new orders are missing from order lists this long
    registration_delay: float = 20.0  # a registration stays Registering this long
    order_completion_delay: float = 30.0  # orders stay pending this long
    rate_limit: int = 500  # requests per minute per partner tenant before 429
    availability_rotation: float = 86400.0  # availability ids change every period
    checkout_duration_ms: int = 150  # how long a checkout holds its cart (what makes 409/800064 observable)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, changes: dict[str, Any]) -> Settings:
        """A copy with `changes` applied; raises ValueError on unknown names or bad values."""
        known = {f.name: f for f in fields(self)}
        values = asdict(self)
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown setting {name!r}; known: {', '.join(sorted(known))}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"setting {name!r} must be a number")
            if value < 0:
                raise ValueError(f"setting {name!r} must not be negative")
            value = int(value) if name in ("rate_limit", "checkout_duration_ms") else float(value)
            if name in ("rate_limit", "availability_rotation") and value <= 0:
                raise ValueError(f"setting {name!r} must be positive")
            values[name] = value
        return Settings(**values)


SETTING_NAMES = tuple(f.name for f in fields(Settings))


@dataclass(frozen=True)
class Options:
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8443
    public_host: str | None = None  # the name clients use, when host is a wildcard address
    seed: int | None = None  # None: the seed recorded at init (42 on a fresh data dir)
    customers: int = 60
    catalog_availabilities: int = 400
    bench_market: str | None = None
    bench_availabilities: int = 0
    invoice_line_items: int = 5000
    log_requests: bool = False
    # Behaviour settings given explicitly; the rest come from the state database or the defaults.
    explicit_settings: tuple[tuple[str, float], ...] = ()

    @property
    def advertised_host(self) -> str:
        if self.public_host:
            return self.public_host
        if self.host in ("0.0.0.0", "::", ""):  # noqa: S104 - recognising a wildcard, not binding one
            return "localhost"
        return self.host

    def base_url(self, port: int) -> str:
        host = self.advertised_host
        if ":" in host:
            host = f"[{host}]"
        return f"https://{host}:{port}"

    def startup_settings(self, stored: dict[str, Any] | None) -> Settings:
        """Stored settings overlaid with the explicit ones (explicit wins)."""
        settings = Settings()
        if stored:
            settings = settings.updated({k: v for k, v in stored.items() if k in SETTING_NAMES})
        return settings.updated(dict(self.explicit_settings))

    def reset_settings(self) -> Settings:
        """What /_sandbox/reset goes back to: the defaults overlaid with the explicit options."""
        return Settings().updated(dict(self.explicit_settings))
