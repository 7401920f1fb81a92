"""Forms of the family-file admin; every choice is limited to the staff member's scope."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wagtail.admin.widgets import AdminDateInput

from parents.viewsets import ScopedModelForm

from .forms import OWN_ADDRESS_HELP
from .models import (
    DocumentRequirement,
    FamilyFileSettings,
    FamilyQuotient,
    GuardianDetails,
    RulesVersion,
)
from .models.records import VALIDATED_FIELDS


class DocumentRequirementForm(ScopedModelForm):
    class Meta:
        model = DocumentRequirement
        fields = [
            "structure",
            "season",
            "kind",
            "name",
            "description",
            "per_child",
            "required",
            "sort_order",
        ]


class RulesVersionForm(ScopedModelForm):
    class Meta:
        model = RulesVersion
        fields = ["structure", "version", "text", "published_at"]


class FamilyFileSettingsForm(ScopedModelForm):
    fields_to_validate = forms.MultipleChoiceField(
        label=_("Changes the director validates"),
        choices=VALIDATED_FIELDS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Changes to these fields wait for the director's validation."),
    )

    class Meta:
        model = FamilyFileSettings
        fields = ["structure", "fields_to_validate", "bookings_need_complete_file"]


class FamilyQuotientForm(ScopedModelForm):
    class Meta:
        model = FamilyQuotient
        fields = ["family", "quotient", "effective_date", "note"]
        widgets = {"effective_date": AdminDateInput}


class DecisionMessageForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the family"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when refusing: the family sees it."),
    )


class AcceptDocumentForm(forms.Form):
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=AdminDateInput)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=AdminDateInput)
    quotient = forms.DecimalField(
        label=_("Quotient familial"), required=False, min_value=0, max_digits=8, decimal_places=2
    )
    effective_date = forms.DateField(label=_("Applies from"), required=False, widget=AdminDateInput)

    def __init__(self, *args, document, **kwargs):
        super().__init__(*args, **kwargs)
        if document.requirement.kind != DocumentRequirement.Kind.QUOTIENT:
            del self.fields["quotient"]
            del self.fields["effective_date"]
        else:
            self.fields["quotient"].required = True
            self.fields["effective_date"].required = True

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The end of validity is before its start."))
        return cleaned


class RefuseDocumentForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for refusal"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The family sees it next to the document."),
    )


class GuardianAddressForm(forms.ModelForm):
    """A guardian's own address, as a director corrects it."""

    class Meta:
        model = GuardianDetails
        fields = ["address_line1", "address_line2", "postcode", "city"]
        help_texts = {"address_line1": OWN_ADDRESS_HELP}
