"""What core.page_cache reads off the SQL: the tables a statement writes."""

import pytest

from core.page_cache import written_tables


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ('INSERT INTO "billing_ledgerentry" ("family_id") VALUES (%s)', {"billing_ledgerentry"}),
        ('UPDATE "billing_invoice" SET "pdf" = %s WHERE "id" = %s', {"billing_invoice"}),
        ('DELETE FROM "reservations_booking" WHERE "id" IN (%s)', {"reservations_booking"}),
        ("  update billing_mandate set status = 'revoked'", {"billing_mandate"}),
        (
            'TRUNCATE "parents_family", "parents_guardian" CASCADE',
            {"parents_family", "parents_guardian"},
        ),
        ('SELECT "id" FROM "billing_invoice" WHERE "id" = %s FOR UPDATE', set()),
        (
            'INSERT OR IGNORE INTO "parents_user_groups" ("user_id") VALUES (%s)',
            {"parents_user_groups"},
        ),
        ('SAVEPOINT "s1_x1"', set()),
        ('(SELECT "id" FROM "a") UNION ALL (SELECT "id" FROM "b")', set()),
        ("WITH t AS (SELECT 1) SELECT * FROM t", set()),
        # Where the tables are not known, every page is out of date.
        ("WITH t AS (UPDATE billing_invoice SET total = 0 RETURNING id) SELECT 1", {"(any)"}),
        ('ALTER TABLE "billing_invoice" ADD COLUMN "x" integer', {"(any)"}),
        ('UPDATE "a" SET "x" = 1; DELETE FROM "b"', {"(any)"}),
    ],
)
def test_the_tables_a_statement_writes(sql, tables):
    assert written_tables(sql) == tables
