from datetime import date
from io import StringIO

from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

import pytest

from parents.models import Child, Family, Guardian, Structure
from parents.roles import COMMUNICATION_GROUP, DIRECTION_GROUP, setup_roles
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def director_client(director, verified_client):
    return verified_client(director)


@pytest.fixture
def other_family(other_guardian):
    ChildFactory(family=other_guardian.family, first_name="Nina")
    return other_guardian.family


def html(response):
    return response.content.decode()


def guardian_data(family, **overrides):
    data = {
        "family": family.pk,
        "civility": Guardian.Civility.MR,
        "first_name": "Paul",
        "last_name": "DUPONT",
        "email": "paul.dupont@example.org",
        "phone": "",
    }
    data.update(overrides)
    return data


def family_data(family, **overrides):
    data = {
        "structure": family.structure_id,
        "reference": family.reference,
        "name": family.name,
        "address_line1": family.address_line1,
        "address_line2": "",
        "postcode": family.postcode,
        "city": family.city,
    }
    data.update(overrides)
    return data


# Listing and scoping


def test_director_lists_only_the_families_of_their_structure(director_client, family, other_family):
    response = director_client.get(reverse("families:index"))

    assert response.status_code == 200
    content = html(response)
    assert "DUPONT" in content
    assert "DUP001" in content
    assert "Commune de Brax" in content
    assert "BERNARD" not in content
    # Not even offered as a filter choice.
    assert "Lévignac" not in content


def test_family_search_finds_by_reference(director_client, family):
    FamilyFactory(structure=family.structure, reference="MAR002", name="MARTIN")

    response = director_client.get(reverse("families:index"), {"q": "DUP0"})

    content = html(response)
    assert "DUPONT" in content
    assert "MARTIN" not in content


def test_guardian_and_child_lists_are_scoped(director_client, guardian, other_family):
    guardians = html(director_client.get(reverse("guardians:index")))
    children = html(director_client.get(reverse("children:index")))

    assert "parent.test" in guardians
    assert "parent2.test" not in guardians
    assert "BERNARD" not in guardians
    assert "Léa" in children
    assert "Nina" not in children


def test_director_lists_and_edits_only_their_structure(director_client, structure, other_structure):
    content = html(director_client.get(reverse("structures:index")))
    assert "Commune de Brax" in content
    assert "Lévignac" not in content

    response = director_client.get(reverse("structures:edit", args=[other_structure.pk]))
    assert response.status_code == 404

    response = director_client.get(reverse("structures:edit", args=[structure.pk]))
    assert response.status_code == 200
    # The slug and the association are left to superusers.
    assert 'name="slug"' not in html(response)
    assert 'name="association"' not in html(response)


def test_director_can_update_their_structure_contact_details(director_client, structure):
    response = director_client.get(reverse("structures:edit", args=[structure.pk]))
    data = {
        field.name: field.value() if field.value() is not None else ""
        for field in response.context["form"]
    }
    data["phone"] = "05 61 99 99 99"

    response = director_client.post(reverse("structures:edit", args=[structure.pk]), data)

    assert response.status_code == 302
    structure.refresh_from_db()
    assert structure.phone == "05 61 99 99 99"


def test_director_cannot_create_or_delete_a_structure(director_client, structure):
    assert director_client.get(reverse("structures:add")).status_code != 200
    response = director_client.post(reverse("structures:delete", args=[structure.pk]))
    assert response.status_code != 200
    assert Structure.objects.filter(pk=structure.pk).exists()


