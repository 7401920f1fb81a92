"""Which audit-log entries a member of staff may read: those about objects they may see.

Wagtail's site history lists every `ModelLogEntry` whose model the user has any permission
on, whatever the structure: a Brax director would read Lévignac's invoice numbers, family
names and booking dates there. Each app therefore says, for each model it logs, which
objects a user may see, through the `register_log_scopes` hook (in its `wagtail_hooks.py`):

    @hooks.register("register_log_scopes")
    def invoice_log_scopes():
        return {Invoice: Invoice.objects.for_staff}

`parents` never imports the apps that depend on it. For anyone but a superuser, an entry
is shown only if its model has a scope and its object is in that scope: models nobody
registered, and objects deleted since, stay hidden (fail closed).
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Case, Exists, F, OuterRef, Q, When
from django.db.models.functions import Cast

from wagtail import hooks

LOG_SCOPES_HOOK = "register_log_scopes"


def log_scopes():
    """{model: callable(user) -> queryset of the objects whose log entries the user may read}."""
    scopes = {}
    for hook in hooks.get_hooks(LOG_SCOPES_HOOK):
        scopes.update(hook())
    return scopes


def scope_log_entries(queryset, user):
    """Narrow a queryset of Wagtail `ModelLogEntry` rows to what `user` may read."""
    if user.is_superuser:
        return queryset
    # object_id is text in the log table. Each entry's object is looked up by its key
    # (the text read as a number, when it is one as Wagtail writes them): comparing it
    # with every key in scope cast to text hashed millions of invoices and payments for
    # each query of the page (56 s at 100,000 families).
    queryset = queryset.annotate(
        log_object_key=Cast(
            Case(When(object_id__regex=r"^[1-9][0-9]{0,17}$", then=F("object_id"))),
            BigIntegerField(),
        )
    )
    condition = Q(pk__in=[])
    for model, scope in log_scopes().items():
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        in_scope = scope(user).order_by().filter(pk=OuterRef("log_object_key"))
        condition |= Q(content_type=content_type) & Exists(in_scope)
    return queryset.filter(condition)


def viewable_log_entries(log_model, user):
    """Wagtail's `viewable_by_user`, narrowed by the registered scopes for model log entries."""
    from wagtail.models import ModelLogEntry

    queryset = log_model.objects.viewable_by_user(user)
    if issubclass(log_model, ModelLogEntry):
        queryset = scope_log_entries(queryset, user)
    return queryset
