"""Counting what waits for a member of staff, one line per structure, for the admin's home
panels (`core.admin.HomePanel`)."""

from django.db.models import Count


def counts_by_structure(queryset, structure_path):
    """[(structure name, count)] of `queryset`'s rows, grouped by the structure reached
    through `structure_path` ("family__structure"), in structure name order."""
    name = f"{structure_path}__name"
    return list(
        queryset.order_by(name).values_list(name).annotate(count=Count("pk")).order_by(name)
    )


def count_lines(counts, wording):
    """Panel lines from `counts_by_structure`; `wording` is an
    `ngettext_lazy("%(count)s …", "%(count)s …", "count")`."""
    return [(structure, wording % {"count": count}) for structure, count in counts]
