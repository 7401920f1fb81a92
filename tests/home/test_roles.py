"""Staff rights on published content: per-structure groups that follow User.structures, the
page permissions of a structure's Communication group, and the document rights of its
Direction group."""

from django.contrib.auth.models import Group

from wagtail.documents import get_document_model
from wagtail.models import GroupCollectionPermission, GroupPagePermission
from wagtail.permissions import policy_registry

import pytest

from parents.roles import COMMUNICATION_GROUP, DIRECTION_GROUP, setup_roles
from tests.factories.parents import UserFactory

pytestmark = pytest.mark.django_db


def group_names(user):
    return set(user.groups.values_list("name", flat=True))


def test_membership_follows_the_users_structures_and_role(structure, other_structure):
    setup_roles()
    user = UserFactory(username="communication.test")
    user.groups.add(Group.objects.get(name=COMMUNICATION_GROUP))
    user.structures.add(structure, other_structure)
    assert group_names(user) == {
        "Communication",
        "Communication · brax",
        "Communication · levignac",
    }

    user.structures.remove(other_structure)
    assert group_names(user) == {"Communication", "Communication · brax"}

    other_structure.staff.add(user)  # from the structure's side
    assert "Communication · levignac" in group_names(user)

    user.groups.remove(Group.objects.get(name=COMMUNICATION_GROUP))
    assert group_names(user) == set()


def test_directors_get_their_structures_direction_group(director):
    assert group_names(director) == {"Direction", "Direction · brax"}


def test_setup_roles_is_idempotent_and_repairs_memberships(structure, communication, director):
    counts = (
        Group.objects.count(),
        GroupPagePermission.objects.count(),
        GroupCollectionPermission.objects.count(),
    )
    communication.groups.remove(Group.objects.get(name="Communication · brax"))
    setup_roles()
    setup_roles()
    assert "Communication · brax" in group_names(communication)
    assert counts == (
        Group.objects.count(),
        GroupPagePermission.objects.count(),
        GroupCollectionPermission.objects.count(),
    )
    direction = Group.objects.get(name=DIRECTION_GROUP)
    assert not direction.permissions.filter(codename__in=["delete_guardian", "delete_child"])


def test_communication_edits_and_publishes_its_structures_pages_only(
    communication, brax_page, levignac_page
):
    from wagtail.permission_policies.pages import PagePermissionPolicy

    policy = PagePermissionPolicy()
    brax_permissions = brax_page.permissions_for_user(communication)
    assert brax_permissions.can_add_subpage()
    assert brax_permissions.can_edit()
    assert brax_permissions.can_publish()
    levignac_permissions = levignac_page.permissions_for_user(communication)
    assert not levignac_permissions.can_edit()
    assert not levignac_permissions.can_add_subpage()
    assert set(policy.explorable_instances(communication)) >= {brax_page.page_ptr}


def test_directors_manage_their_structures_documents_but_not_its_pages(
    director, brax_page, collections
):
    policy = policy_registry.get_by_type(get_document_model())
    collections_with_add = set(policy.collections_user_has_permission_for(director, "add"))
    assert collections["brax"] in collections_with_add
    assert collections["brax_private"] in collections_with_add
    assert collections["levignac"] not in collections_with_add
    assert collections["association"] not in collections_with_add
    assert not brax_page.permissions_for_user(director).can_edit()


def test_a_structure_page_given_another_structure_moves_its_permissions(
    communication, other_communication, brax_page, other_structure
):
    brax_page.structure = other_structure
    brax_page.save()
    names = set(
        GroupPagePermission.objects.filter(page=brax_page).values_list("group__name", flat=True)
    )
    assert names == {"Communication · levignac"}
    assert not brax_page.permissions_for_user(communication).can_edit()
