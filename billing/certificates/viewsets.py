"""Admin of the yearly certificates ("Facturation › Attestations").

One page per structure and year: generate (a background task, with its progress), review
the flagged cases, publish. Every object is looked up within the structures of the member
of staff, so another structure's certificate or run is a 404; every change goes through
`billing.certificates.services`.

Wiring (in `billing/wagtail_hooks.py`): register `CertificateAdminViewSet()` with
`register_admin_viewset`, and call `register_certificate_log_actions(actions)` from the
`register_log_actions` hook.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from core.admin import permission_menu_item
from core.dates import format_date
from core.storage import private_file_response
from parents.models import Structure

from .confirmation import PublicationConfirmationMixin
from .forms import ConvertToPaymentForm
from .models import Certificate, CertificateRun
from .services import (
    CertificateError,
    conversion_refusal,
    convert_to_payment_attestation,
    publish_attestations,
    review_attestation,
)
from .tasks import generate_attestations_task
from .views import describe_child

VIEW_PERMISSION = "billing.view_certificate"
GENERATE_PERMISSION = "billing.add_certificate"
PUBLISH_PERMISSION = "billing.change_certificate"


def certificate_permissions():
    """What the Direction group needs here, as (app_label, codename)."""
    return [
        ("billing", "view_certificate"),
        ("billing", "add_certificate"),
        ("billing", "change_certificate"),
    ]


def register_certificate_log_actions(actions):
    actions.register_action(
        "billing.issue_attestation", _("Generate certificate"), _("Certificate generated")
    )
    actions.register_action(
        "billing.generate_attestations",
        _("Generate certificates"),
        _("Yearly certificates generated"),
    )
    actions.register_action(
        "billing.review_attestation", _("Review certificate"), _("Certificate reviewed")
    )
    actions.register_action(
        "billing.convert_attestation",
        _("Issue as a payment certificate"),
        _("Certificate issued as a payment certificate"),
    )
    actions.register_action(
        "billing.publish_attestation", _("Publish certificate"), _("Certificate published")
    )
    actions.register_action(
        "billing.publish_attestations",
        _("Publish certificates"),
        _("Yearly certificates published"),
    )
    actions.register_action(
        "billing.discard_attestation", _("Discard certificate"), _("Draft certificate discarded")
    )


def default_year():
    """Certificates are made in spring for the payments of the past calendar year."""
    return timezone.localdate().year - 1


def convertible(certificate):
    """Whether to offer "Issue as a payment certificate" for this certificate."""
    return not certificate.is_converted and not conversion_refusal(certificate)


class CertificatePermissionMixin:
    permission_required = VIEW_PERMISSION
    url_names = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission_required):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def structures(self):
        return Structure.objects.for_staff(self.request.user).order_by("name")

    def dashboard_url(self, structure, year):
        query = urlencode({"structure": structure.pk, "year": year})
        return f"{reverse(self.url_names['index'])}?{query}"


class CertificateDashboardView(CertificatePermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """A structure's certificates for a year: counts, runs, flagged cases, actions."""

    template_name = "billing/certificates_admin.html"
    page_title = gettext_lazy("Yearly certificates")
    header_icon = "doc-full"

    @cached_property
    def structure(self):
        structures = self.structures()
        wanted = self.request.GET.get("structure")
        if wanted:
            return get_object_or_404(structures, pk=wanted if wanted.isdigit() else 0)
        return structures.first()

    @cached_property
    def year(self):
        try:
            year = int(self.request.GET.get("year", default_year()))
        except ValueError:
            year = default_year()
        return min(max(year, 2000), timezone.localdate().year)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        structure, year = self.structure, self.year
        context.update(
            structures=self.structures(),
            structure=structure,
            year=year,
            years=range(timezone.localdate().year, timezone.localdate().year - 6, -1),
            can_generate=self.request.user.has_perm(GENERATE_PERMISSION),
            can_publish=self.request.user.has_perm(PUBLISH_PERMISSION),
            url_names=self.url_names,
        )
        if structure is None:
            return context
        certificates = Certificate.objects.filter(structure=structure, year=year)
        flagged = list(
            certificates.filter(status=Certificate.Status.DRAFT, flagged=True).select_related(
                "family", "reviewed_by"
            )
        )
        for certificate in flagged:
            certificate.can_convert = convertible(certificate)
        context.update(
            counts=certificates.aggregate(
                drafts=Count("pk", filter=Q(status=Certificate.Status.DRAFT)),
                published=Count("pk", filter=Q(status=Certificate.Status.PUBLISHED)),
                replaced=Count("pk", filter=Q(status=Certificate.Status.REPLACED)),
                care=Sum("care_amount", filter=Q(status=Certificate.Status.PUBLISHED)),
            ),
            flagged=flagged,
            runs=CertificateRun.objects.filter(structure=structure, year=year)[:5],
            publication_date=structure.certificate_publication_date(year),
            recent=certificates.exclude(status=Certificate.Status.REPLACED)
            .select_related("family")
            .order_by("family__name", "payer_key", "kind")[:200],
        )
        return context


