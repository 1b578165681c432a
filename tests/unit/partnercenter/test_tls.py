"""The extra CA is trusted even where REQUESTS_CA_BUNDLE points at a bundle that lacks it."""

from pathlib import Path

import pytest
import requests

from partnercenter import Operation, PartnerCenterConfig, Transport, TransportError
from partnercenter.config import PartnerCenterConfigError
from partnercenter.tls import PinnedSession, verify_for

from .conftest import FakeServer, Reply

PING = Operation("ping", "GET", "/ping")


def test_the_trap_is_real_a_session_verify_loses_to_requests_ca_bundle(
    https_server, machine_bundle, sandbox_ca_file
):
    # Why tls.py exists: this is what a plain Session does on a machine with REQUESTS_CA_BUNDLE set.
    https_server.on("GET", "/ping", Reply(json={}))
    session = requests.Session()
    session.verify = str(sandbox_ca_file)
    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"{https_server.url}/ping", timeout=5)


def test_the_transport_trusts_the_extra_ca_despite_requests_ca_bundle(
    https_server, machine_bundle, sandbox_ca_file
):
    https_server.on("GET", "/v1/ping", Reply(json={"pong": True}))
    config = PartnerCenterConfig(api_url=https_server.url, ca_bundle=str(sandbox_ca_file))
    with Transport.from_config(config, token=lambda: "t") as pc:
        assert pc.request(PING).data == {"pong": True}


def test_the_pinned_session_used_by_msal_trusts_it_too(https_server, machine_bundle, sandbox_ca_file):
    https_server.on("GET", "/ping", Reply(json={}))
    session = PinnedSession(verify_for(str(sandbox_ca_file)))
    assert session.get(f"{https_server.url}/ping").status_code == 200
    assert session.post(f"{https_server.url}/ping", data={"a": "b"}).status_code == 501  # reached, unscripted


def test_the_merged_bundle_keeps_trusting_what_the_machine_trusts(
    tmp_path, https_server, machine_bundle, machine_ca, sandbox_ca_file
):
    # A server signed by the machine's CA (think: the real Partner Center) must stay reachable.
    machine_signed = FakeServer(tls=machine_ca.server_context(tmp_path, "machine"))
    try:
        machine_signed.on("GET", "/v1/ping", Reply(json={"from": "machine"}))
        https_server.on("GET", "/v1/ping", Reply(json={"from": "sandbox"}))
        verify = verify_for(str(sandbox_ca_file))
        for url, expected in ((machine_signed.url, "machine"), (https_server.url, "sandbox")):
            with Transport(url, token=lambda: "t", verify=verify) as pc:
                assert pc.request(PING).data == {"from": expected}
    finally:
        machine_signed.close()


def test_without_the_extra_ca_the_sandbox_is_refused(https_server, machine_bundle):
    https_server.on("GET", "/v1/ping", Reply(json={}))
    with (
        Transport(https_server.url, token=lambda: "t") as pc,
        pytest.raises(TransportError, match="TLS") as caught,
    ):
        pc.request(PING)
    assert not caught.value.retryable
    assert len(https_server.seen) == 0


def test_the_merged_bundle_is_written_once(machine_bundle, sandbox_ca_file):
    first = verify_for(str(sandbox_ca_file))
    assert verify_for(str(sandbox_ca_file)) == first
    content = Path(first).read_text()
    assert machine_bundle.read_text().strip() in content
    assert sandbox_ca_file.read_text().strip() in content


def test_no_extra_ca_means_the_default_trust(machine_bundle):
    assert verify_for(None) is True


def test_an_extra_ca_file_without_a_certificate_is_refused(tmp_path, machine_bundle):
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("hello")
    with pytest.raises(PartnerCenterConfigError, match="PARTNER_CENTER_CA_BUNDLE"):
        verify_for(str(bogus))
