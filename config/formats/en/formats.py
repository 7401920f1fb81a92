"""English input formats: dates are typed day first, as in French, never month first.

The admin's date fields show dd/mm/yyyy (WAGTAIL_DATE_FORMAT) in both languages, so
"01/11/2026" must mean 1 November here too; Django's English list would read it as
11 January. ISO stays first: `<input type="date">` fields render their value with it.
"""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