class StructureYearActionMixin(CertificatePermissionMixin):
    """POST actions on a structure and year chosen in the dashboard's form."""

    http_method_names = ["post"]

    def get_structure_and_year(self, data=None):
        data = self.request.POST if data is None else data
        structure = get_object_or_404(self.structures(), pk=data.get("structure") or 0)
        try:
            year = int(data.get("year", ""))
        except ValueError:
            raise Http404 from None
        if not 2000 <= year <= timezone.localdate().year:
            raise Http404
        return structure, year


class GenerateView(StructureYearActionMixin, View):
    permission_required = GENERATE_PERMISSION

    def post(self, request):
        structure, year = self.get_structure_and_year()
        running = CertificateRun.objects.filter(
            structure=structure,
            year=year,
            status__in=[CertificateRun.Status.QUEUED, CertificateRun.Status.RUNNING],
        ).first()
        if running is not None:
            messages.warning(request, _("A generation of these certificates is already running."))
            return redirect(self.url_names["run"], running.pk)
        run = CertificateRun.objects.create(
            structure=structure,
            year=year,
            created_by=request.user,
            total=structure.families.count(),
        )

        def enqueue():
            result = generate_attestations_task.enqueue(run.pk)
            CertificateRun.objects.filter(pk=run.pk).update(task_id=str(result.id))

        transaction.on_commit(enqueue)
        return redirect(self.url_names["run"], run.pk)


class PublishView(PublicationConfirmationMixin, StructureYearActionMixin, View):
    permission_required = PUBLISH_PERMISSION

    def post(self, request):
        structure, year = self.get_structure_and_year()
        if (confirmation_page := self.unconfirmed(structure, year)) is not None:
            return confirmation_page
        summary = publish_attestations(structure, year, by=request.user)
        messages.success(
            request,
            _(
                "%(published)s certificates published (%(replaced)s corrected ones "
                "replaced); parents see them from %(date)s."
            )
            % {
                "published": summary.published,
                "replaced": summary.replaced,
                "date": format_date(summary.visible_from),
            },
        )
        if summary.held:
            messages.warning(
                request,
                _("%(held)s flagged certificates wait for your review before publication.")
                % {"held": summary.held},
            )
        return redirect(self.dashboard_url(structure, year))


class ReviewView(CertificatePermissionMixin, View):
    permission_required = PUBLISH_PERMISSION
    http_method_names = ["post"]

    def post(self, request, pk):
        certificate = get_object_or_404(
            Certificate.objects.for_staff(request.user), pk=pk, status=Certificate.Status.DRAFT
        )
        review_attestation(certificate, by=request.user)
        messages.success(
            request,
            _("Certificate %(number)s reviewed: it will be published with the others.")
            % {"number": certificate.number},
        )
        return redirect(self.dashboard_url(certificate.structure, certificate.year))


class ConvertView(CertificatePermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """Issue a flagged tax-credit certificate as a payment certificate, with a reason.

    The page is the confirmation step: it says what changes and asks for the reason.
    """

    permission_required = PUBLISH_PERMISSION
    template_name = "billing/certificates_admin_convert.html"
    header_icon = "doc-full"
    page_title = gettext_lazy("Issue as a payment certificate")

    @cached_property
    def certificate(self):
        return get_object_or_404(
            Certificate.objects.for_staff(self.request.user).select_related("family", "structure"),
            pk=self.kwargs["pk"],
        )

    def get_page_subtitle(self):
        return self.certificate.number

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            certificate=self.certificate,
            refusal=conversion_refusal(self.certificate),
            form=kwargs.get("form") or ConvertToPaymentForm(),
            inspect_url=reverse(self.url_names["inspect"], args=(self.certificate.pk,)),
        )
        return context

    def post(self, request, pk):
        certificate = self.certificate
        form = ConvertToPaymentForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            convert_to_payment_attestation(
                certificate, form.cleaned_data["reason"], by=request.user
            )
        except CertificateError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(self.url_names["inspect"], certificate.pk)
        messages.success(
            request,
            _(
                "Certificate %(number)s will be issued as a payment certificate; it will be "
                "published with the others."
            )
            % {"number": certificate.number},
        )
        return redirect(self.dashboard_url(certificate.structure, certificate.year))