@pytest.mark.parametrize("view", ["edit", "inspect", "delete", "history", "usage"])
def test_other_structure_family_pages_are_not_found(director_client, other_family, view):
    response = director_client.get(reverse(f"families:{view}", args=[other_family.pk]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("url_name", "target"),
    [
        ("guardians:edit", "guardian"),
        ("guardians:delete", "guardian"),
        ("guardians:history", "guardian"),
        ("guardians:send_login", "guardian"),
        ("children:edit", "child"),
        ("children:delete", "child"),
        ("children:history", "child"),
    ],
)
def test_other_structure_guardian_and_child_pages_are_not_found(
    director_client, other_family, url_name, target
):
    obj = other_family.guardians.get() if target == "guardian" else other_family.children.get()

    response = director_client.get(reverse(url_name, args=[obj.pk]))

    assert response.status_code == 404


def test_post_to_other_structure_family_changes_nothing(director_client, other_family):
    data = family_data(other_family, name="PIRATE")

    response = director_client.post(reverse("families:edit", args=[other_family.pk]), data)
    delete = director_client.post(reverse("families:delete", args=[other_family.pk]))

    assert response.status_code == 404
    assert delete.status_code == 404
    other_family.refresh_from_db()
    assert other_family.name == "BERNARD"


def test_post_to_other_structure_guardian_changes_nothing(director_client, other_guardian):
    data = guardian_data(other_guardian.family, email="pirate@example.org")

    response = director_client.post(reverse("guardians:edit", args=[other_guardian.pk]), data)

    assert response.status_code == 404
    other_guardian.refresh_from_db()
    assert other_guardian.email == "parent2.test@example.org"
    assert mail.outbox == []


def test_director_edits_their_own_family(director_client, family):
    data = family_data(family, city="Pibrac")

    response = director_client.post(reverse("families:edit", args=[family.pk]), data)

    assert response.status_code == 302
    family.refresh_from_db()
    assert family.city == "Pibrac"


def test_family_form_offers_only_the_directors_structures(director_client, family, other_structure):
    response = director_client.get(reverse("families:edit", args=[family.pk]))

    choices = list(response.context["form"].fields["structure"].queryset)
    assert choices == [family.structure]
    assert "Lévignac" not in html(response)


def test_director_cannot_move_a_family_to_another_structure(
    director_client, family, other_structure
):
    data = family_data(family, structure=other_structure.pk)

    response = director_client.post(reverse("families:edit", args=[family.pk]), data)

    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in html(response)
    family.refresh_from_db()
    assert family.structure_id != other_structure.pk


def test_director_cannot_create_a_family_in_another_structure(
    director_client, structure, other_structure
):
    data = {"structure": other_structure.pk, "reference": "PIR001", "name": "PIRATE"}

    response = director_client.post(reverse("families:add"), data)

    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in html(response)
    assert not Family.objects.filter(reference="PIR001").exists()


def test_director_creates_a_family_in_their_structure(director_client, structure):
    data = {"structure": structure.pk, "reference": "MAR002", "name": "MARTIN"}

    response = director_client.post(reverse("families:add"), data)

    assert response.status_code == 302
    assert Family.objects.get(reference="MAR002").structure == structure


def test_family_pages_list_its_guardians_and_children(director_client, guardian):
    for view in ("edit", "inspect"):
        content = html(director_client.get(reverse(f"families:{view}", args=[guardian.family.pk])))

        assert "Responsables légaux" in content
        assert guardian.full_name in content
        assert reverse("guardians:edit", args=[guardian.pk]) in content
        assert "Léa" in content
        assert f"{reverse('guardians:add')}?family={guardian.family.pk}" in content


def test_family_list_counts_guardians(director_client, guardian):
    GuardianFactory(family=guardian.family, user=None, first_name="Luc", email="")

    response = director_client.get(reverse("families:index"))

    families = list(response.context["object_list"])
    assert [(f.name, f.guardian_count) for f in families] == [("DUPONT", 2)]


# Guardians and their logins


def test_guardian_creation_with_email_sends_one_invitation(
    director_client, family, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = director_client.post(reverse("guardians:add"), guardian_data(family))

    assert response.status_code == 302
    guardian = Guardian.objects.get(email="paul.dupont@example.org")
    assert guardian.family == family
    assert guardian.user is not None
    assert guardian.invited_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["paul.dupont@example.org"]
    assert guardian.user.username in mail.outbox[0].body


def test_guardian_creation_without_email_sends_nothing(
    director_client, family, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = director_client.post(reverse("guardians:add"), guardian_data(family, email=""))

    assert response.status_code == 302
    guardian = Guardian.objects.get(first_name="Paul")
    assert guardian.user is None
    assert mail.outbox == []


def test_guardian_form_is_prefilled_with_a_family_in_scope(director_client, family, other_family):
    own = director_client.get(reverse("guardians:add"), {"family": family.pk})
    other = director_client.get(reverse("guardians:add"), {"family": other_family.pk})

    assert own.context["form"]["family"].value() == family.pk
    assert other.context["form"]["family"].value() is None
    assert list(own.context["form"].fields["family"].queryset) == [family]


def test_a_third_guardian_is_refused_with_a_message(
    director_client, guardian, django_capture_on_commit_callbacks
):
    GuardianFactory(family=guardian.family, user=None, first_name="Luc", email="")

    with django_capture_on_commit_callbacks(execute=True):
        response = director_client.post(reverse("guardians:add"), guardian_data(guardian.family))

    assert response.status_code == 200
    assert "Une famille a au plus deux responsables légaux." in html(response)
    assert guardian.family.guardians.count() == 2
    assert mail.outbox == []


def test_guardian_cannot_be_moved_to_another_structure(director_client, guardian, other_family):
    data = guardian_data(other_family, email=guardian.email)

    response = director_client.post(reverse("guardians:edit", args=[guardian.pk]), data)

    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in html(response)
    guardian.refresh_from_db()
    assert guardian.family_id != other_family.pk


def test_guardian_email_change_warns_the_old_address_and_invites_the_new(
    director_client, guardian, django_capture_on_commit_callbacks
):
    data = guardian_data(
        guardian.family,
        first_name=guardian.first_name,
        last_name=guardian.last_name,
        email="nouvelle@example.org",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = director_client.post(reverse("guardians:edit", args=[guardian.pk]), data)

    assert response.status_code == 302
    guardian.refresh_from_db()
    guardian.user.refresh_from_db()
    assert guardian.email == "nouvelle@example.org"
    assert guardian.user.email == "nouvelle@example.org"
    assert not guardian.user.has_usable_password()
    assert sorted(m.to[0] for m in mail.outbox) == [
        "nouvelle@example.org",
        "parent.test@example.org",
    ]
    (invitation,) = [m for m in mail.outbox if m.to == ["nouvelle@example.org"]]
    assert "parent.test" in invitation.body


def test_guardian_edit_without_email_change_sends_nothing(
    director_client, guardian, django_capture_on_commit_callbacks
):
    data = guardian_data(
        guardian.family,
        first_name=guardian.first_name,
        last_name=guardian.last_name,
        email=guardian.email,
        phone="06 00 00 00 00",
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = director_client.post(reverse("guardians:edit", args=[guardian.pk]), data)

    assert response.status_code == 302
    guardian.refresh_from_db()
    assert guardian.phone == "06 00 00 00 00"
    assert guardian.user.has_usable_password()
    assert mail.outbox == []


def test_adding_an_email_to_a_guardian_sends_the_invitation(
    director_client, family, django_capture_on_commit_callbacks
):
    guardian = GuardianFactory(family=family, user=None, first_name="Luc", email="")
    data = guardian_data(
        family, first_name="Luc", last_name=guardian.last_name, email="luc@example.org"
    )

    with django_capture_on_commit_callbacks(execute=True):
        director_client.post(reverse("guardians:edit", args=[guardian.pk]), data)

    guardian.refresh_from_db()
    assert guardian.user is not None
    assert [m.to for m in mail.outbox] == [["luc@example.org"]]
    assert guardian.user.username in mail.outbox[0].body


def test_guardian_edit_page_offers_to_send_the_login_details(director_client, guardian):
    content = html(director_client.get(reverse("guardians:edit", args=[guardian.pk])))

    assert "Envoyer les identifiants" in content
    assert "parent.test" in content
    assert f'action="{reverse("guardians:send_login", args=[guardian.pk])}"' in content


def test_send_login_details(director_client, guardian, django_capture_on_commit_callbacks):
    url = reverse("guardians:send_login", args=[guardian.pk])
    confirmation = director_client.get(url)
    assert "Envoyer les identifiants" in html(confirmation)
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        response = director_client.post(url, follow=True)

    assert response.redirect_chain[0][0] == reverse("guardians:edit", args=[guardian.pk])
    assert "Identifiants envoyés à Marie DUPONT" in html(response)
    assert [m.to for m in mail.outbox] == [["parent.test@example.org"]]
    assert "parent.test" in mail.outbox[0].body
    guardian.refresh_from_db()
    assert guardian.invited_at is not None


def test_send_login_details_to_another_structure_is_not_found(
    director_client, other_guardian, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = director_client.post(reverse("guardians:send_login", args=[other_guardian.pk]))

    assert response.status_code == 404
    assert mail.outbox == []
    other_guardian.refresh_from_db()
    assert other_guardian.invited_at is None


def test_send_login_details_requires_the_csrf_token(director, guardian):
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client(enforce_csrf_checks=True)
    device = TOTPDevice.objects.create(user=director, name="test", confirmed=True)
    client.force_login(director)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    response = client.post(reverse("guardians:send_login", args=[guardian.pk]))

    assert response.status_code == 403
    assert mail.outbox == []


def test_send_login_details_without_email_explains_why(director_client, family):
    guardian = GuardianFactory(family=family, user=None, email="")

    response = director_client.post(
        reverse("guardians:send_login", args=[guardian.pk]), follow=True
    )

    assert "Ajoutez d&#x27;abord une adresse e-mail" in html(response)
    assert mail.outbox == []


# Children


def test_director_adds_a_child_to_their_family_only(director_client, family, other_family):
    data = {
        "family": family.pk,
        "first_name": "Hugo",
        "last_name": "DUPONT",
        "birth_date": "2019-09-02",
    }
    response = director_client.post(reverse("children:add"), data)
    assert response.status_code == 302
    assert Child.objects.get(first_name="Hugo").birth_date == date(2019, 9, 2)

    data.update(family=other_family.pk, first_name="Intrus")
    response = director_client.post(reverse("children:add"), data)
    assert response.status_code == 200
    assert not Child.objects.filter(first_name="Intrus").exists()


# Other roles


def test_communication_member_cannot_list_families(verified_client, family):
    setup_roles()
    user = UserFactory(username="communication.test")
    user.groups.add(Group.objects.get(name=COMMUNICATION_GROUP))
    client = verified_client(user)

    response = client.get(reverse("families:index"))
    dashboard = client.get(reverse("wagtailadmin_home"))

    assert response.status_code != 200
    assert "DUPONT" not in html(response)
    assert dashboard.status_code == 200
    assert reverse("families:index") not in html(dashboard)


def test_superuser_sees_the_families_of_every_structure(verified_client, family, other_family):
    admin = UserFactory(username="admin.test", is_superuser=True, is_staff=True)

    content = html(verified_client(admin).get(reverse("families:index")))

    assert "DUPONT" in content
    assert "BERNARD" in content


def test_families_menu_is_in_french(director_client, family):
    content = html(director_client.get(reverse("wagtailadmin_home")))

    assert "Familles" in content
    for url_name in ("structures:index", "families:index", "guardians:index", "children:index"):
        assert reverse(url_name) in content


# Roles


def _codenames(group):
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def test_setup_roles_is_idempotent_and_grants_only_what_the_admin_needs():
    setup_roles()
    direction, communication = setup_roles()

    assert Group.objects.filter(name__in=[DIRECTION_GROUP, COMMUNICATION_GROUP]).count() == 2
    granted = _codenames(direction)
    assert ("parents", "change_family") in granted
    assert ("parents", "change_structure") in granted
    assert ("parents", "add_structure") not in granted
    assert ("parents", "delete_family") not in granted
    assert not {app for app, _ in granted} & {"auth", "wagtailusers", "wagtailcore", "sites"}
    assert _codenames(communication) == {("wagtailadmin", "access_admin")}


def test_setup_roles_withdraws_permissions_no_longer_listed():
    direction, _ = setup_roles()
    direction.permissions.add(
        Permission.objects.get(content_type__app_label="parents", codename="delete_family")
    )

    out = StringIO()
    call_command("setup_roles", stdout=out)

    assert "Direction" in out.getvalue()

    assert ("parents", "delete_family") not in _codenames(direction)
    assert ("parents", "view_family") in _codenames(direction)


@pytest.mark.parametrize("url_name", ["guardians:add", "children:add"])
def test_the_family_is_chosen_in_the_chooser_not_in_a_list_of_every_family(
    director_client, family, other_family, url_name
):
    """The add forms name no family until one is chosen (a <select> of every family weighed
    megabytes at 100,000 families); the one given in the address, if in scope, is shown."""
    second = FamilyFactory(structure=family.structure, name="MARTIN", reference="MAR001")
    blank = director_client.get(reverse(url_name)).content.decode()
    assert 'data-chooser-url="/admin/familles/choisir/"' in blank
    assert "DUPONT" not in blank and "MARTIN" not in blank and other_family.name not in blank

    chosen = director_client.get(reverse(url_name), {"family": second.pk}).content.decode()
    assert "MARTIN (MAR001)" in chosen and "DUPONT" not in chosen
    assert f'name="family" value="{second.pk}"' in chosen
    other = director_client.get(reverse(url_name), {"family": other_family.pk}).content.decode()
    assert other_family.name not in other
