"""On PostgreSQL, a trigram index for the customer search (a substring match on search_text).

Without it each search scans the table twice (the count and the page): 42 ms median on 20,000 customers.
pg_trgm is a trusted extension (PostgreSQL 13+), so the database owner may create it. SQLite keeps the
plain b-tree index, which is fast enough there.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS customer_search_trgm ON portal_customer USING gin (search_text gin_trgm_ops);
"""
DROP = "DROP INDEX IF EXISTS customer_search_trgm;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("portal", "0005_customers_and_registrations")]

    operations = [migrations.RunPython(forwards, backwards)]
