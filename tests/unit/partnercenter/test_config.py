"""PARTNER_CENTER_* variables: defaults per cloud, secrets from files, and secrets never shown."""

import pytest

from partnercenter import PartnerCenterConfig
from partnercenter.config import PartnerCenterConfigError

SECRET = "s3cr3t-Value~with.symbols"
BASE = {
    "PARTNER_CENTER_TENANT_ID": "11111111-2222-3333-4444-555555555555",
    "PARTNER_CENTER_CLIENT_ID": "app-id",
}


def test_an_empty_environment_is_valid_but_not_configured():
    config = PartnerCenterConfig.from_env({})
    assert config.api_url == "https://api.partnercenter.microsoft.com"
    assert config.cloud == "public"
    assert config.authority == ""
    assert not config.is_configured


def test_the_public_cloud_signs_in_at_login_microsoftonline_com():
    config = PartnerCenterConfig.from_env({**BASE, "PARTNER_CENTER_CLIENT_SECRET": SECRET})
    assert config.authority == "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555"
    assert config.is_configured


def test_the_us_government_cloud_signs_in_at_login_microsoftonline_us_and_calls_the_same_api():
    config = PartnerCenterConfig.from_env({**BASE, "PARTNER_CENTER_CLOUD": "USGov"})
    assert config.cloud == "usgov"
    assert config.authority == "https://login.microsoftonline.us/11111111-2222-3333-4444-555555555555"
    assert config.api_url == "https://api.partnercenter.microsoft.com"


def test_an_unknown_cloud_is_an_error_naming_the_variable():
    with pytest.raises(PartnerCenterConfigError, match="PARTNER_CENTER_CLOUD"):
        PartnerCenterConfig.from_env({"PARTNER_CENTER_CLOUD": "china"})


def test_an_explicit_authority_and_api_url_win():
    config = PartnerCenterConfig.from_env(
        {
            **BASE,
            "PARTNER_CENTER_AUTHORITY": "https://127.0.0.1:8443/sandbox-tenant/",
            "PARTNER_CENTER_API_URL": "https://127.0.0.1:8443/",
            "PARTNER_CENTER_CLOUD": "usgov",
        }
    )
    assert config.authority == "https://127.0.0.1:8443/sandbox-tenant"
    assert config.api_url == "https://127.0.0.1:8443"


def test_plain_http_is_refused_except_on_this_machine():
    with pytest.raises(PartnerCenterConfigError, match="PARTNER_CENTER_API_URL"):
        PartnerCenterConfig.from_env({"PARTNER_CENTER_API_URL": "http://partner.example"})
    assert PartnerCenterConfig.from_env(
        {"PARTNER_CENTER_API_URL": "http://127.0.0.1:9000"}
    ).api_url.startswith("http:")


def test_the_secret_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n")
    config = PartnerCenterConfig.from_env({**BASE, "PARTNER_CENTER_CLIENT_SECRET_FILE": str(secret_file)})
    assert config.client_secret == SECRET
    assert config.is_configured


def test_setting_the_secret_twice_is_refused_without_showing_it(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET)
    with pytest.raises(PartnerCenterConfigError, match="not both") as caught:
        PartnerCenterConfig.from_env(
            {
                **BASE,
                "PARTNER_CENTER_CLIENT_SECRET": SECRET,
                "PARTNER_CENTER_CLIENT_SECRET_FILE": str(secret_file),
            }
        )
    assert SECRET not in str(caught.value)


def test_an_unreadable_or_empty_secret_file_is_refused(tmp_path):
    with pytest.raises(PartnerCenterConfigError, match="PARTNER_CENTER_CLIENT_SECRET_FILE"):
        PartnerCenterConfig.from_env({"PARTNER_CENTER_CLIENT_SECRET_FILE": str(tmp_path / "missing")})
    empty = tmp_path / "empty"
    empty.write_text("  \n")
    with pytest.raises(PartnerCenterConfigError, match="is empty"):
        PartnerCenterConfig.from_env({"PARTNER_CENTER_CLIENT_SECRET_FILE": str(empty)})


def test_the_secret_is_not_in_the_repr():
    config = PartnerCenterConfig.from_env({**BASE, "PARTNER_CENTER_CLIENT_SECRET": SECRET})
    assert SECRET not in repr(config)
    assert SECRET not in str(config)
    assert "app-id" in repr(config)


def test_the_extra_ca_must_exist(tmp_path):
    with pytest.raises(PartnerCenterConfigError, match="PARTNER_CENTER_CA_BUNDLE"):
        PartnerCenterConfig.from_env({"PARTNER_CENTER_CA_BUNDLE": str(tmp_path / "nope.pem")})
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    assert PartnerCenterConfig.from_env({"PARTNER_CENTER_CA_BUNDLE": str(ca)}).ca_bundle == str(ca)


def test_built_in_code_the_authority_follows_the_cloud():
    config = PartnerCenterConfig(tenant_id="t", client_id="c", client_secret=SECRET, cloud="usgov")
    assert config.authority == "https://login.microsoftonline.us/t"
    with pytest.raises(PartnerCenterConfigError):
        PartnerCenterConfig(cloud="mars")
