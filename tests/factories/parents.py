from datetime import date

import factory

from parents.models import Association, Child, Family, Guardian, Structure, User

TEST_PASSWORD = "correct-horse-battery-staple"  # noqa: S105


class AssociationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Association

    name = "Loisirs Education & Citoyenneté Grand Sud"
    short_name = "LE&C Grand Sud"
    address = "12 allée des Sports\n31490 Brax"
    siret = "42424242400017"


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    association = factory.SubFactory(AssociationFactory)
    name = factory.Sequence(lambda n: f"Commune {n}")
    slug = factory.Sequence(lambda n: f"commune-{n}")
    email = factory.Sequence(lambda n: f"alsh{n}@example.org")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(TEST_PASSWORD)


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    structure = factory.SubFactory(StructureFactory)
    reference = factory.Sequence(lambda n: f"FAM{n:04d}")
    name = factory.Sequence(lambda n: f"FAMILLE{n}")
    address_line1 = "1 rue de la Paix"
    postcode = "31490"
    city = "Brax"


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    family = factory.SubFactory(FamilyFactory)
    user = factory.SubFactory(UserFactory)
    civility = Guardian.Civility.MRS
    first_name = "Marie"
    last_name = factory.LazyAttribute(lambda g: g.family.name)
    email = factory.LazyAttribute(lambda g: g.user.email if g.user else "")


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    family = factory.SubFactory(FamilyFactory)
    first_name = factory.Sequence(lambda n: f"Enfant{n}")
    last_name = factory.LazyAttribute(lambda c: c.family.name)
    birth_date = date(2018, 6, 1)
