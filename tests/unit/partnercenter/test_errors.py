"""Statuses and Partner Center error bodies become the right typed errors, with a message fit for staff."""

import json

import pytest

from partnercenter import errors
from partnercenter.errors import (
    AppUserRequired,
    BadRequest,
    Conflict,
    DelegatedAccessRefused,
    Forbidden,
    NotFound,
    PartnerCenterError,
    ServerError,
    Throttled,
    Unauthorized,
    error_from_response,
)

from . import samples


def _error(status, body=b"", headers=None, **kwargs):
    return error_from_response(
        status,
        headers or {},
        body,
        method="POST",
        path="/customers/c/carts/k/checkout",
        correlation_id="sent-correlation",
        request_id="sent-request",
        **kwargs,
    )


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, BadRequest, False),
        (401, Unauthorized, False),
        (403, Forbidden, False),
        (404, NotFound, False),
        (409, Conflict, True),
        (429, Throttled, True),
        (500, ServerError, True),
        (503, ServerError, True),
        (412, PartnerCenterError, False),
    ],
)
def test_each_status_maps_to_its_error(status, cls, retryable):
    error = _error(status)
    assert type(error) is cls
    assert error.status == status
    assert error.retryable is retryable


def test_the_documented_error_body_is_parsed():
    error = _error(400, json.dumps(samples.ERROR_BODY).encode())
    assert error.code == "800013"
    assert error.description == "This subscription isn't enabled for RI purchase"
    assert error.data == []
    assert error.code == errors.SUBSCRIPTION_NOT_ENABLED_FOR_RI
    assert "800013" in str(error) and "sent-correlation" in str(error)


def test_the_throttling_body_and_retry_after_are_parsed():
    error = _error(429, json.dumps(samples.THROTTLED_BODY).encode(), {"Retry-After": "57"})
    assert isinstance(error, Throttled)
    assert error.retry_after == 57
    assert error.code == "429"

    without_header = _error(429, json.dumps(samples.THROTTLED_BODY).encode())
    assert without_header.retry_after == 57  # "Try again in 57 seconds."


@pytest.mark.parametrize(
    "body", [b"", b"<html><body>502 Bad Gateway</body></html>", b"not json", b"[1, 2]", b"\xff\xfe"]
)
def test_html_empty_and_foreign_bodies_are_tolerated_and_never_shown(body):
    error = _error(502, body)
    assert isinstance(error, ServerError)
    assert error.code is None and error.description is None
    assert "html" not in error.user_message.lower()


def test_the_echoed_correlation_id_wins_and_duplicated_values_are_read_once():
    error = _error(404, b"", {"MS-CorrelationId": "echoed, echoed", "MS-RequestId": "req"})
    assert error.correlation_id == "echoed"
    assert error.request_id == "req"


def test_a_403_on_an_app_user_only_call_with_an_app_token_asks_for_a_user_sign_in():
    assert isinstance(_error(403, app_user_only=True, delegated=False), AppUserRequired)
    assert type(_error(403, app_user_only=False, delegated=False)) is Forbidden
    assert "sign in" in AppUserRequired().user_message.lower()


def test_a_403_on_an_app_user_only_call_with_the_users_own_token_says_to_sign_in_again_with_mfa():
    error = _error(403, app_user_only=True, delegated=True)
    assert type(error) is DelegatedAccessRefused
    assert not isinstance(error, AppUserRequired)
    assert "multi-factor authentication" in error.user_message


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (409, errors.CART_BUSY, "another request"),
        (400, errors.CART_ALREADY_SUBMITTED, "already checked out"),
        (404, errors.AVAILABILITY_NOT_FOUND, "availability changed"),
        (409, errors.ORDER_IN_PROGRESS, "in progress"),
        (400, errors.SUBSCRIPTION_NOT_REGISTERED, "not registered"),
    ],
)
def test_documented_codes_get_a_message_staff_can_act_on(status, code, words):
    error = _error(status, json.dumps({"code": code, "description": "internal text", "source": "x"}).encode())
    assert words in error.user_message
    assert "internal text" not in error.user_message
    assert "sent-correlation" in error.user_message  # the reference to quote to support


def test_an_error_whose_outcome_is_unknown_says_so_and_is_not_retryable():
    error = _error(502, outcome_unknown=True)
    assert error.outcome_unknown
    assert not error.retryable
    assert "not known whether" in error.user_message


def test_the_code_constants_are_the_documented_ones():
    assert errors.AVAILABILITY_NOT_FOUND == "400019"
    assert errors.CART_BUSY == "800064"
    assert errors.CART_ALREADY_SUBMITTED == "800065"
    assert errors.ORDER_IN_PROGRESS == "800060"
    assert errors.SUBSCRIPTION_NOT_REGISTERED == "800030"
    assert errors.INVENTORY_NOT_AVAILABLE == "800010"
    assert errors.NO_RELATIONSHIP == "20002"


def test_an_arm_style_error_body_is_read_too():
    error = _error(400, json.dumps({"error": {"code": "InvalidInput", "message": "bad"}}).encode())
    assert error.code == "InvalidInput" and error.description == "bad"


def test_a_retry_after_given_as_a_date_is_read_as_seconds():
    assert errors.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past: no wait
    assert errors.parse_retry_after("12") == 12
    assert errors.parse_retry_after("soon") is None
