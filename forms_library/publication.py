"""Where an uploaded document is offered to families, for the admin's document pages.

Uploading a document does not show it to anyone: it appears under "Imprimés" once an entry
of a library page chooses it and the page is published. The admin says so on the document,
with links to the libraries the member of staff may edit (their structure's, for a director).
"""

from dataclasses import dataclass, field

from wagtail.permissions import page_permission_policy

from .models import CollectionPrivacy, FormsLibraryEntry, FormsLibraryPage, Visibility


@dataclass
class Publication:
    # The library pages listing the document (live or not).
    libraries: list = field(default_factory=list)
    # The libraries the user may edit, to add the document to.
    editable: list = field(default_factory=list)

    @property
    def is_listed(self):
        return bool(self.libraries)


def editable_libraries(user):
    """The "Imprimés" pages `user` may change: their structure's, for a director."""
    pages = page_permission_policy.instances_user_has_permission_for(user, "change")
    return list(
        FormsLibraryPage.objects.filter(pk__in=pages.values("pk")).select_related("structure")
    )


def document_publication(user, document):
    """The document's libraries and where the user may publish it; None for documents that
    are never for families (a staff-only collection: the certificate signature)."""
    rule = CollectionPrivacy.objects.rule_for(document.collection)
    if rule is not None and rule.visibility == Visibility.STAFF:
        return None
    library_ids = FormsLibraryEntry.objects.filter(document=document).values("page_id")
    libraries = list(FormsLibraryPage.objects.filter(pk__in=library_ids).order_by("path"))
    return Publication(libraries=libraries, editable=editable_libraries(user))
