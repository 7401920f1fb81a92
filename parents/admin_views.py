"""Admin views for structures, families, guardians and children, scoped to the staff member.

Every view that reaches an object by primary key does so through `scope(user)`, the queryset
of what this member of staff may see (all for superusers, their own structures' otherwise),
so an object of another structure answers 404 whatever the URL typed.
"""

from django.contrib.admin.utils import quote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from wagtail.admin import messages
from wagtail.admin.filters import ContentTypeFilter
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.views.reports.audit_logging import LogEntriesView, SiteHistoryReportFilterSet
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.log_actions import registry as log_action_registry

from core.admin import (
    ScopedCreateView,
    ScopedEditView,
    ScopedIndexView,
    SelectedStructureMixin,
    StaffScopedMixin,
)

from .log_scopes import viewable_log_entries
from .models import Family, Guardian, Structure, User
from .services import invite_guardian, update_guardian_email


class StaffStructureMixin(SelectedStructureMixin):
    """Pages about one of the structures the member of staff runs, offered by name."""

    def structures(self):
        return Structure.objects.for_staff(self.request.user).order_by("name")


class FamilyPrefillMixin:
    """Pre-selects the family given as `?family=<pk>` (links from a family's page or its
    statement), if in scope."""

    def get_initial(self):
        initial = super().get_initial()
        family_id = self.request.GET.get("family", "")
        if family_id.isdigit():
            family = Family.objects.for_staff(self.request.user).filter(pk=family_id).first()
            if family is not None:
                initial["family"] = family.pk
        return initial


