"""On PostgreSQL, a trigram index for the catalog's free-text search (a substring match on search_text).

Without it each word of a search scans the whole published catalog: 200 ms for one word over a market of
200,000 availabilities (benchmarks/catalog_search.py), against 1 to 5 ms with it. pg_trgm is a trusted
extension (PostgreSQL 13+), so the database owner may create it. Words under three letters cannot use it;
the other words narrow the rows first. SQLite keeps its table scan (see the benchmark's figures).
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS catalog_av_search_trgm ON catalog_availability USING gin (search_text gin_trgm_ops);
"""
DROP = "DROP INDEX IF EXISTS catalog_av_search_trgm;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_catalog_mirror")]

    operations = [migrations.RunPython(forwards, backwards)]
