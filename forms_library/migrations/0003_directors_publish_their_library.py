"""Directors edit and publish their structure's "Imprimés" page (existing libraries; new and
moved ones get the same rights from forms_library.signal_handlers)."""

from django.db import migrations

# Must match parents.roles (DIRECTION_GROUP, STRUCTURE_GROUP_SEPARATOR) and
# forms_library.signal_handlers.LIBRARY_PAGE_PERMISSIONS.
DIRECTION_GROUP_PREFIX = "Direction · "
CODENAMES = ["change_page", "publish_page"]


def grant(apps, schema_editor):
    FormsLibraryPage = apps.get_model("forms_library", "FormsLibraryPage")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    permissions = list(
        Permission.objects.filter(content_type__app_label="wagtailcore", codename__in=CODENAMES)
    )
    if not permissions:  # a new database: no library yet, the signal handler covers later ones
        return
    for page in FormsLibraryPage.objects.filter(structure__isnull=False).select_related(
        "structure"
    ):
        group, _ = Group.objects.get_or_create(
            name=f"{DIRECTION_GROUP_PREFIX}{page.structure.slug}"
        )
        for permission in permissions:
            GroupPagePermission.objects.get_or_create(
                group=group, page_id=page.pk, permission=permission
            )


class Migration(migrations.Migration):
    dependencies = [
        ("forms_library", "0002_staff_visibility"),
        ("wagtailcore", "0098_apitoken"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
