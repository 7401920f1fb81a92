"""Permission sets kept in the shared cache: one lookup per user, forgotten on any change."""

from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from parents.roles import DIRECTION_GROUP
from tests.factories.parents import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_cache(settings):
    settings.CACHE_IS_SHARED = True


def permission_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, [q for q in queries if "auth_permission" in q["sql"]]


def test_a_parent_page_reads_no_permission_after_the_first(parent_client, shared_cache):
    parent_client.get("/espace-famille/")
    response, queries = permission_queries(parent_client, "/espace-famille/")
    assert response.status_code == 200
    assert queries == []


def test_without_a_shared_cache_permissions_are_read_each_time(parent_client):
    parent_client.get("/espace-famille/")
    _response, queries = permission_queries(parent_client, "/espace-famille/")
    assert queries  # a local cache would keep a revoked permission in other processes


def test_a_director_removed_from_the_group_loses_the_admin_at_once(
    director, verified_client, shared_cache
):
    client = verified_client(director)
    assert client.get("/admin/").status_code == 200
    director.groups.remove(Group.objects.get(name=DIRECTION_GROUP))
    response = client.get("/admin/")
    assert response.status_code == 302  # to the login page: no admin access any more


def test_a_permission_withdrawn_from_a_group_is_withdrawn_from_its_members(
    director, verified_client, shared_cache
):
    client = verified_client(director)
    assert client.get("/admin/families/").status_code == 200
    group = Group.objects.get(name=DIRECTION_GROUP)
    for codename in ("view_family", "add_family", "change_family", "delete_family"):
        group.permissions.remove(Permission.objects.get(codename=codename))
    assert client.get("/admin/families/").status_code in {302, 403}


def test_a_permission_given_to_a_user_applies_at_once(shared_cache):
    from parents.backends import UsernameOrEmailBackend

    backend = UsernameOrEmailBackend()
    user = UserFactory(username="stagiaire.test")
    assert not backend.get_user(user.pk).has_perm("wagtailadmin.access_admin")  # now cached
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    assert backend.get_user(user.pk).has_perm("wagtailadmin.access_admin")
    Permission.objects.get(codename="access_admin").user_set.remove(user)
    assert not backend.get_user(user.pk).has_perm("wagtailadmin.access_admin")
