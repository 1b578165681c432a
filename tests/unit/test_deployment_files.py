"""The files a deployment relies on stay in step with the code: the image holds every package, and every
variable the settings read is documented."""

import re
import tomllib

from tests.process import PROJECT

PREFIXES = (
    "DJANGO_",
    "DATABASE_",
    "REDIS_",
    "PORTAL_",
    "PARTNER_CENTER_",
    "STATIC_",
    "SESSION_",
    "LOG_",
    "TIME_",
)


def test_the_image_copies_every_package_the_project_installs():
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    dockerfile = (PROJECT / "Dockerfile").read_text()
    missing = [p for p in packages if f"COPY {p}/ {p}/" not in dockerfile]
    assert missing == [], f"the Dockerfile does not copy {missing}: the image would fail to import them"


def test_every_variable_the_settings_read_is_in_the_readme():
    readme = (PROJECT / "README.md").read_text()
    sources = (PROJECT / "portal" / "settings.py").read_text() + (
        PROJECT / "partnercenter" / "config.py"
    ).read_text()
    # Variables are read by quoted name ("DJANGO_DEBUG"); Django's own settings are never quoted.
    names = {name for name in re.findall(r'"([A-Z][A-Z_]+)"', sources) if name.startswith(PREFIXES)}
    assert "DJANGO_DEBUG" in names and "PARTNER_CENTER_TENANT_ID" in names  # the search itself works
    undocumented = sorted(name for name in names if f"`{name}`" not in readme)
    assert undocumented == [], f"variables read but not documented in README.md: {undocumented}"
