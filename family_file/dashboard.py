"""The family file's panel of the admin's home page: supporting documents to check, in the
structures of the member of staff."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from core.admin import HomePanel
from core.dashboard import count_lines, counts_by_structure

from .admin_views import DOCUMENTS_PERMISSION
from .models import SupportingDocument


def documents_panel(user):
    if not user.has_perm(DOCUMENTS_PERMISSION):
        return None
    pending = SupportingDocument.objects.for_staff(user).filter(
        status=SupportingDocument.Status.PENDING
    )
    return HomePanel(
        "documents_to_check",
        _("Documents to check"),
        count_lines(
            counts_by_structure(pending, "family__structure"),
            ngettext_lazy("%(count)s document to check", "%(count)s documents to check", "count"),
        ),
        reverse("family_file_documents:index"),
        _("Documents to check"),
        order=50,
    )
