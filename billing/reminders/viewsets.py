"""Admin of payment reminders ("Facturation › Relances"): who was reminded when, who is due
a reminder today, paused families, and the reminder letter to print for a family without
e-mail. Families are looked up within the structures of the member of staff only.
"""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.admin import AdminPagesViewSet, PermissionRequiredMixin, admin_page
from parents.admin_views import StaffStructureMixin
from parents.models import Family

from . import services
from .forms import PauseForm
from .models import Reminder, ReminderPause

VIEW_PERMISSION = "billing.view_reminder"
SEND_PERMISSION = "billing.add_reminder"
PAUSE_PERMISSION = "billing.add_reminderpause"
FAMILIES_PER_PAGE = 50


class ReminderAdminMixin(PermissionRequiredMixin, StaffStructureMixin, WagtailAdminTemplateMixin):
    permission = VIEW_PERMISSION
    url_names = None
    header_icon = "mail"

    def families(self):
        return Family.objects.for_staff(self.request.user)

    def index_url(self, structure):
        return f"{reverse(self.url_names['index'])}?structure={structure.pk}"


class ReminderDashboardView(ReminderAdminMixin, TemplateView):
    template_name = "billing/admin/reminders/index.html"
    page_title = gettext_lazy("Payment reminders")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        structure = self.structure
        context.update(
            url_names=self.url_names,
            structures=self.structures(),
            structure=structure,
            can_send=self.request.user.has_perm(SEND_PERMISSION),
            can_pause=self.request.user.has_perm(PAUSE_PERMISSION),
            pause_form=PauseForm(),
        )
        if structure is None:
            return context
        context.update(
            settings=services.reminder_settings(structure),
            due=services.due_reminders(structure)
            if services.reminder_settings(structure).enabled
            else [],
            sent=Reminder.objects.filter(structure=structure)
            .select_related("family")
            .order_by("-sent_at")[:200],
            paused=ReminderPause.objects.filter(family__structure=structure).select_related(
                "family"
            ),
            today=timezone.localdate(),
        )
        context.update(self.families_page(structure))
        return context

    def families_page(self, structure):
        """The structure's families to pause or write to, 50 a page, found by name or
        reference: a row and a form for each of 100,000 families weighed megabytes."""
        query = self.request.GET.get("q", "").strip()
        families = Family.objects.filter(structure=structure)
        if query:
            families = families.filter(Q(name__icontains=query) | Q(reference__icontains=query))
        page = Paginator(families.order_by("name", "pk"), FAMILIES_PER_PAGE).get_page(
            self.request.GET.get("p")
        )
        return {"families": page, "query": query}


class SendDueView(ReminderAdminMixin, View):
    http_method_names = ["post"]
    permission = SEND_PERMISSION

    def post(self, request):
        structure = self.structure
        counts = services.send_payment_reminders(structures=[structure])
        messages.success(
            request,
            _("%(email)s reminder(s) e-mailed, %(letter)s letter(s) to print.")
            % {"email": counts["email"], "letter": counts["letter"]},
        )
        return redirect(self.index_url(structure))


class PauseView(ReminderAdminMixin, View):
    http_method_names = ["post"]
    permission = PAUSE_PERMISSION

    def post(self, request, family_id, action):
        family = get_object_or_404(self.families(), pk=family_id)
        if action == "pause":
            form = PauseForm(request.POST)
            if form.is_valid():
                services.pause_reminders(
                    family,
                    until=form.cleaned_data["until"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
                messages.success(
                    request, _("Reminders paused for %(family)s.") % {"family": family}
                )
            else:
                messages.error(request, _("Enter a valid date."))
        elif action == "resume":
            services.resume_reminders(family, by=request.user)
            messages.success(request, _("Reminders resumed for %(family)s.") % {"family": family})
        else:
            return HttpResponse(status=404)
        return redirect(self.index_url(family.structure))


class LetterView(ReminderAdminMixin, View):
    def get(self, request, family_id):
        family = get_object_or_404(self.families().select_related("structure"), pk=family_id)
        data = services.reminder_letter_pdf(family)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="relance-{family.reference}.pdf"'
        return response


class ReminderAdminViewSet(AdminPagesViewSet):
    name = "payment_reminders"
    url_prefix = "facturation/relances"
    icon = "mail"
    menu_label = gettext_lazy("Payment reminders")
    menu_order = 460
    add_to_admin_menu = True
    menu_permission = VIEW_PERMISSION
    pages = [
        admin_page("", "index", ReminderDashboardView),
        admin_page("envoyer/", "send", SendDueView),
        admin_page("famille/<int:family_id>/lettre/", "letter", LetterView),
        admin_page("famille/<int:family_id>/<slug:action>/", "pause", PauseView),
    ]
