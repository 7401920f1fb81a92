"""Trigram indexes behind the admin's searches of invoices, credit notes and payments.

The admin searches with `icontains` (SQL `UPPER(col) LIKE UPPER('%…%')`), which no B-tree
index serves: an invoice-number search read 2.5 million invoices. A trigram (pg_trgm) GIN
index on `UPPER(col)` serves exactly that expression; family names and references are
indexed by parents 0006. PostgreSQL only, built concurrently; SQLite simply scans.
"""

from django.db import migrations

# (table, column): the columns the billing lists search (core.admin.IndexedSearchMixin).
SEARCHED = [
    ("billing_invoice", "number"),
    ("billing_creditnote", "number"),
    ("billing_payment", "cheque_number"),
    ("billing_payment", "reference"),
    ("billing_paymentattempt", "payment_intent_id"),
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

    dependencies = [
        ("billing", "0007_list_order_indexes"),
        ("parents", "0007_search_trigram_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
