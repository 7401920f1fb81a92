"""Admin building blocks shared by the apps' viewsets."""

from django.urls import path

from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet


def permission_menu_item(permission):
    """A menu item class shown only to users holding `permission` ("app_label.codename")."""

    class PermissionMenuItem(MenuItem):
        def is_shown(self, request):
            return request.user.has_perm(permission)

    return PermissionMenuItem


class SearchableIndexViewSet(ViewSet):
    """A plain viewset whose entry page is a searchable list: the page itself and the
    results fragment Wagtail's search box reloads, built from one index view class.
    """

    index_view_class = None

    def get_index_kwargs(self):
        """URL names the list needs; subclasses add the pages it links to."""
        return {
            "index_url_name": self.get_url_name("index"),
            "index_results_url_name": self.get_url_name("index_results"),
        }

    def get_index_urlpatterns(self):
        kwargs = self.get_index_kwargs()
        return [
            path("", self.construct_view(self.index_view_class, **kwargs), name="index"),
            path(
                "results/",
                self.construct_view(self.index_view_class, results_only=True, **kwargs),
                name="index_results",
            ),
        ]
