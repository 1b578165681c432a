"""Searching a catalog mirror: the browse filters read from the query string, their choice lists, and the
search itself, over the published generation of one mirror only.

Everything a person can put in the address is untrusted: each filter is parsed into a typed value, checked
against what the catalog holds, and a value that cannot be used is dropped with a plain note rather than
failing the page. Text is matched word by word with the ORM's LIKE lookups, which escape `%` and `_`; on
SQLite the words are first looked up in a trigram full-text index (migration 0004), as a query parameter, and
on PostgreSQL only the rarer words go to its trigram index (migration 0002). No SQL is built from strings
here.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connections
from django.db.models import F, OrderBy, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog.models import Availability, Mirror, Product

PAGE_SIZE = 25
# Up to this many matches a search is counted exactly, and paged from their ids. Past it the page says
# "more than 1,000" and pages on with "Next" without counting further: counting every match of a broad
# search over a large market costs more than the page itself, and nobody reads that far; they narrow the
# filters.
COUNT_CAP = 1000
# The deepest page offered (10,000 rows in), so that no address makes the database skip further.
MAX_PAGES = 400
# Words past this many add nothing a person would type, only work for the database.
MAX_WORDS = 8
MAX_QUERY_LENGTH = 200
MAX_WORD_LENGTH = 100
MAX_VALUE_LENGTH = 120
# Facets change only with the published generation; this only bounds how long a stale entry can live.
FACETS_TIMEOUT = 6 * 3600

# The query-string names of the filters, in the order links carry them.
FILTER_NAMES = (
    "q",
    "family",
    "product",
    "region",
    "size",
    "cores",
    "cores_min",
    "cores_max",
    "ram_min",
    "ram_max",
    "term",
    "billing_plan",
    "segment",
)

# The trigram index of search_text on SQLite, and the triggers that keep it in step (migration 0004).
FTS_TABLE = "catalog_availability_fts"
FTS_OBJECTS = (FTS_TABLE, f"{FTS_TABLE}_insert", f"{FTS_TABLE}_delete", f"{FTS_TABLE}_update")
# Trigram lookups need three characters; shorter words keep the plain LIKE.
FTS_MIN_LENGTH = 3
# Whether the index is there, per database (alias and name: tests and benchmarks swap the name).
_fts_ready: dict[tuple[str, str], bool] = {}
# On PostgreSQL, a word that more than this share of the catalog holds ("series", "years") is left to the
# rows the other words' trigram lookups find: see `_indexed_words`.
COMMON_WORD_SHARE = 0.1

# --- human labels -----------------------------------------------------------------------------------------

# productType.subType ids of reservation products (Partner Center's own spellings).
FAMILY_LABELS = {
    "VirtualMachines": gettext_lazy("Virtual machines"),
    "SqlDatabases": gettext_lazy("SQL Database"),
    "CosmosDb": gettext_lazy("Azure Cosmos DB"),
    "AppService": gettext_lazy("App Service"),
    "Storage": gettext_lazy("Storage"),
    "Databricks": gettext_lazy("Azure Databricks"),
    "RedisCache": gettext_lazy("Azure Cache for Redis"),
    "SqlDataWarehouse": gettext_lazy("Azure Synapse Analytics"),
    "SuseLinux": gettext_lazy("SUSE Linux"),
    "RedHat": gettext_lazy("Red Hat"),
    "ManagedDisk": gettext_lazy("Managed disks"),
    "AzureFiles": gettext_lazy("Azure Files"),
    "DataFactory": gettext_lazy("Azure Data Factory"),
    "MySql": gettext_lazy("Azure Database for MySQL"),
    "PostgreSql": gettext_lazy("Azure Database for PostgreSQL"),
    "MariaDb": gettext_lazy("Azure Database for MariaDB"),
    "VMwareCloudSimple": gettext_lazy("Azure VMware Solution"),
    "DedicatedHost": gettext_lazy("Azure Dedicated Host"),
}
BILLING_PLAN_LABELS = {
    "one_time": gettext_lazy("Upfront"),
    "monthly": gettext_lazy("Monthly"),
    "annual": gettext_lazy("Annual"),
}
SEGMENT_LABELS = {
    "commercial": gettext_lazy("Commercial"),
    "education": gettext_lazy("Education"),
    "government": gettext_lazy("Government"),
    "nonprofit": gettext_lazy("Nonprofit"),
}
PREREQUISITE_LABELS = {
    "azuresubscriptionregistration": gettext_lazy(
        "The subscription must be registered for reservation purchases"
    ),
    "inventorycheck": gettext_lazy("Check inventory before buying"),
    "microsoftcloudagreement": gettext_lazy(
        "The customer must have accepted the Microsoft Customer Agreement"
    ),
}

_CAMEL_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def readable(identifier: str) -> str:
    """A readable fallback for an identifier nobody translated: "SqlDataWarehouse" -> "Sql Data Warehouse",
    "pay_as_you_go" -> "Pay as you go"."""
    words = _CAMEL_WORD.sub(" ", identifier.replace("_", " ").replace("-", " ")).split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def family_label(family: str) -> str:
    return str(FAMILY_LABELS[family]) if family in FAMILY_LABELS else readable(family)


def billing_plan_label(plan: str) -> str:
    return str(BILLING_PLAN_LABELS[plan]) if plan in BILLING_PLAN_LABELS else readable(plan)


def segment_label(segment: str) -> str:
    key = segment.lower()
    return str(SEGMENT_LABELS[key]) if key in SEGMENT_LABELS else readable(segment)


def term_label(months: int | None) -> str:
    """12 -> "1 year", 36 -> "3 years", 1 -> "1 month"; "—" for an unknown term."""
    if not months:
        return "—"
    if months % 12 == 0:
        years = months // 12
        return ngettext("%(count)d year", "%(count)d years", years) % {"count": years}
    return ngettext("%(count)d month", "%(count)d months", months) % {"count": months}


def prerequisite_label(prerequisite: str) -> str:
    """A purchase prerequisite in plain words; an unknown one is shown as Partner Center sent it."""
    label = PREREQUISITE_LABELS.get(prerequisite.lower())
    return str(label) if label else prerequisite


# --- facets -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Facets:
    """The values the published generation holds, for the filters' choice lists (raw, labelled on use)."""

    families: tuple[str, ...] = ()
    products: tuple[tuple[str, str, str], ...] = ()  # (product id, title, family), by title
    regions: tuple[tuple[str, str], ...] = ()  # (arm region name, display name), by display name
    term_months: tuple[int, ...] = ()
    billing_plans: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()

    def family_choices(self) -> list[Choice]:
        return sorted((Choice(f, family_label(f)) for f in self.families), key=lambda c: c.label.lower())

    def product_groups(self) -> list[tuple[str, list[Choice]]]:
        """Series grouped by family label, for <optgroup>s."""
        families = {family for _id, _title, family in self.products}
        labels = {family: family_label(family) if family else _("Other") for family in families}
        groups: dict[str, list[Choice]] = {}
        for product_id, title, family in self.products:
            groups.setdefault(labels[family], []).append(Choice(product_id, title))
        return sorted(groups.items(), key=lambda item: item[0].lower())

    def region_choices(self) -> list[Choice]:
        return [Choice(arm, display or arm) for arm, display in self.regions]

    def term_choices(self) -> list[Choice]:
        # The address names a term in whole years ("term=3"), as staff speak of reservations.
        return [Choice(str(m // 12), term_label(m)) for m in self.term_months if m % 12 == 0]

    def billing_plan_choices(self) -> list[Choice]:
        return [Choice(p, billing_plan_label(p)) for p in self.billing_plans]

    def segment_choices(self) -> list[Choice]:
        return [Choice(s, segment_label(s)) for s in self.segments]


def _facets_key(mirror: Mirror) -> str:
    # A refresh rewrites the published generation product by product without changing its number, so
    # while one runs, and once it has finished, the key moves on with its progress.
    stamp = mirror.synced_at.timestamp() if mirror.synced_at else 0
    refreshing = mirror.sync_products_done if mirror.sync_kind == Mirror.SyncKind.REFRESH else 0
    return f"catalog:facets:{mirror.pk}:{mirror.generation}:{stamp}:{refreshing}"


def read_facets(mirror: Mirror) -> Facets:
    """Read the choice lists from the database (one pass over the published availabilities)."""
    published = {"mirror": mirror, "generation": mirror.generation}
    products = tuple(
        (product_id, title, family)
        for product_id, title, family in Product.objects.filter(**published)
        .order_by("title", "product_id")
        .values_list("product_id", "title", "family")
    )
    combos = list(
        Availability.objects.filter(**published)
        .order_by()
        .values_list("arm_region_name", "region", "term_months", "billing_plan", "segment")
        .distinct()
    )
    regions = {arm: display for arm, display, *_rest in combos if arm}
    return Facets(
        families=tuple(sorted({family for _id, _title, family in products if family})),
        products=products,
        regions=tuple(sorted(regions.items(), key=lambda item: ((item[1] or item[0]).lower(), item[0]))),
        term_months=tuple(sorted({row[2] for row in combos if row[2]})),
        billing_plans=tuple(sorted({row[3] for row in combos if row[3]})),
        segments=tuple(sorted({row[4] for row in combos if row[4]})),
    )


def facets_for(mirror: Mirror) -> Facets:
    """The choice lists of the mirror's published generation, cached until that generation changes."""
    if not mirror.is_ready:
        return Facets()
    key = _facets_key(mirror)
    found = cache.get(key)
    if isinstance(found, Facets):
        return found
    found = read_facets(mirror)
    cache.set(key, found, FACETS_TIMEOUT)
    return found


# --- filters ----------------------------------------------------------------------------------------------

# Sort columns a row may leave empty (a Cosmos DB reservation has no cores).
NULLABLE_COLUMNS = frozenset({"cores", "ram_gb", "term_months"})


class Sort:
    """Sort keys a person may pick; "-" before one reverses it."""

    NAME = "name"
    CORES = "cores"
    MEMORY = "memory"
    REGION = "region"
    TERM = "term"

    DEFAULT = NAME
    COLUMNS = {NAME: "title", CORES: "cores", MEMORY: "ram_gb", REGION: "region", TERM: "term_months"}
    LABELS = {
        NAME: (gettext_lazy("Name, A to Z"), gettext_lazy("Name, Z to A")),
        CORES: (gettext_lazy("Cores, fewest first"), gettext_lazy("Cores, most first")),
        MEMORY: (gettext_lazy("Memory, least first"), gettext_lazy("Memory, most first")),
        REGION: (gettext_lazy("Region, A to Z"), gettext_lazy("Region, Z to A")),
        TERM: (gettext_lazy("Term, shortest first"), gettext_lazy("Term, longest first")),
    }

    @classmethod
    def choice_values(cls) -> set[str]:
        return {key for key in cls.COLUMNS} | {"-" + key for key in cls.COLUMNS}

    @classmethod
    def choices(cls) -> list[Choice]:
        return [
            Choice(("-" if descending else "") + key, str(labels[descending]))
            for key, labels in cls.LABELS.items()
            for descending in (False, True)
        ]


@dataclass(frozen=True)
class Filters:
    """The browse filters as typed values: None (or "") means "not filtered"."""

    q: str = ""
    family: str = ""
    product: str = ""
    region: str = ""
    size: str = ""
    cores: int | None = None
    cores_min: int | None = None
    cores_max: int | None = None
    ram_min: Decimal | None = None
    ram_max: Decimal | None = None
    term: int | None = None  # in years, as the address says it
    billing_plan: str = ""
    segment: str = ""
    sort: str = Sort.DEFAULT  # a key of Sort.COLUMNS, "-" first for descending
    page: int = 1
    # Plain-words notes on values that could not be used (shown above the results).
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def words(self) -> list[str]:
        return [word[:MAX_WORD_LENGTH] for word in self.q.lower().split()[:MAX_WORDS]]

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def params(self, **changes: Any) -> dict[str, str]:
        """The filters as query-string values (only those set), with `changes` applied."""
        values = replace(self, **changes) if changes else self
        out: dict[str, str] = {}
        for name in FILTER_NAMES:
            value = getattr(values, name)
            if value is not None and value != "":
                out[name] = _plain(value)
        if values.sort != Sort.DEFAULT:
            out["sort"] = values.sort
        if values.page != 1:
            out["page"] = str(values.page)
        return out

    def query(self, **changes: Any) -> str:
        """The filters as a query string, e.g. for the pagination and sort links."""
        return urlencode(self.params(**changes))

    def filter(
        self,
        rows: QuerySet[Availability],
        *,
        ranges_by_index: bool = True,
        words_by_index: bool = True,
        indexed_words: Collection[str] | None = None,
    ) -> QuerySet[Availability]:
        """Keep the rows the filters match. `ranges_by_index=False` words the ranges of cores and memory
        so that no index answers them (unless the rows are sorted on that column), `words_by_index=False`
        leaves SQLite's trigram index out of the words, and `indexed_words`, when given, words the others
        so that PostgreSQL's trigram index does not look them up: see `search`."""
        for n, word in enumerate(self.words):
            if indexed_words is None or word in indexed_words:
                # search_text is lower-case, so a plain LIKE does (and stays index-friendly on PostgreSQL,
                # where icontains would wrap the column in UPPER()); Django escapes % and _ in the word.
                rows = rows.filter(search_text__contains=word)
            else:
                # The same question (is the word in the text?), which no index answers.
                at = f"word_{n}_at"
                rows = rows.alias(**{at: StrIndex("search_text", Value(word))}).filter(**{f"{at}__gt": 0})
        if words_by_index:
            rows = _narrowed_by_fts(rows, [*self.words, self.size.lower()])
        exact = {
            "family": self.family,
            "product_id": self.product,
            "arm_region_name": self.region,
            "billing_plan": self.billing_plan,
            "segment": self.segment,
        }
        rows = rows.filter(**{column: value for column, value in exact.items() if value})
        if self.size:
            spaced = self.size.replace("_", " ")
            # The size is among the searched words too: matching it there first lets PostgreSQL's trigram
            # index find the few candidates, which the exact comparisons then confirm.
            rows = rows.filter(search_text__contains=self.size.lower()).filter(
                Q(arm_sku_name__iexact=self.size)
                | Q(arm_sku_name__iexact="Standard_" + self.size.replace(" ", "_"))
                | Q(size_name__iexact=self.size)
                | Q(size_name__iexact=spaced)
            )
        exact_cores = self.cores is not None
        if exact_cores:
            rows = rows.filter(cores=self.cores)
        ranges = (
            ("cores", None if exact_cores else self.cores_min, None if exact_cores else self.cores_max),
            ("ram_gb", self.ram_min, self.ram_max),
        )
        for column, low, high in ranges:
            if low is None and high is None:
                continue
            # `column + 0` compares the same values, but no index can answer it.
            indexed = ranges_by_index or column == self.sort_column
            rows = rows.alias(**{f"{column}_value": F(column) if indexed else F(column) + 0})
            if low is not None:
                rows = rows.filter(**{f"{column}_value__gte": low})
            if high is not None:
                rows = rows.filter(**{f"{column}_value__lte": high})
        if self.term is not None:
            rows = rows.filter(term_months=self.term * 12)
        return rows

    @property
    def sort_column(self) -> str:
        return Sort.COLUMNS.get(self.sort_key, Sort.COLUMNS[Sort.DEFAULT])

    def ordering(self) -> list[OrderBy]:
        # Ties go by row id in the same direction: two pages never overlap, and a page is one walk along
        # an index (mirror, generation, column), whose entries are in id order within equal values.
        if self.descending:
            return [F(self.sort_column).desc(), F("id").desc()]
        return [F(self.sort_column).asc(), F("id").asc()]


def fts_available(alias: str) -> bool:
    """Whether the database behind `alias` is SQLite with the trigram index and its triggers (migration
    0004 skips them where SQLite lacks FTS5 or the trigram tokenizer). Looked up once per process."""
    connection = connections[alias]
    if connection.vendor != "sqlite":
        return False
    key = (alias, str(connection.settings_dict["NAME"]))
    if key not in _fts_ready:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE name IN (%s, %s, %s, %s)", list(FTS_OBJECTS)
            )
            # Without its triggers (a table rebuilt by a later migration drops them) the index would go
            # stale and hide rows: then the LIKE alone answers.
            _fts_ready[key] = cursor.fetchone()[0] == len(FTS_OBJECTS)
    return _fts_ready[key]


def _fts_phrase(word: str) -> str:
    # An FTS5 string: inside double quotes (doubled when in the word) every character is literal, `%`, `_`,
    # `*`, `'` and operators alike, and the trigram tokenizer matches it as a substring.
    return '"' + word.replace('"', '""') + '"'


def _narrowed_by_fts(rows: QuerySet[Availability], words: list[str]) -> QuerySet[Availability]:
    """On SQLite with the trigram index, keep only the rows the index finds holding every word of three
    characters or more. The LIKE of each word stays: the index only narrows the rows it reads (it folds
    case beyond ASCII, which SQLite's LIKE does not), so the matches are exactly those of the LIKE.

    One MATCH for all the words: FTS5 intersects them itself, cheaper than one IN list per word. It is a
    MATCH rather than the trigram LIKE: SQLite (3.40) does not hand a LIKE with an ESCAPE clause to the
    index, and without one `%` and `_` in a word would be wildcards."""
    long_words = [word for word in dict.fromkeys(words) if len(word) >= FTS_MIN_LENGTH]
    if not long_words or not fts_available(rows.db):
        return rows
    query = " AND ".join(_fts_phrase(word) for word in long_words)
    return rows.filter(
        id__in=RawSQL(
            "SELECT rowid FROM catalog_availability_fts WHERE catalog_availability_fts MATCH %s", [query]
        )
    )


def _indexed_words(mirror: Mirror, filters: Filters) -> set[str] | None:
    """On PostgreSQL, the words of the search worth looking up in the trigram index; None (all of them)
    elsewhere, or when there is no choice to make.

    PostgreSQL puts every word of a search into one trigram lookup, whose cost grows with the rows holding
    each trigram: for "benchmark series 0042" it reads the entries of the two words nearly every row holds
    to keep 945 rows that "0042" alone finds (13 ms, against 2 ms). It estimates each word alone well, from
    its statistics (asked here with EXPLAIN, which reads no rows), so the rare words go to the index, at
    least the rarest one, and the others are checked on the rows those find."""
    if connections[Availability.objects.db].vendor != "postgresql":
        return None
    words = [word for word in dict.fromkeys(filters.words) if len(word) >= FTS_MIN_LENGTH]
    if len(words) < 2:
        return None
    estimates = {
        word: _estimated_rows(published(mirror).filter(search_text__contains=word)) for word in words
    }
    rarest = min(words, key=lambda word: estimates[word])
    common = COMMON_WORD_SHARE * mirror.availabilities
    return {rarest} | {word for word in words if estimates[word] <= common}


def _estimated_rows(rows: QuerySet[Availability]) -> float:
    """How many rows PostgreSQL's planner expects the query to find (it runs nothing)."""
    plan = json.loads(rows.explain(format="json"))
    return float(plan[0]["Plan"]["Plan Rows"])


def _plain(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}


def _clean_text(value: str, length: int) -> str:
    # NUL and other control characters have no place in a search, and PostgreSQL refuses NUL outright.
    text = "".join(ch if unicodedata.category(ch) not in _CONTROL else " " for ch in value[: length * 2])
    return " ".join(text.split())[:length]


def _whole(value: str, upper: int = 10**6) -> int | None:
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if 0 <= number <= upper else None


def _amount(value: str, upper: int = 10**7) -> Decimal | None:
    try:
        number = Decimal(value.strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and 0 <= number <= upper else None


def _region(value: str, facets: Facets) -> str:
    """The ARM name of a region the catalog holds, also when typed as its display name ("US East") or in
    another case; "" when the catalog has no such region."""
    typed = value.lower()
    return next((arm for arm, display in facets.regions if typed and typed in {arm, display.lower()}), "")


def _page(value: str) -> int:
    number = _whole(value, upper=10**20) if value.isdigit() else None
    return min(max(number or 1, 1), MAX_PAGES)


def parse(query: Mapping[str, str], facets: Facets) -> Filters:
    """The filters of a query string. Values the catalog does not hold, or that are not numbers where a
    number is expected, are left out and explained in `notes`; nothing here raises."""
    notes: list[str] = []

    def text(name: str, length: int = MAX_VALUE_LENGTH) -> str:
        value = query.get(name)
        return _clean_text(value, length) if isinstance(value, str) else ""

    def choice(name: str, allowed: set[str], what: str) -> str:
        value = text(name)
        if value and value not in allowed:
            notes.append(
                _("This catalog has no %(what)s “%(value)s”: that filter was left out.")
                % {"what": what, "value": value}
            )
            return ""
        return value

    def number(name: str, what: str, parse_one: Any = _whole) -> Any:
        value = text(name, 20)
        if not value:
            return None
        parsed = parse_one(value)
        if parsed is None:
            notes.append(
                _("“%(value)s” is not a valid %(what)s: that filter was left out.")
                % {"value": value, "what": what}
            )
        return parsed

    region = _region(text("region"), facets)
    if text("region") and not region:
        notes.append(
            _("This catalog has no %(what)s “%(value)s”: that filter was left out.")
            % {"what": _("region"), "value": text("region")}
        )
    cores_min = number("cores_min", _("minimum number of cores"))
    cores_max = number("cores_max", _("maximum number of cores"))
    if cores_min is not None and cores_max is not None and cores_min > cores_max:
        cores_min, cores_max = cores_max, cores_min
    ram_min = number("ram_min", _("minimum memory"), _amount)
    ram_max = number("ram_max", _("maximum memory"), _amount)
    if ram_min is not None and ram_max is not None and ram_min > ram_max:
        ram_min, ram_max = ram_max, ram_min
    term = None
    term_text = text("term", 20)
    if term_text:
        years = _whole(term_text, upper=100)
        if years is None or years * 12 not in facets.term_months:
            notes.append(
                _("This catalog has no term of “%(value)s” years: that filter was left out.")
                % {"value": term_text}
            )
        else:
            term = years
    sort = text("sort", 20)
    return Filters(
        q=text("q", MAX_QUERY_LENGTH),
        family=choice("family", set(facets.families), _("reservation family")),
        product=choice("product", {p[0] for p in facets.products}, _("series")),
        region=region,
        size=text("size"),
        cores=number("cores", _("number of cores")),
        cores_min=cores_min,
        cores_max=cores_max,
        ram_min=ram_min,
        ram_max=ram_max,
        term=term,
        billing_plan=choice("billing_plan", set(facets.billing_plans), _("billing plan")),
        segment=choice("segment", set(facets.segments), _("segment")),
        sort=sort if sort in Sort.choice_values() else Sort.DEFAULT,
        page=_page(text("page", 20)),
        notes=tuple(notes),
    )


# --- the search -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """One page of matches. Past COUNT_CAP matches, `count` is COUNT_CAP + 1 ("more than") and `pages`
    is None (not counted)."""

    rows: list[Availability]
    count: int
    number: int  # the page shown (the asked one, brought within range)
    pages: int | None
    has_next: bool = False

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def shown_count(self) -> int:
        return min(self.count, COUNT_CAP)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + len(self.rows)

    @property
    def lines(self) -> list[Line]:
        return [Line(row) for row in self.rows]


@dataclass(frozen=True)
class Line:
    """An availability row with its values in words, for the pages. Each cell is read once, here rather
    than through a chain of template filters: a page of results shows 25 rows of ten cells."""

    row: Availability

    @property
    def term(self) -> str:
        return term_label(self.row.term_months)

    @property
    def billing_plan(self) -> str:
        return billing_plan_label(self.row.billing_plan) if self.row.billing_plan else "—"

    @property
    def segment(self) -> str:
        return segment_label(self.row.segment) if self.row.segment else "—"

    @property
    def size(self) -> str:
        """The size as the catalog names it ("D4s v5"), else as Azure does."""
        return self.row.size_name or self.row.arm_sku_name or "—"

    @property
    def size_code(self) -> str:
        """Azure's name of the size, when the catalog shows another one."""
        row = self.row
        return row.arm_sku_name if row.size_name and row.arm_sku_name != row.size_name else ""

    @property
    def cores(self) -> int | str:
        return "—" if self.row.cores is None else self.row.cores

    @property
    def memory(self) -> str:
        # As the template filter `floatformat:"-2g"` writes it: "1.5", "16", "1,024" (localized).
        return "—" if self.row.ram_gb is None else floatformat(self.row.ram_gb, "-2g")

    @property
    def region(self) -> str:
        return self.row.region or self.row.arm_region_name or "—"

    @property
    def currency(self) -> str:
        code = self.row.currency_code or "—"
        return f"{code} ({self.row.currency_symbol})" if self.row.currency_symbol else code


def published(mirror: Mirror) -> QuerySet[Availability]:
    """The availabilities pages may show: the mirror's published generation only."""
    return Availability.objects.filter(mirror=mirror, generation=mirror.generation)


def search(mirror: Mirror, filters: Filters) -> Results:
    """The page of availabilities of the mirror's published generation that `filters` asks for."""
    if not mirror.is_ready:
        return Results(rows=[], count=0, number=1, pages=1)
    found = filters.filter(published(mirror), indexed_words=_indexed_words(mirror, filters))
    ids = list(found.order_by().values_list("pk", flat=True)[: COUNT_CAP + 1])
    if len(ids) <= COUNT_CAP:
        # Few matches (a size, a rare word): their ids, read through the most selective index, are all
        # the page needs. Asked for "the first 25 by name" instead, a database that cannot tell that a word
        # matches 80 rows of 200,000 walks the name index past nearly every row.
        pages = max(1, -(-len(ids) // PAGE_SIZE))
        number = min(filters.page, pages)
        start = (number - 1) * PAGE_SIZE
        rows = _page_rows(Availability.objects.filter(pk__in=ids), filters, start) if ids else []
        return Results(rows=rows, count=len(ids), number=number, pages=pages, has_next=number < pages)
    # Many matches: walking the index of the sort column and keeping the rows that match finds a page
    # soonest. SQLite, which cannot tell how many rows a range of cores keeps, would rather read the whole
    # range through its index and sort it (75 ms for 16 to 32 cores of 200,000 rows): hence the ranges
    # no index can answer. Likewise SQLite's trigram index: it would list every row holding such common
    # words (22,000 for "east us 3 years", 44 ms) where the walk meets a page of them in 3 ms. One more row
    # than the page says whether there is a next one.
    found = filters.filter(published(mirror), ranges_by_index=False, words_by_index=False)
    number = filters.page
    rows = _page_rows(found, filters, (number - 1) * PAGE_SIZE, PAGE_SIZE + 1)
    if not rows:
        # Asked past the last match (an edited address): show the last page, counted up to MAX_PAGES.
        total = found.order_by().values("pk")[: MAX_PAGES * PAGE_SIZE].count()
        number = max(1, -(-total // PAGE_SIZE))
        rows = _page_rows(found, filters, (number - 1) * PAGE_SIZE, PAGE_SIZE + 1)
    has_next = len(rows) > PAGE_SIZE and number < MAX_PAGES
    return Results(rows=rows[:PAGE_SIZE], count=COUNT_CAP + 1, number=number, pages=None, has_next=has_next)


def _page_rows(
    found: QuerySet[Availability], filters: Filters, start: int, size: int = PAGE_SIZE
) -> list[Availability]:
    """`size` rows from `start` in the order the filters ask, rows without a value (no cores, say) last
    in either direction."""
    column = filters.sort_column
    if column not in NULLABLE_COLUMNS:
        return list(found.order_by(*filters.ordering())[start : start + size])
    # "NULLS LAST" in both directions cannot be read from one index on both databases (PostgreSQL keeps
    # NULLs after the values, SQLite before), so rows with a value and rows without are two walks.
    valued = found.filter(**{f"{column}__isnull": False})
    rows = list(valued.order_by(*filters.ordering())[start : start + size])
    if len(rows) == size:
        return rows
    before = start + len(rows) if rows else valued.order_by().values("pk")[: start + 1].count()
    skip = max(0, start - before)
    unvalued = found.filter(**{f"{column}__isnull": True}).order_by(filters.ordering()[1])
    return rows + list(unvalued[skip : skip + size - len(rows)])
