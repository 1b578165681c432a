"""Collections are followed through their next links, lazily, and stop where the service says."""

import copy

from partnercenter import Operation, customers, invoices
from partnercenter.models import OneTimeInvoiceLineItem
from partnercenter.paging import SeekPaging, iter_items, iter_pages

from . import samples
from .conftest import Reply

LIST_THINGS = Operation("list_things", "GET", "/things")


def _envelope(ids, next_link=None, **extra):
    body = {
        "totalCount": len(ids),
        "items": [{"id": i} for i in ids],
        "attributes": {"objectType": "Collection"},
    }
    body["links"] = {"self": {"uri": "/things", "method": "GET", "headers": []}}
    if next_link:
        body["links"]["next"] = next_link
    body.update(extra)
    return body


def _ids(items):
    return [item["id"] for item in items]


def test_next_links_are_followed_with_their_method_uri_and_headers(server, pc):
    server.on(
        "GET",
        "/v1/things",
        Reply(
            json=_envelope(
                ["a", "b"],
                {
                    "uri": "/v1/things/more?seekOperation=Next",
                    "method": "GET",
                    "headers": [{"key": "MS-ContinuationToken", "value": "tok-1"}],
                },
            )
        ),
    )
    server.on(
        "GET",
        "/v1/things/more",
        Reply(
            json=_envelope(
                ["c"],
                {
                    "uri": "/things/more?seekOperation=Next",
                    "method": "GET",
                    "headers": [{"key": "MS-ContinuationToken", "value": "tok-2"}],
                },
            )
        ),
        Reply(json=_envelope(["d"])),
    )
    items = list(iter_items(iter_pages(pc, LIST_THINGS, dict)))
    assert _ids(items) == ["a", "b", "c", "d"]
    assert [s.url for s in server.seen] == [
        "/v1/things",
        "/v1/things/more?seekOperation=Next",
        "/v1/things/more?seekOperation=Next",
    ]
    assert [s.headers.get("ms-continuationtoken") for s in server.seen] == [None, "tok-1", "tok-2"]


def test_pages_are_fetched_one_at_a_time_as_the_caller_iterates(server, pc):
    server.on(
        "GET",
        "/v1/things",
        Reply(json=_envelope(["a"], {"uri": "/things/2", "method": "GET", "headers": []})),
    )
    server.on("GET", "/v1/things/2", Reply(json=_envelope(["b"])))
    pages = iter_pages(pc, LIST_THINGS, dict)
    assert server.seen == []  # nothing is asked before the first page is wanted
    first = next(pages)
    assert _ids(first.items) == ["a"] and len(server.seen) == 1
    second = next(pages)
    assert _ids(second.items) == ["b"] and len(server.seen) == 2
    assert list(pages) == []


def test_a_page_exposes_its_continuation_token_and_a_listing_resumes_from_it(server, pc):
    first_page = copy.deepcopy(samples.ONE_TIME_LINE_ITEMS)
    server.on("GET", "/v1/invoices/G000123456/lineitems", Reply(json=first_page))
    server.on(
        "GET",
        "/v1/invoices/G000123456/lineitems/OneTime/BillingLineItems",
        Reply(json=dict(first_page, continuationToken=None, links={})),
    )
    pages = invoices.iter_invoice_line_item_pages(pc, "G000123456")
    page = next(pages)
    assert page.continuation_token == "opaque-token-abc123"
    assert isinstance(page.items[0], OneTimeInvoiceLineItem)
    pages.close()  # stop here; a later job resumes with the token

    resumed = list(
        invoices.iter_invoice_line_item_pages(pc, "G000123456", continuation_token=page.continuation_token)
    )
    assert len(resumed) == 1
    assert (
        server.seen[-1].url == "/v1/invoices/G000123456/lineitems/OneTime/BillingLineItems?seekOperation=Next"
    )
    assert server.seen[-1].headers["ms-continuationtoken"] == "opaque-token-abc123"