class FamilyIndexView(ScopedIndexView):
    def get_base_queryset(self):
        if "guardian_count" in self.request.GET.get("ordering", ""):
            # Sorted by it, every family's count is needed: one grouped join is then
            # cheaper than a lookup per family. Grouped by the family's key alone: joining
            # the structure too made PostgreSQL sort 100,000 rows on both keys first; the
            # page's few structures are read in a second query instead.
            return (
                super()
                .get_base_queryset()
                .prefetch_related("structure")
                .annotate(guardian_count=Count("guardians"))
            )
        # A correlated count rather than a JOIN and GROUP BY: the page's own count of
        # families then leaves it out, and only the page's rows compute it.
        guardians = (
            Guardian.objects.filter(family=OuterRef("pk"))
            .order_by()
            .values("family")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return (
            super()
            .get_base_queryset()
            .select_related("structure")
            .annotate(guardian_count=Coalesce(Subquery(guardians), 0))
        )


class ChildIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("family")


class GuardianIndexView(ScopedIndexView):
    send_login_url_name = None

    def get_base_queryset(self):
        return super().get_base_queryset().select_related("family", "user")

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.send_login_url_name and instance.email and self.user_has_permission("change"):
            buttons.append(
                MenuItem(
                    _("Send the login details"),
                    url=reverse(self.send_login_url_name, args=(quote(instance.pk),)),
                    icon_name="mail",
                    priority=25,
                )
            )
        return buttons


class GuardianCreateView(FamilyPrefillMixin, ScopedCreateView):
    """Saving a guardian with an address sends them their login (the user manual's promise)."""

    def save_instance(self):
        guardian = super().save_instance()
        if guardian.email:
            invite_guardian(guardian, by=self.request.user)
        return guardian


class GuardianEditView(ScopedEditView):
    """A changed address goes through `update_guardian_email`, which decides the login's fate.

    The service compares with the login's own address, so it sees the change even though the
    guardian row is saved first; the old value read here only spares a call when nothing moved.
    """

    send_login_url_name = None

    def save_instance(self):
        old_email = Guardian.objects.filter(pk=self.object.pk).values_list("email", flat=True)[0]
        guardian = super().save_instance()
        if guardian.email != old_email:
            update_guardian_email(guardian, guardian.email, by=self.request.user)
        return guardian

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.send_login_url_name:
            context["send_login_url"] = reverse(
                self.send_login_url_name, args=(quote(self.object.pk),)
            )
        return context


class ChildCreateView(FamilyPrefillMixin, ScopedCreateView):
    pass


class SendLoginDetailsView(
    StaffScopedMixin,
    PermissionCheckedMixin,
    BaseObjectMixin,
    WagtailAdminTemplateMixin,
    TemplateView,
):
    """ "Envoyer les identifiants": (re)sends a guardian their identifiant and a password link.

    GET shows a confirmation, POST sends; the object is looked up in scope before any
    permission check, so another structure's guardian is a 404.
    """

    model = Guardian
    permission_required = "change"
    template_name = "parents/admin/send_login.html"
    page_title = gettext_lazy("Send the login details")
    header_icon = "mail"
    edit_url_name = None

    def get_base_object_queryset(self):
        return self.get_scoped_queryset().select_related("user", "family")

    def get_page_subtitle(self):
        return str(self.object)

    @cached_property
    def edit_url(self):
        return reverse(self.edit_url_name, args=(quote(self.object.pk),))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(guardian=self.object, edit_url=self.edit_url)
        return context

    def post(self, request, *args, **kwargs):
        guardian = self.object
        if not guardian.email:
            messages.error(
                request, _("Add an email address first: the login details are sent to it.")
            )
            return redirect(self.edit_url)
        invite_guardian(guardian, by=request.user)
        messages.success(
            request,
            _("Login details sent to %(name)s at %(email)s.")
            % {"name": guardian.full_name, "email": guardian.email},
        )
        return redirect(self.edit_url)


def _viewable_log_entries(request, log_model):
    """`viewable_log_entries`, built once per request: the report asks for each log model's
    entries four times (the rows, then the types, actions and users its filters offer), and
    each build resolves an EXISTS for every scoped model (most of the page's CPU time)."""
    built = request.__dict__.setdefault("_viewable_log_entries", {})
    if log_model not in built:
        built[log_model] = viewable_log_entries(log_model, request.user)
    return built[log_model]


class ScopedSiteHistoryFilterSet(SiteHistoryReportFilterSet):
    """The site history's filters, offering only users, types and actions of readable entries."""

    object_type = ContentTypeFilter(
        label=gettext_lazy("Type"),
        method="filter_object_type",
        queryset=lambda request: ContentType.objects.filter(
            pk__in={
                pk
                for log_model in log_action_registry.get_log_entry_models()
                for pk in _viewable_log_entries(request, log_model).get_content_type_ids()
            }
        ).order_by("model"),
    )

    def get_action_choices(self):
        actions = set()
        for log_model in log_action_registry.get_log_entry_models():
            actions.update(_viewable_log_entries(self.request, log_model).get_actions())
        return [choice for choice in log_action_registry.get_choices() if choice[0] in actions]

    def get_user_choices(self):
        user_ids = set()
        for log_model in log_action_registry.get_log_entry_models():
            user_ids.update(_viewable_log_entries(self.request, log_model).get_user_ids())
        return User.objects.filter(pk__in=user_ids).order_by(User.USERNAME_FIELD)

    class Meta(SiteHistoryReportFilterSet.Meta):
        pass


class ScopedSiteHistoryView(LogEntriesView):
    """Wagtail's "Site history" report (page, CSV and XLSX), limited to readable entries.

    Wagtail's view is kept whole (filters, export, decoration); only the per-model querysets
    it unions go through `viewable_log_entries`, so a director reads the history of their
    own structures' objects and pages, nothing else.
    """

    filterset_class = ScopedSiteHistoryFilterSet

    def get_filtered_queryset(self):
        self.log_models = list(log_action_registry.get_log_entry_models())
        queryset = None
        for index, log_model in enumerate(self.log_models):
            sub_queryset = (
                _viewable_log_entries(self.request, log_model)
                .values("pk", "timestamp")
                .annotate(log_model_index=Value(index, output_field=IntegerField()))
            )
            sub_queryset = self.filter_queryset(sub_queryset).order_by()
            queryset = sub_queryset if queryset is None else queryset.union(sub_queryset, all=True)
        return queryset.order_by("-timestamp")


class SuperuserOnlyMixin:
    """For Wagtail reports that cannot be narrowed to a structure: superusers only."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SuperuserPageTypesUsageView(SuperuserOnlyMixin, PageTypesUsageReportView):
    """ "Page types usage" names the last edited page of each type across all structures."""
