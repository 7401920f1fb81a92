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
    ],
)
def test_the_tables_a_statement_writes(sql, tables):
    assert written_tables(sql) == tables
