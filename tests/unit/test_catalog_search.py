"""Searching a catalog mirror: every filter alone and together, words, sorting, pages, and what happens to
values a person (or a probe) can put in the address."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from catalog import search
from catalog.models import AZURE_PLAN_SCOPE, LEGACY_SCOPE, Availability, Mirror, Sku
from tests.catalog_factory import fill_generation, publish, published_mirror

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Facets are cached per mirror and generation; tests reuse mirror ids.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mirror() -> Mirror:
    # 200 availabilities of the US market: every family in US East (and the global ones), then part of
    # US West 2; every SKU for 1 and for 3 years, paid upfront, commercial segment, in US dollars.
    return published_mirror("US", AZURE_PLAN_SCOPE, size=200)


def found(mirror: Mirror, **params: str) -> search.Results:
    return search.search(mirror, search.parse(params, search.facets_for(mirror)))


def every(mirror: Mirror, **params: str) -> list[Availability]:
    """All the matches, across the pages."""
    page = found(mirror, **params)
    rows = list(page.rows)
    while page.has_next:
        page = found(mirror, **params, page=str(page.number + 1))
        rows += page.rows
    return rows


def titles(results: search.Results) -> list[str]:
    return [row.title for row in results.rows]


# --- no filter, pages ------------------------------------------------------------------------------------


def test_without_filters_the_whole_catalog_is_listed_by_name_25_a_page(mirror):
    results = found(mirror)
    assert results.count == 200 and not results.capped
    assert results.pages == 8 and results.number == 1
    assert len(results.rows) == 25
    rows = every(mirror)
    assert len({row.pk for row in rows}) == 200
    names = [row.title for row in rows]
    assert names == sorted(names)


def test_the_second_page_continues_where_the_first_stopped(mirror):
    first, second = found(mirror), found(mirror, page="2")
    assert second.number == 2 and second.has_previous and second.has_next
    assert {r.pk for r in first.rows}.isdisjoint({r.pk for r in second.rows})
    assert titles(first)[-1] <= titles(second)[0]
    assert (second.first_index, second.last_index) == (26, 50)


@pytest.mark.parametrize(
    ("asked", "shown"),
    [("999999999", 8), ("99999999999999999999999", 8), ("-1", 1), ("0", 1), ("abc", 1), ("", 1), ("2.5", 1)],
)
def test_a_page_number_out_of_range_or_malformed_gives_the_nearest_page(mirror, asked, shown):
    results = found(mirror, page=asked)
    assert results.number == shown
    assert len(results.rows) == (25 if shown < 8 else 200 - 7 * 25)


def test_past_a_thousand_matches_the_count_says_more_than_and_pages_go_on_with_next(mirror, monkeypatch):
    # The cap, scaled down to this small catalog.
    monkeypatch.setattr(search, "COUNT_CAP", 50)
    results = found(mirror, page="7")
    assert results.capped and results.shown_count == 50 and results.pages is None
    assert results.number == 7 and results.has_previous and results.has_next
    assert titles(results) == [row.title for row in every(mirror)[150:175]]
    assert len(every(mirror)) == 200
    narrow = found(mirror, family="SqlDatabases")
    assert not narrow.capped and narrow.count < 50 and narrow.pages == 1


def test_past_the_last_match_of_a_broad_search_the_last_page_is_shown(mirror, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 50)
    results = found(mirror, page="99")
    assert results.number == 8 and len(results.rows) == 200 - 7 * 25 and not results.has_next


def test_no_page_past_the_deepest_one_is_offered(mirror, monkeypatch):
    monkeypatch.setattr(search, "COUNT_CAP", 50)
    monkeypatch.setattr(search, "MAX_PAGES", 3)
    results = found(mirror, page="999999999")
    assert results.number == 3 and not results.has_next and len(results.rows) == 25


# --- each filter ----------------------------------------------------------------------------------------


def test_family_keeps_only_that_reservation_family(mirror):
    rows = every(mirror, family="SqlDatabases")
    expected = Sku.objects.filter(mirror=mirror, product_row__family="SqlDatabases").count()
    assert len(rows) == expected > 0
    assert {row.product_title for row in rows} == {"SQL Database"}


def test_series_keeps_only_that_product(mirror):
    dsv5 = Sku.objects.filter(mirror=mirror, arm_sku_name="Standard_D4s_v5").first().product_id
    rows = every(mirror, product=dsv5)
    assert rows and {row.product_title for row in rows} == {"Virtual Machines Dsv5 Series"}
    assert len(rows) == Sku.objects.filter(mirror=mirror, product_id=dsv5).count()


@pytest.mark.parametrize("typed", ["westus2", "WestUS2", "US West 2", "us west 2"])
def test_region_by_its_azure_name_or_the_name_people_read(mirror, typed):
    rows = every(mirror, region=typed)
    assert len(rows) == Sku.objects.filter(mirror=mirror, arm_region_name="westus2").count() > 0
    assert {row.region for row in rows} == {"US West 2"}


@pytest.mark.parametrize("typed", ["Standard_D4s_v5", "standard_d4s_v5", "D4s v5", "d4s_v5"])
def test_size_by_its_azure_name_or_its_display_name(mirror, typed):
    rows = every(mirror, size=typed)
    assert {row.arm_sku_name for row in rows} == {"Standard_D4s_v5"}
    assert len(rows) == 4  # US East and US West 2, 1 and 3 years


def test_cores_exactly(mirror):
    rows = every(mirror, cores="16")
    assert rows and {row.cores for row in rows} == {16}


def test_cores_between_a_minimum_and_a_maximum(mirror):
    rows = every(mirror, cores_min="8", cores_max="16")
    assert rows and {row.cores for row in rows} == {8, 16}
    assert {row.cores for row in every(mirror, cores_min="48")} == {48, 64, 72}
    assert {row.cores for row in every(mirror, cores_max="1")} == {1}


def test_a_minimum_above_the_maximum_is_read_the_other_way_round(mirror):
    assert [r.pk for r in every(mirror, cores_min="16", cores_max="8")] == [
        r.pk for r in every(mirror, cores_min="8", cores_max="16")
    ]


def test_memory_between_a_minimum_and_a_maximum_in_gigabytes(mirror):
    rows = every(mirror, ram_min="100", ram_max="128")
    assert rows and {row.ram_gb for row in rows} == {Decimal("110"), Decimal("128")}
    assert {row.ram_gb for row in every(mirror, ram_max="1,5")} == {Decimal("1")}  # a decimal comma too


@pytest.mark.parametrize(("years", "months"), [("1", 12), ("3", 36)])
def test_term_in_years(mirror, years, months):
    rows = every(mirror, term=years)
    assert len(rows) == 100 and {row.term_months for row in rows} == {months}


def test_billing_plan_and_segment(mirror):
    ncas = Availability.objects.filter(mirror=mirror, arm_sku_name__startswith="Standard_NC")
    ncas.update(billing_plan="monthly", segment="education")
    expected = {row.pk for row in ncas}
    assert {row.pk for row in every(mirror, billing_plan="monthly")} == expected
    assert {row.pk for row in every(mirror, segment="education")} == expected
    assert len(every(mirror, billing_plan="one_time", segment="commercial")) == 200 - len(expected)


def test_filters_combine(mirror):
    rows = every(mirror, family="VirtualMachines", region="westus2", cores_min="8", term="3", q="series")
    assert rows
    for row in rows:
        assert row.family == "VirtualMachines" and row.arm_region_name == "westus2"
        assert row.cores >= 8 and row.term_months == 36
    everything_else = (
        Availability.objects.filter(mirror=mirror, family="VirtualMachines", arm_region_name="westus2")
        .filter(cores__gte=8, term_months=36)
        .count()
    )
    assert len(rows) == everything_else


def test_a_filter_that_matches_nothing_gives_an_empty_page_not_an_error(mirror):
    results = found(mirror, family="CosmosDb", region="westus2")  # Cosmos DB is global
    assert results.count == 0 and results.rows == [] and results.pages == 1


# --- words ----------------------------------------------------------------------------------------------


def test_every_word_must_appear_in_any_order_and_any_case(mirror):
    rows = every(mirror, q="d4s east 3 years")
    assert [row.title for row in rows] == ["Reserved VM Instance, Standard_D4s_v5, US East, 3 Years"]
    assert [row.pk for row in every(mirror, q="YEARS 3 East D4S")] == [rows[0].pk]


def test_words_match_the_series_the_region_and_the_ids(mirror):
    assert {row.product_title for row in every(mirror, q="esv5")} == {"Virtual Machines Esv5 Series"}
    assert {row.region for row in every(mirror, q="westus2")} == {"US West 2"}
    sku = Sku.objects.filter(mirror=mirror, arm_sku_name="Standard_B1s").first()
    assert {row.sku_id for row in every(mirror, q=sku.product_id.lower())} >= {sku.sku_id}


def test_only_the_first_eight_words_count(mirror):
    eight = "reserved vm instance standard_d4s_v5 us east 3 years"
    assert len(every(mirror, q=eight)) == 1
    assert len(every(mirror, q=eight + " nothing-like-this")) == 1


@pytest.mark.parametrize("q", ["' OR 1=1 --", '" OR ""="', "1; DROP TABLE catalog_availability", "%", "%%"])
def test_sql_in_the_search_is_just_text_that_matches_nothing(mirror, q):
    assert found(mirror, q=q).count == 0
    assert Availability.objects.filter(mirror=mirror).count() == 200  # and the table is still there


def test_percent_and_underscore_match_themselves(mirror):
    row = Availability.objects.filter(mirror=mirror).order_by("id").first()
    Availability.objects.filter(pk=row.pk).update(search_text=row.search_text + " 100%_natural")
    assert [r.pk for r in every(mirror, q="%")] == [row.pk]
    assert [r.pk for r in every(mirror, q="0%_n")] == [row.pk]
    with_underscore = {r.pk for r in Availability.objects.filter(mirror=mirror) if "_" in r.search_text}
    assert {r.pk for r in every(mirror, q="_")} == with_underscore
    assert 0 < len(with_underscore) < 200  # SQL Database names have one, App Service ones do not


def test_a_very_long_or_strange_search_is_cut_down_and_answered(mirror):
    assert found(mirror, q="d4s " * 5000).count == 4
    assert len(search.parse({"q": "x" * 10_000}, search.Facets()).q) == search.MAX_QUERY_LENGTH
    assert found(mirror, q="d4s\x00east").count == 2  # a NUL is a space, not a database error
    assert found(mirror, q="   ").count == 200


# --- sorting --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "column"),
    [
        ("cores", "cores"),
        ("memory", "ram_gb"),
        ("region", "region"),
        ("term", "term_months"),
        ("name", "title"),
    ],
)
@pytest.mark.parametrize("cap", [search.COUNT_CAP, 0], ids=["few-matches", "many-matches"])
def test_each_sort_in_both_directions_with_unknown_values_last(mirror, monkeypatch, sort, column, cap):
    monkeypatch.setattr(search, "COUNT_CAP", cap)
    for descending in (False, True):
        rows = every(mirror, sort=("-" if descending else "") + sort)
        assert len(rows) == 200
        values = [getattr(row, column) for row in rows]
        known = [v for v in values if v is not None]
        assert values[: len(known)] == known  # rows without a value (e.g. no cores) come last either way
        assert known == sorted(known, reverse=descending)


def test_ties_keep_one_order_so_pages_never_overlap(mirror):
    rows = every(mirror, sort="-cores")
    assert len({row.pk for row in rows}) == 200
    sixteen = [row.pk for row in rows if row.cores == 16]
    assert sixteen == sorted(sixteen, reverse=True)
    assert [row.pk for row in every(mirror, sort="-cores")] == [row.pk for row in rows]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "name", "region": "eastus"},
        {"sort": "-cores", "region": "eastus"},
        {"sort": "memory", "region": "eastus"},
        {"sort": "-term", "region": "eastus"},
        {"sort": "region"},
        {"cores_min": "8", "cores_max": "16"},
        {"ram_min": "16", "sort": "-cores"},
        {"cores_min": "4", "sort": "cores"},
        {"ram_max": "32", "sort": "-memory"},
    ],
)
def test_a_search_with_few_matches_is_ordered_like_one_with_many(mirror, monkeypatch, params):
    # Up to COUNT_CAP matches are paged from their ids, more through the sort's index: the same rows in the
    # same order either way.
    few = [row.pk for row in every(mirror, **params)]
    monkeypatch.setattr(search, "COUNT_CAP", 0)
    assert [row.pk for row in every(mirror, **params)] == few
    assert few


# --- values that cannot be used -------------------------------------------------------------------------


def test_unknown_values_are_left_out_and_said_so(mirror):
    filters = search.parse(
        {
            "family": "Nope",
            "product": "NOSUCHPRODUCT",
            "region": "<script>alert(1)</script>",
            "cores": "abc",
            "cores_min": "-4",
            "ram_max": "NaN",
            "term": "7",
            "billing_plan": "weekly",
            "segment": "pirates",
            "sort": "password",
        },
        search.facets_for(mirror),
    )
    assert filters == search.Filters()  # nothing of it is used
    notes = " ".join(filters.notes)
    for value in ("Nope", "NOSUCHPRODUCT", "<script>alert(1)</script>", "abc", "-4", "NaN", "7", "weekly"):
        assert f"“{value}”" in notes
    assert "pirates" in notes and "password" not in notes  # a bad sort quietly falls back to names
    assert search.search(mirror, filters).count == 200


def test_values_are_length_limited(mirror):
    filters = search.parse({"size": "D" * 5000, "family": "V" * 5000}, search.facets_for(mirror))
    assert len(filters.size) == search.MAX_VALUE_LENGTH and filters.family == ""
    assert all(len(note) < 400 for note in filters.notes)


def test_the_filters_round_trip_through_the_address(mirror):
    asked = {
        "q": "d4s",
        "region": "eastus",
        "cores_min": "2",
        "ram_max": "16.5",
        "term": "3",
        "sort": "-cores",
    }
    filters = search.parse(asked, search.facets_for(mirror))
    assert filters.params() == asked
    assert search.parse(filters.params(page=3), search.facets_for(mirror)).page == 3


# --- what is published, and the choice lists ------------------------------------------------------------


def test_only_the_published_generation_is_searched(mirror):
    fill_generation(mirror, 2, size=50)
    Availability.objects.filter(mirror=mirror, generation=2).update(search_text="next generation")
    assert found(mirror).count == 200
    assert found(mirror, q="next generation").count == 0
    publish(mirror, 2)
    assert found(mirror).count == 50
    assert found(mirror, q="next generation").count == 50


def test_another_market_or_scope_is_not_searched(mirror):
    legacy = published_mirror("US", LEGACY_SCOPE, size=30)
    assert found(legacy).count == 30 and found(mirror).count == 200
    assert {row.availability_id for row in every(legacy)}.isdisjoint(
        {row.availability_id for row in every(mirror)}
    )


def test_the_choice_lists_come_from_the_published_catalog(mirror):
    facets = search.facets_for(mirror)
    assert [c.label for c in facets.family_choices()] == [
        "App Service",
        "Azure Cache for Redis",
        "Azure Cosmos DB",
        "Azure Databricks",
        "SQL Database",
        "Storage",
        "Virtual machines",
    ]
    assert [(c.value, c.label) for c in facets.region_choices()] == [
        ("global", "Global"),
        ("eastus", "US East"),
        ("westus2", "US West 2"),
    ]
    assert [(c.value, c.label) for c in facets.term_choices()] == [("1", "1 year"), ("3", "3 years")]
    assert [(c.value, c.label) for c in facets.billing_plan_choices()] == [("one_time", "Upfront")]
    assert [(c.value, c.label) for c in facets.segment_choices()] == [("commercial", "Commercial")]
    groups = dict(facets.product_groups())
    assert "Virtual Machines Dsv5 Series" in [c.label for c in groups["Virtual machines"]]


def test_the_choice_lists_are_cached_until_the_generation_changes(mirror, django_assert_num_queries):
    search.facets_for(mirror)
    with django_assert_num_queries(0):
        search.facets_for(mirror)
    fill_generation(mirror, 2, size=2)
    publish(mirror, 2)
    assert [c.value for c in search.facets_for(mirror).region_choices()] == ["eastus"]


def test_a_mirror_never_synced_has_nothing_to_search():
    empty = Mirror.objects.create(country="GB", scope=AZURE_PLAN_SCOPE)
    assert search.facets_for(empty) == search.Facets()
    assert found(empty).count == 0


# --- labels ---------------------------------------------------------------------------------------------


def test_families_billing_plans_and_terms_have_readable_names():
    assert search.family_label("VirtualMachines") == "Virtual machines"
    assert search.family_label("SqlDatabases") == "SQL Database"
    assert search.family_label("CosmosDb") == "Azure Cosmos DB"
    assert search.family_label("HyperComputeCluster") == "Hyper Compute Cluster"  # not known here
    assert search.family_label("HPCCache") == "HPC Cache"
    assert search.billing_plan_label("one_time") == "Upfront"
    assert search.billing_plan_label("monthly") == "Monthly"
    assert search.billing_plan_label("every_other_tuesday") == "Every other tuesday"
    assert [search.term_label(m) for m in (12, 36, 1, None)] == ["1 year", "3 years", "1 month", "—"]


def test_prerequisites_in_plain_words_and_unknown_ones_as_sent():
    assert (
        search.prerequisite_label("AzureSubscriptionRegistration")
        == "The subscription must be registered for reservation purchases"
    )
    assert search.prerequisite_label("InventoryCheck") == "Check inventory before buying"
    assert search.prerequisite_label("QuantumEntanglement") == "QuantumEntanglement"


# --- SQLite's trigram index -----------------------------------------------------------------------------


def test_on_sqlite_words_are_looked_up_in_the_trigram_index_with_the_rows_of_the_like(mirror, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("the trigram FTS5 index is SQLite's (PostgreSQL has pg_trgm)")
    if not search.fts_available(connection.alias):
        pytest.skip("this SQLite has no FTS5 trigram tokenizer: the LIKE alone answers")
    rows = list(Availability.objects.filter(mirror=mirror).order_by("id")[:3])
    # Changed after the insert: the update trigger must re-index the rows.
    for row, extra in zip(rows, (" 100%_natural", " o'brien's \"quoted\"", " d_s d%s"), strict=True):
        Availability.objects.filter(pk=row.pk).update(search_text=row.search_text + extra)
    # And a deleted row must leave the index.
    Availability.objects.filter(pk=Availability.objects.filter(mirror=mirror).order_by("-id")[0].pk).delete()
    queries = [
        "0%_n", "100%", "%_n", "o'brien's", "'br", '"quoted"', "d_s", "d%s", "d4", "D4S", "EAST us 3 Years",
        "ürün", "esv5 westus2", "no-such-size", "_na", "nat ural", "' OR 1=1 --",
    ]  # fmt: skip
    by_index = {}
    with CaptureQueriesContext(connection) as captured:
        for q in queries:
            by_index[q] = [r.pk for r in every(mirror, q=q)]
        by_index["size"] = [r.pk for r in every(mirror, size="Standard_D4s_v5")]
    assert any("catalog_availability_fts" in query["sql"] for query in captured.captured_queries)
    monkeypatch.setattr(search, "fts_available", lambda alias: False)
    with CaptureQueriesContext(connection) as captured:
        for q in queries:
            assert [r.pk for r in every(mirror, q=q)] == by_index[q], q
        assert [r.pk for r in every(mirror, size="Standard_D4s_v5")] == by_index["size"]
    assert not any("catalog_availability_fts" in query["sql"] for query in captured.captured_queries)
    assert by_index["0%_n"] == by_index["100%"] == [rows[0].pk]
    assert by_index["o'brien's"] == by_index['"quoted"'] == [rows[1].pk]
    assert by_index["d_s"] == by_index["d%s"] == [rows[2].pk]  # literally, not as wildcards
    assert by_index["D4S"] and by_index["EAST us 3 Years"] and by_index["d4"]
    assert by_index["no-such-size"] == by_index["' OR 1=1 --"] == []


# --- PostgreSQL's trigram index -------------------------------------------------------------------------


def test_on_postgresql_only_the_rare_words_are_looked_up_in_the_trigram_index(mirror, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the choice of words is for PostgreSQL's pg_trgm index (SQLite has FTS5)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_availability")  # the planner's estimates, as a live table has them
    queries = ["reserved d4s", "series east 3 years", "instance standard_d4s_v5 us east", "virtual 100% esv5"]
    with CaptureQueriesContext(connection) as captured:
        chosen = {q: [r.pk for r in every(mirror, q=q)] for q in queries}
    probes = [query["sql"] for query in captured.captured_queries if "LIMIT 1001" in query["sql"]]
    # "reserved" is in every row: the rows "d4s" finds are checked for it, without the index.
    assert any("STRPOS" in sql and "'%d4s%'" in sql and "'%reserved%'" not in sql for sql in probes)
    monkeypatch.setattr(search, "_indexed_words", lambda mirror, filters: None)
    for q in queries:
        assert [r.pk for r in every(mirror, q=q)] == chosen[q], q
    assert chosen["reserved d4s"] and chosen["series east 3 years"]
