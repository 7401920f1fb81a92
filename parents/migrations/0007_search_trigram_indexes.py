"""Trigram indexes behind the admin's searches of families, guardians, children and logins.

The admin searches with `icontains` (SQL `UPPER(col) LIKE UPPER('%…%')`), which no B-tree
index serves: at 100,000 families each search read every row. A trigram (pg_trgm) GIN index
on `UPPER(col)` serves exactly that expression. PostgreSQL only; built concurrently so that
a live site keeps writing while they build. On SQLite the searches simply scan, as before.
"""

from django.db import migrations

# (table, column): the columns the admin lists search, through parents.admin_views.
SEARCHED = [
    ("parents_family", "name"),
    ("parents_family", "reference"),
    ("parents_guardian", "first_name"),
    ("parents_guardian", "last_name"),
    ("parents_guardian", "email"),
    ("parents_child", "first_name"),
    ("parents_child", "last_name"),
    ("parents_user", "username"),
]


def index_name(table, column):
    return f"{table}_{column}_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column in SEARCHED:
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index_name(table, column)} "
            f'ON "{table}" USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in SEARCHED:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index_name(table, column)}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("parents", "0006_family_name_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
