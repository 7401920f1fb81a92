"""The logged-in user kept in the shared cache: no query for them after the first page,
and any change to the user, their guardian, family, structure or association seen at once."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from parents.backends import UsernameOrEmailBackend

pytestmark = pytest.mark.django_db

HOME = "/espace-famille/"


def user_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert response.status_code == 200
    return [q for q in queries if 'FROM "parents_user"' in q["sql"]]


def test_the_user_is_read_once_then_comes_from_the_shared_cache(parent_client, shared_cache):
    assert user_queries(parent_client)
    assert user_queries(parent_client) == []


def test_without_a_shared_cache_the_user_is_read_each_time(parent_client):
    parent_client.get(HOME)
    assert user_queries(parent_client)


def test_a_deactivated_login_is_refused_at_once(parent_client, guardian, shared_cache):
    parent_client.get(HOME)
    guardian.user.is_active = False
    guardian.user.save()
    assert parent_client.get(HOME).status_code == 302


def test_a_deleted_login_is_refused_at_once(parent_client, guardian, shared_cache):
    parent_client.get(HOME)
    guardian.user.delete()
    assert parent_client.get(HOME).status_code == 302


def test_a_changed_password_ends_other_sessions_at_once(parent_client, guardian, shared_cache):
    parent_client.get(HOME)
    guardian.user.set_password("Un-autre-mot-de-passe-2026")
    guardian.user.save()
    assert parent_client.get(HOME).status_code == 302


@pytest.mark.parametrize("changed", ["family", "structure", "association", "guardian"])
def test_the_family_side_is_read_again_once_saved(guardian, shared_cache, changed):
    backend = UsernameOrEmailBackend()
    assert backend.get_user(guardian.user_id).guardian.family.name == "DUPONT"
    family = guardian.family
    if changed == "family":
        family.name = "DURAND"
        family.save()
        assert backend.get_user(guardian.user_id).guardian.family.name == "DURAND"
    elif changed == "structure":
        family.structure.name = "Commune de Layrac"
        family.structure.save()
        assert backend.get_user(guardian.user_id).guardian.family.structure.name == (
            "Commune de Layrac"
        )
    elif changed == "association":
        association = family.structure.association
        association.name = "Nouvelle association"
        association.save()
        user = backend.get_user(guardian.user_id)
        assert user.guardian.family.structure.association.name == "Nouvelle association"
    else:
        guardian.delete()
        user = backend.get_user(guardian.user_id)
        assert not hasattr(user, "guardian")
