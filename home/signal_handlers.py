"""Page permissions of the structures' Communication groups, and the front-end cache of the
API after publishing."""

from django.conf import settings
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.urls import NoReverseMatch, reverse

from wagtail.models import GroupPagePermission

from parents.roles import (
    COMMUNICATION_GROUP,
    STRUCTURE_GROUP_SEPARATOR,
    STRUCTURE_ROLES,
    structure_group,
)

# What a structure's Communication group may do on its home page and every page below it.
PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]


def sync_page_permissions(page):
    """Give the page's structure's Communication group its rights on the page's subtree, and
    withdraw those of other structures' groups (the structure may have changed). Idempotent."""
    group = structure_group(COMMUNICATION_GROUP, page.structure)
    wanted = set()
    for codename in PAGE_PERMISSIONS:
        permission = Permission.objects.get(
            content_type__app_label="wagtailcore", codename=codename
        )
        row, _ = GroupPagePermission.objects.get_or_create(
            group=group, page_id=page.pk, permission=permission
        )
        wanted.add(row.pk)
    prefixes = Q()
    for role in STRUCTURE_ROLES:
        prefixes |= Q(group__name__startswith=f"{role}{STRUCTURE_GROUP_SEPARATOR}")
    GroupPagePermission.objects.filter(prefixes, page_id=page.pk).exclude(pk__in=wanted).delete()


def on_structure_home_page_saved(sender, instance, **kwargs):
    if instance.pk and instance.alias_of_id is None:
        sync_page_permissions(instance)


def purge_api_after_publishing(sender, instance, **kwargs):
    """Wagtail purges the page's own URLs; the API's listing and detail of it go too, and
    the parent page, whose listings (structures, news) may show it."""
    if not getattr(settings, "WAGTAILFRONTENDCACHE", None):
        return
    from wagtail.contrib.frontend_cache.utils import PurgeBatch

    site = instance.get_site()
    if site is None:
        return
    batch = PurgeBatch()
    try:
        batch.add_url(site.root_url + reverse("wagtailapi:pages:listing"))
        batch.add_url(site.root_url + reverse("wagtailapi:pages:detail", args=[instance.pk]))
    except NoReverseMatch:  # the API is not routed: nothing of it can be cached
        pass
    parent = instance.get_parent()
    if parent is not None and parent.depth > 1:
        batch.add_page(parent)
    batch.purge()
