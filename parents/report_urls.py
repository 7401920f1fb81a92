"""Wagtail admin reports replaced by scoped versions; mounted before Wagtail's own routes.

Names are not repeated here: Wagtail's `wagtailadmin_reports:*` names reverse to the same
addresses, which resolve to these views first.
"""

from django.urls import path

from . import admin_views

urlpatterns = [
    path("site-history/", admin_views.ScopedSiteHistoryView.as_view()),
    path("site-history/results/", admin_views.ScopedSiteHistoryView.as_view(results_only=True)),
    path("page-types-usage/", admin_views.SuperuserPageTypesUsageView.as_view()),
    path(
        "page-types-usage/results/",
        admin_views.SuperuserPageTypesUsageView.as_view(results_only=True),
    ),
]
