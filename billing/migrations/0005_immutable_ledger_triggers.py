"""On PostgreSQL, the database itself refuses to change or delete what the ledger has issued
or recorded, whatever code or SQL asks: issued invoices and credit notes (only their PDF may
be attached once), their lines, payments, reversals, allocations and journal entries.
SQLite keeps the application's checks (core.immutable).
"""

from django.db import migrations

APPEND_ONLY = [
    "billing_payment",
    "billing_paymentreversal",
    "billing_allocation",
    "billing_ledgerentry",
]
DOCUMENTS = ["billing_invoice", "billing_creditnote"]
LINES = {"billing_invoiceline": ("billing_invoice", "invoice_id"),
         "billing_creditnoteline": ("billing_creditnote", "credit_note_id")}

FORWARD = """
CREATE OR REPLACE FUNCTION billing_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% of % refused: recorded ledger rows are never changed (reverse them)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_guard_issued_document() RETURNS trigger AS $$
BEGIN
    IF OLD.status <> 'issued' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    -- The PDF of an issued document may be attached once, after its number is taken.
    IF TG_OP = 'UPDATE' AND OLD.pdf = ''
            AND (to_jsonb(NEW) - 'pdf') = (to_jsonb(OLD) - 'pdf') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% of issued % % refused: issue a credit note instead',
        TG_OP, TG_TABLE_NAME, OLD.number USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION billing_guard_issued_line() RETURNS trigger AS $$
DECLARE
    parent_table text := TG_ARGV[0];
    parent_column text := TG_ARGV[1];
    parent_id bigint;
    issued boolean;
BEGIN
    EXECUTE format('SELECT ($1).%I', parent_column) INTO parent_id USING OLD;
    EXECUTE format('SELECT status = ''issued'' FROM %I WHERE id = $1', parent_table)
        INTO issued USING parent_id;
    IF issued THEN
        RAISE EXCEPTION '% of a line of an issued document refused (%)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$ LANGUAGE plpgsql;
"""


def statements():
    yield FORWARD
    for table in APPEND_ONLY:
        yield (
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION billing_refuse_change();"
        )
    for table in DOCUMENTS:
        yield (
            f"CREATE TRIGGER {table}_issued_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION billing_guard_issued_document();"
        )
    for table, (parent, column) in LINES.items():
        yield (
            f"CREATE TRIGGER {table}_issued_immutable BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION billing_guard_issued_line('{parent}', '{column}');"
        )


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in statements():
        # No parameters: the functions' RAISE messages use % placeholders of their own.
        schema_editor.execute(sql, None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in [*APPEND_ONLY, *DOCUMENTS]:
        suffix = "append_only" if table in APPEND_ONLY else "issued_immutable"
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table};", None)
    for table in LINES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_issued_immutable ON {table};", None)
    for function in ("billing_refuse_change", "billing_guard_issued_document",
                     "billing_guard_issued_line"):
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}();", None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_allocation_displaced_by")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