def test_a_body_continuation_token_without_a_next_link_asks_for_the_next_seek_page(server, pc):
    server.on("GET", "/v1/things", Reply(json=_envelope(["a"], continuationToken="tok-1")))
    server.on("GET", "/v1/things/seek", Reply(json=_envelope(["b"])))
    seek = SeekPaging("/things/seek", {"seekOperation": "Next"})
    assert _ids(iter_items(iter_pages(pc, LIST_THINGS, dict, seek=seek))) == ["a", "b"]
    assert server.seen[1].url == "/v1/things/seek?seekOperation=Next"
    assert server.seen[1].headers["ms-continuationtoken"] == "tok-1"


def test_a_next_link_missing_its_token_header_gets_the_body_token(server, pc):
    # The shape seen for customers: /v1/customers?size=500&seekOperation=Next, token only in the body.
    server.on(
        "GET",
        "/v1/customers",
        Reply(
            json=_envelope(
                ["c1"],
                {"uri": "/v1/customers?size=500&seekOperation=Next", "method": "GET", "headers": []},
                continuationToken="tok-c",
            )
        ),
        Reply(json=_envelope(["c2"])),
    )
    ids = [c.id for c in customers.list_customers(pc, size=500)]
    assert ids == ["c1", "c2"]
    assert server.seen[0].url == "/v1/customers?size=500"
    assert server.seen[1].url == "/v1/customers?size=500&seekOperation=Next"
    assert server.seen[1].headers["ms-continuationtoken"] == "tok-c"


def test_the_listing_stops_without_a_next_link(server, pc):
    server.on("GET", "/v1/things", Reply(json=_envelope(["a", "b"])))
    assert _ids(iter_items(iter_pages(pc, LIST_THINGS, dict))) == ["a", "b"]
    assert len(server.seen) == 1


def test_offset_paging_stops_at_a_short_page_even_with_a_next_link(server, pc):
    server.on(
        "GET",
        "/v1/invoices",
        Reply(
            json=_envelope(["i1", "i2"], {"uri": "/invoices?size=2&offset=2", "method": "GET", "headers": []})
        ),
        Reply(json=_envelope(["i3"], {"uri": "/invoices?size=2&offset=4", "method": "GET", "headers": []})),
    )
    assert [i.id for i in invoices.list_invoices(pc, size=2)] == ["i1", "i2", "i3"]
    assert [s.url for s in server.seen] == ["/v1/invoices?size=2", "/v1/invoices?size=2&offset=2"]


def test_an_empty_page_ends_the_listing(server, pc):
    server.on(
        "GET",
        "/v1/things",
        Reply(json=_envelope([], {"uri": "/things?page=2", "method": "GET", "headers": []})),
    )
    (page,) = iter_pages(pc, LIST_THINGS, dict)
    assert page.items == ()
    assert len(server.seen) == 1


def test_a_next_link_pointing_back_at_the_same_page_does_not_loop(server, pc):
    same = {
        "uri": "/things?page=2",
        "method": "GET",
        "headers": [{"key": "MS-ContinuationToken", "value": "t"}],
    }
    server.on("GET", "/v1/things", Reply(json=_envelope(["a"], same)))
    assert _ids(iter_items(iter_pages(pc, LIST_THINGS, dict))) == ["a", "a"]
    assert len(server.seen) == 2


def test_office_line_items_page_by_offset(server, pc):
    line = {"invoiceLineItemType": "billing_line_items", "billingProvider": "office", "amount": 1}
    next_link = {
        "uri": "/invoices/I1/lineitems?provider=office&invoicelineitemtype=billinglineitems&size=2&offset=2"
    }
    server.on(
        "GET",
        "/v1/invoices/I1/lineitems",
        Reply(json={"totalCount": 2, "items": [line, line], "links": {"next": next_link}}),
        Reply(json={"totalCount": 1, "items": [line], "links": {}}),
    )
    lines = list(invoices.iter_invoice_line_items(pc, "I1", provider="office", size=2))
    assert len(lines) == 3
    assert (
        server.seen[0].url
        == "/v1/invoices/I1/lineitems?provider=office&invoicelineitemtype=billinglineitems&size=2&offset=0"
    )
    assert server.seen[1].url.endswith("size=2&offset=2")
