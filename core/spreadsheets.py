"""CSV exports of the admin in the dialect French Excel opens as a table: UTF-8 with a byte
order mark (without it Excel reads the accents as Windows-1252), `;` between columns (the
comma is the decimal separator), decimal commas and dd/mm/yyyy dates. XLSX is unchanged:
its cells keep their types.

Every admin export goes through Wagtail's `SpreadsheetExportMixin` (model lists, statements,
Wagtail's own reports and site history); it has no setting for the CSV dialect, so
`use_french_csv_dialect` (called once from `CoreConfig.ready`) gives it these methods.
"""

import csv
import datetime
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

BOM = "\ufeff"
DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"


class ExcelFrench(csv.excel):
    delimiter = ";"


class _Echo:
    """A file-like object whose `write` hands the encoded line back, for streaming."""

    def write(self, value):
        return value.encode("utf-8")


def csv_value(value):
    """A value as French Excel reads it: 36,07 — 01/04/2027 — 01/04/2027 09:30 (local time)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (Decimal, float)):
        return format(value, "f").replace(".", ",")
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, datetime.date):
        return value.strftime(DATE_FORMAT)
    return value


def stream_csv(self, queryset):
    """The header line, with the byte order mark, then one line per row."""
    writer = csv.DictWriter(_Echo(), fieldnames=self.list_export, dialect=ExcelFrench)
    header = writer.writerow(
        {field: self.get_heading(queryset, field) for field in self.list_export}
    )
    yield BOM.encode("utf-8") + header
    for item in queryset:
        yield self.write_csv_row(writer, self.to_row_dict(item))


def write_csv_row(self, writer, row_dict):
    return writer.writerow(
        {
            # A view's own preprocessing of a field wins over the dialect's.
            field: self.preprocess_field_value(
                field,
                value if field in self.custom_field_preprocess else csv_value(value),
                self.FORMAT_CSV,
            )
            for field, value in row_dict.items()
        }
    )


def write_csv_response(self, queryset):
    response = StreamingHttpResponse(
        self.stream_csv(queryset), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{self.get_filename()}.csv"'
    return response


def use_french_csv_dialect():
    """Make every admin CSV export French Excel's. Idempotent."""
    from wagtail.admin.views.mixins import SpreadsheetExportMixin

    SpreadsheetExportMixin.stream_csv = stream_csv
    SpreadsheetExportMixin.write_csv_row = write_csv_row
    SpreadsheetExportMixin.write_csv_response = write_csv_response
