"""The family's side of direct debit: sign a mandate online, download it, ask to stop.

Every mandate is found through the logged-in guardian's family; another family's mandate
is a 404. The IBAN typed is never shown back once the mandate is recorded.
"""

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, View

from axes.helpers import get_client_ip_address

from core.storage import private_file_response
from parents.views import FamilyAreaMixin

from ..ledger.services import BillingError
from . import services
from .forms import MandateSignatureForm, add_validation_errors
from .models import Mandate

logger = logging.getLogger(__name__)


@method_decorator(sensitive_post_parameters("iban", "bic"), name="dispatch")
class DirectDebitView(FamilyAreaMixin, FormView):
    """ "Prélèvement automatique": the family's mandate, or the form to sign one."""

    template_name = "billing/direct_debit/mandate.html"
    form_class = MandateSignatureForm
    menu_url_name = "billing:account"
    page_title = _("Automatic debit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        dd_settings = services.direct_debit_settings(self.structure)
        mandate = services.current_mandate(self.family)
        context.update(
            settings=dd_settings,
            offered=dd_settings.is_ready,
            mandate=mandate,
            past_mandates=Mandate.objects.for_family(self.family).filter(
                status=Mandate.Status.REVOKED
            )[:5],
            next_debit=services.next_debit(self.family),
            creditor_name=dd_settings.creditor_display_name,
            active_tab="account",
        )
        return context

    def post(self, request, *args, **kwargs):
        if services.current_mandate(self.family) is not None:
            messages.info(request, _("Your family already has a mandate."))
            return redirect("billing:direct-debit")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            services.sign_mandate(
                self.family,
                holder_name=form.cleaned_data["holder_name"],
                iban=form.cleaned_data["iban"],
                bic=form.cleaned_data["bic"],
                consent=form.cleaned_data["consent"],
                user=self.request.user,
                ip_address=get_client_ip_address(self.request),
            )
        except ValidationError as exc:
            add_validation_errors(form, exc)
            # The IBAN typed is not sent back into the page unless it must be corrected.
            return self.form_invalid(form)
        messages.success(
            self.request,
            _(
                "Your mandate is signed. Download it below and keep it; direct debit starts "
                "once the leisure centre has validated it."
            ),
        )
        return redirect("billing:direct-debit")


def mandate_pdf_response(mandate):
    """The signed mandate as a PDF download (the family's and the director's), stored on
    first request when it was not yet."""
    if not mandate.pdf or not mandate.pdf.storage.exists(mandate.pdf.name):
        services.store_mandate_pdf(mandate)
        mandate.save(update_fields=["pdf"])
    return private_file_response(
        mandate.pdf,
        filename=f"mandat-{mandate.reference}.pdf",
        content_type="application/pdf",
    )


class MandatePdfView(FamilyAreaMixin, View):
    def get(self, request, pk):
        mandate = Mandate.objects.for_family(self.family).filter(pk=pk).first()
        if mandate is None:
            logger.warning("Denied mandate %s to user %s", pk, request.user.pk)
            raise Http404
        return mandate_pdf_response(mandate)


class MandateStopView(FamilyAreaMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        mandate = services.current_mandate(self.family)
        if mandate is None:
            raise Http404
        try:
            services.request_mandate_stop(mandate, user=request.user)
        except BillingError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(
                request,
                _("Your request is recorded: no further debit will be made on this mandate."),
            )
        return redirect("billing:direct-debit")


def account_direct_debit(family):
    """What the account page shows about direct debit: the mandate in force, and the next
    debit (announced, or the next scheduled date with today's balance).
    """
    dd_settings = services.direct_debit_settings(family.structure, read_only=True)
    # No settings row, no mandate: one is only ever created once the ICS is set.
    mandate = services.current_mandate(family) if dd_settings.pk else None
    active = mandate is not None and mandate.is_active and not mandate.stop_requested_at
    result = {"offered": dd_settings.is_ready, "mandate": mandate, "active": active}
    if active:
        announced = services.next_debit(family)
        if announced is not None:
            result.update(next_date=announced.batch.collection_date, next_amount=announced.amount)
        else:
            result.update(next_date=services.next_collection_date(dd_settings), next_amount=None)
        result["minimum"] = dd_settings.minimum_amount
    return result
