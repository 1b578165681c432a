"""On SQLite, a trigram full-text index for the catalog's free-text search (a substring match on search_text).

SQLite has no index that answers LIKE '%word%', so each word of a search read all 200,000 availabilities of
a market (100 to 150 ms, benchmarks/catalog_search.py). An FTS5 table with the trigram tokenizer finds the
rows holding a word of three letters or more from its index instead; catalog.search uses it to narrow the
rows and keeps its LIKE to confirm them, so the results stay those of the LIKE.

The table is "external content": it stores only the index, the text stays in catalog_availability, and the
triggers below (the pattern of the FTS5 documentation, with its 'delete' command) keep the index in step with
every insert, delete and change of search_text. A SQLite built without FTS5 or without the trigram tokenizer
(before 3.34) gets nothing here, and catalog.search keeps the LIKE alone; so does any other database
(PostgreSQL has its trigram index, migration 0002).

Caution for later migrations: SQLite's schema editor rebuilds a table for most changes to its columns (a new
table, a copy, a drop and a rename), and the drop takes these triggers with it. catalog.search then falls back
to the LIKE (it checks the triggers too), but such a migration should recreate the triggers and rebuild the
index (run this module's `forwards` again after it).
"""

from django.db import migrations, transaction
from django.db.utils import DatabaseError

# Spelled out (no SQL built from strings); the names are also catalog.search.FTS_OBJECTS.
CREATE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_availability_fts USING fts5("
    "search_text, content='catalog_availability', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS catalog_availability_fts_insert AFTER INSERT ON catalog_availability "
    "BEGIN INSERT INTO catalog_availability_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS catalog_availability_fts_delete AFTER DELETE ON catalog_availability "
    "BEGIN INSERT INTO catalog_availability_fts(catalog_availability_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS catalog_availability_fts_update AFTER UPDATE OF search_text "
    "ON catalog_availability "
    "BEGIN INSERT INTO catalog_availability_fts(catalog_availability_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO catalog_availability_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    # Index the rows already there.
    "INSERT INTO catalog_availability_fts(catalog_availability_fts) VALUES ('rebuild')",
]
DROP = [
    "DROP TRIGGER IF EXISTS catalog_availability_fts_insert",
    "DROP TRIGGER IF EXISTS catalog_availability_fts_delete",
    "DROP TRIGGER IF EXISTS catalog_availability_fts_update",
    "DROP TABLE IF EXISTS catalog_availability_fts",
]


def trigram_fts_available(schema_editor) -> bool:
    """Whether this SQLite has FTS5 with the trigram tokenizer: try a throwaway table in a savepoint, so
    that a refusal ("no such module", "no such tokenizer") leaves the migration's transaction usable."""
    connection = schema_editor.connection
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("CREATE VIRTUAL TABLE temp.catalog_fts_probe USING fts5(x, tokenize='trigram')")
            cursor.execute("DROP TABLE temp.catalog_fts_probe")
    except DatabaseError:
        return False
    return True


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite" or not trigram_fts_available(schema_editor):
        return
    for statement in CREATE:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in DROP:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_sort_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
