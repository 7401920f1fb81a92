"""Keeping derived state in step: structure groups' collection permissions, the directors'
rights on their structure's library page, the library's structure after a move, and the
front-end cache after documents or their privacy change."""

from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import NoReverseMatch, reverse

from wagtail.models import GroupCollectionPermission, GroupPagePermission, Site

from parents.roles import (
    COMMUNICATION_GROUP,
    DIRECTION_GROUP,
    in_structure_groups,
    structure_group,
)

from .models import FormsLibraryPage, structure_id_of_parent

# Per-structure groups' rights on the structure's collections (and their sub-collections).
COLLECTION_PERMISSIONS = {
    COMMUNICATION_GROUP: [
        ("wagtaildocs", "add_document"),
        ("wagtaildocs", "change_document"),
        ("wagtaildocs", "choose_document"),
        ("wagtailimages", "add_image"),
        ("wagtailimages", "change_image"),
        ("wagtailimages", "choose_image"),
        ("wagtailcore", "add_collection"),
    ],
    DIRECTION_GROUP: [
        ("wagtaildocs", "add_document"),
        ("wagtaildocs", "change_document"),
        ("wagtaildocs", "choose_document"),
        # The certificate signature is an image the director uploads and chooses.
        ("wagtailimages", "add_image"),
        ("wagtailimages", "change_image"),
        ("wagtailimages", "choose_image"),
    ],
}


# What a structure's Direction group may do on the structure's "Imprimés" page: edit its
# entries and publish them. Not add pages (a library has none below it), not delete it.
LIBRARY_PAGE_PERMISSIONS = ["change_page", "publish_page"]


def sync_library_permissions(page):
    """Let the directors of the library's structure edit and publish it, and no other
    structure's group. The association-wide library (no structure) stays with superusers and
    the groups given rights on it in the admin. Idempotent."""
    wanted = set()
    if page.structure_id is not None:
        group = structure_group(DIRECTION_GROUP, page.structure)
        for codename in LIBRARY_PAGE_PERMISSIONS:
            permission = Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            )
            row, _ = GroupPagePermission.objects.get_or_create(
                group=group, page_id=page.pk, permission=permission
            )
            wanted.add(row.pk)
    rows = GroupPagePermission.objects.filter(in_structure_groups(), page_id=page.pk)
    rows.exclude(pk__in=wanted).delete()


def on_library_saved(sender, instance, **kwargs):
    if instance.pk and instance.alias_of_id is None:
        sync_library_permissions(instance)


def sync_collection_permissions(rule):
    """Give the structure's Communication and Direction groups their rights on the rule's
    collection, and withdraw those of any other structure's groups. Idempotent."""
    wanted = set()
    if rule.structure_id is not None:
        for role, pairs in COLLECTION_PERMISSIONS.items():
            group = structure_group(role, rule.structure)
            for app_label, codename in pairs:
                permission = Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
                row, _ = GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=rule.collection, permission=permission
                )
                wanted.add(row.pk)
    _structure_group_rows(rule.collection).exclude(pk__in=wanted).delete()


def _structure_group_rows(collection):
    return GroupCollectionPermission.objects.filter(in_structure_groups(), collection=collection)


def on_privacy_saved(sender, instance, **kwargs):
    sync_collection_permissions(instance)
    purge_collection(instance.collection)


def on_privacy_deleted(sender, instance, **kwargs):
    _structure_group_rows(instance.collection).delete()
    purge_collection(instance.collection)


def on_library_moved(sender, instance, **kwargs):
    # Wagtail saves a moved page as a plain Page, without FormsLibraryPage.save().
    FormsLibraryPage.objects.filter(pk=instance.pk).update(
        structure_id=structure_id_of_parent(instance)
    )
    sync_library_permissions(FormsLibraryPage.objects.get(pk=instance.pk))


def on_document_changed(sender, instance, **kwargs):
    purge_documents([instance])


def purge_collection(collection):
    from wagtail.documents import get_document_model

    # Read the path afresh: sibling collections are kept in name order, so inserting one
    # moves the others' paths under instances already in memory.
    path = type(collection).objects.filter(pk=collection.pk).values_list("path", flat=True).first()
    if path is not None:
        purge_documents(get_document_model().objects.filter(collection__path__startswith=path))


def purge_documents(documents):
    """Purge what shows these documents from the front-end cache, when one is configured:
    their download URLs, the documents API, and the live libraries listing them with the
    home pages above (their news)."""
    if not getattr(settings, "WAGTAILFRONTENDCACHE", None):
        return
    from wagtail.contrib.frontend_cache.utils import PurgeBatch

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return
    batch = PurgeBatch()
    documents = list(documents)
    for document in documents:
        batch.add_url(site.root_url + document.url)
    batch.add_urls(site.root_url + path for path in _api_paths(documents))
    pages = FormsLibraryPage.objects.live().filter(
        entries__document__in=[document.pk for document in documents]
    )
    for page in pages.distinct():
        batch.add_page(page)
        batch.add_page(page.get_parent())
    batch.purge()


def _api_paths(documents):
    try:
        paths = [reverse("wagtailapi:documents:listing")]
    except NoReverseMatch:  # no API routed: nothing of it can be cached
        return []
    paths += [reverse("wagtailapi:documents:detail", args=[doc.pk]) for doc in documents]
    return paths
