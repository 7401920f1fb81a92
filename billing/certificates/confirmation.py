"""The confirmation step before publishing a year's certificates.

Publishing is final (a published certificate is only ever replaced by a correction, and the
families are e-mailed), so the button on the dashboard opens a page that says how many
certificates will be published, for which year and structure, and asks to confirm. For the
current year, whose payments are not over until 31 December, it warns and asks for an
explicit extra confirmation: certificates published in December would miss the payments
still to come.
"""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .models import Certificate


class PublicationConfirmForm(forms.Form):
    confirm = forms.BooleanField(widget=forms.HiddenInput, error_messages={"required": ""})
    year_not_over = forms.BooleanField(
        label=_("I know this year is not over, and publish its certificates anyway."),
        required=False,
    )

    def __init__(self, *args, year_is_current=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.year_is_current = year_is_current
        if not year_is_current:
            del self.fields["year_not_over"]

    def clean(self):
        cleaned_data = super().clean()
        if self.year_is_current and not cleaned_data.get("year_not_over"):
            self.add_error(
                "year_not_over",
                _("The year is not over: tick this box to publish its certificates now."),
            )
        return cleaned_data


def publication_counts(structure, year):
    """What publishing would do: drafts published now, flagged ones held for review."""
    drafts = Certificate.objects.filter(
        structure=structure, year=year, status=Certificate.Status.DRAFT
    )
    held = Q(flagged=True, reviewed_at__isnull=True)
    return {"ready": drafts.exclude(held).count(), "held": drafts.filter(held).count()}


class ConfirmationPage(WagtailAdminTemplateMixin, TemplateView):
    template_name = "billing/certificates_publish_confirm.html"
    page_title = _("Publish the certificates")
    header_icon = "doc-full"


class PublicationConfirmationMixin:
    """For the publish view: GET shows the confirmation page; its POST handler publishes
    only when `unconfirmed()` is None, else answers with the page and its errors."""

    http_method_names = ["get", "post"]

    def get(self, request):
        structure, year = self.get_structure_and_year(request.GET)
        return self.confirmation_page(structure, year, self.confirmation_form(year))

    def unconfirmed(self, structure, year):
        """The confirmation page again when the posted form is not confirmed, else None."""
        form = self.confirmation_form(year, self.request.POST)
        if form.is_valid():
            return None
        return self.confirmation_page(structure, year, form)

    def confirmation_form(self, year, data=None):
        year_is_current = year >= timezone.localdate().year
        return PublicationConfirmForm(
            data, initial={"confirm": True}, year_is_current=year_is_current
        )

    def confirmation_page(self, structure, year, form):
        page = ConfirmationPage()
        page.setup(self.request)
        page.extra_context = {
            "structure": structure,
            "year": year,
            "form": form,
            "counts": publication_counts(structure, year),
            "publication_date": structure.certificate_publication_date(year),
            "dashboard_url": self.dashboard_url(structure, year),
            "publish_url_name": self.url_names["publish"],
        }
        return page.render_to_response(page.get_context_data())