class RunView(CertificatePermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """The progress of a generation; the page polls `RunStatusView` while it runs."""

    template_name = "billing/certificates_admin_run.html"
    page_title = gettext_lazy("Certificate generation")
    header_icon = "doc-full"

    @cached_property
    def run(self):
        return get_object_or_404(
            CertificateRun.objects.filter(structure__in=self.structures()).select_related(
                "structure"
            ),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.run
        context.update(
            run=run,
            url_names=self.url_names,
            status_url=reverse(self.url_names["run_status"], args=(run.pk,)),
            dashboard_url=self.dashboard_url(run.structure, run.year),
            flagged=Certificate.objects.filter(
                structure=run.structure,
                year=run.year,
                status=Certificate.Status.DRAFT,
                flagged=True,
                reviewed_at__isnull=True,
            ).select_related("family"),
        )
        return context


class RunStatusView(RunView):
    def get(self, request, *args, **kwargs):
        run = self.run
        return JsonResponse(
            {
                "status": run.status,
                "status_label": str(run.get_status_display()),
                "total": run.total,
                "done": run.done,
                "percent": run.percent,
                "generated": run.generated,
                "unchanged": run.unchanged,
                "flagged": run.flagged,
                "finished": run.is_finished,
                "error": run.error,
            }
        )


class CertificateInspectView(CertificatePermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """A certificate as the family sees its "Détail du calcul", with the review state."""

    template_name = "billing/certificates_admin_detail.html"
    header_icon = "doc-full"

    @cached_property
    def certificate(self):
        return get_object_or_404(
            Certificate.objects.for_staff(self.request.user).select_related(
                "family", "structure", "superseded_by", "reviewed_by", "converted_by"
            ),
            pk=self.kwargs["pk"],
        )

    def get_page_title(self):
        return str(self.certificate)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        certificate = self.certificate
        context.update(
            certificate=certificate,
            children=[describe_child(child) for child in certificate.content["children"]],
            year=certificate.year,
            can_publish=self.request.user.has_perm(PUBLISH_PERMISSION),
            can_convert=convertible(certificate),
            url_names=self.url_names,
            dashboard_url=self.dashboard_url(certificate.structure, certificate.year),
        )
        return context


class CertificatePdfAdminView(CertificatePermissionMixin, View):
    def get(self, request, pk):
        certificate = get_object_or_404(Certificate.objects.for_staff(request.user), pk=pk)
        if not certificate.pdf or not certificate.pdf.storage.exists(certificate.pdf.name):
            raise Http404
        return private_file_response(
            certificate.pdf,
            filename=f"attestation-{certificate.number}.pdf",
            content_type="application/pdf",
        )


class CertificateAdminViewSet(ViewSet):
    """The "Attestations" admin pages, under the billing menu's URL space."""

    name = "certificates"
    url_prefix = "facturation/attestations"
    icon = "doc-full"
    menu_label = gettext_lazy("Yearly certificates")
    menu_order = 500
    add_to_admin_menu = True

    menu_item_class = permission_menu_item(VIEW_PERMISSION)

    @property
    def url_names(self):
        return {
            name: self.get_url_name(name)
            for name in (
                "index",
                "generate",
                "publish",
                "review",
                "convert",
                "run",
                "run_status",
                "inspect",
                "pdf",
            )
        }

    def get_urlpatterns(self):
        views = {
            "": ("index", CertificateDashboardView),
            "generer/": ("generate", GenerateView),
            "publier/": ("publish", PublishView),
            "<int:pk>/verifier/": ("review", ReviewView),
            "<int:pk>/attestation-de-paiement/": ("convert", ConvertView),
            "generation/<int:pk>/": ("run", RunView),
            "generation/<int:pk>/etat/": ("run_status", RunStatusView),
            "<int:pk>/": ("inspect", CertificateInspectView),
            "<int:pk>/pdf/": ("pdf", CertificatePdfAdminView),
        }
        return [
            path(route, view.as_view(url_names=self.url_names), name=name)
            for route, (name, view) in views.items()
        ]
