"""The admin building blocks: what a viewset declares is what gets routed and linked."""

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.views import View

import pytest

from core.admin import (
    AdminPagesViewSet,
    PermissionRequiredMixin,
    ScopedModelViewSet,
    admin_page,
    searchable_index_pages,
)
from parents.models import Structure


class ListView(View):
    index_url_name = None
    index_results_url_name = None
    review_url_name = None
    results_only = False


class ReviewView(View):
    index_url_name = None
    payments_url_name = None


class NamesView(View):
    url_names = None


class ExampleViewSet(AdminPagesViewSet):
    name = "example"
    menu_permission = "billing.view_mandate"
    pages = [
        *searchable_index_pages(ListView, review="review"),
        admin_page("<int:pk>/", "review", ReviewView, index="index", payments="payments:index"),
        admin_page("names/", "names", NamesView),
    ]


def view_kwargs(patterns, name):
    return next(p for p in patterns if p.name == name).callback.view_initkwargs


def test_pages_are_routed_with_the_url_names_they_link_to():
    patterns = ExampleViewSet().get_urlpatterns()

    assert [(str(p.pattern), p.name) for p in patterns] == [
        ("", "index"),
        ("results/", "index_results"),
        ("<int:pk>/", "review"),
        ("names/", "names"),
    ]
    assert view_kwargs(patterns, "index") == {
        "index_url_name": "example:index",
        "index_results_url_name": "example:index_results",
        "review_url_name": "example:review",
    }
    assert view_kwargs(patterns, "index_results")["results_only"] is True
    # A name with a namespace is another viewset's page: kept as it is.
    assert view_kwargs(patterns, "review") == {
        "index_url_name": "example:index",
        "payments_url_name": "payments:index",
    }
    assert view_kwargs(patterns, "names") == {
        "url_names": {
            "index": "example:index",
            "index_results": "example:index_results",
            "review": "example:review",
            "names": "example:names",
        }
    }


def test_the_menu_item_shows_only_to_holders_of_the_permission():
    item_class = ExampleViewSet().menu_item_class
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    assert not item_class("Example", "/").is_shown(request)


def test_a_page_refuses_users_without_its_permission():
    class GuardedView(PermissionRequiredMixin, View):
        permission = "billing.view_mandate"

        def get(self, request):
            return HttpResponse("ok")

    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    with pytest.raises(PermissionDenied):
        GuardedView.as_view()(request)


def test_disabled_views_are_neither_routed_nor_linked_to():
    viewset = ScopedModelViewSet(
        "scoped_structures",
        model=Structure,
        exclude_form_fields=[],
        disabled_views=("delete", "usage"),
    )

    names = {pattern.name for pattern in viewset.get_urlpatterns()}

    assert {"index", "add", "edit", "history"} <= names
    assert not names & {"delete", "usage", "copy"}
    kwargs = viewset.get_common_view_kwargs()
    assert kwargs["delete_url_name"] is None
    assert kwargs["usage_url_name"] is None
    assert kwargs["scope"] == viewset.scope
