"""Forms of the family area's "Dossier famille"."""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from .health import HEALTH_FIELDS
from .models import AuthorisedPerson, ChildDetails, GuardianDetails
from .validators import ACCEPT_ATTRIBUTE, validate_family_upload

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
OWN_ADDRESS_HELP = _(
    "The guardian's own address if it differs from the family's (separated parents): the "
    "yearly certificates of what this guardian pays carry it."
)


class GuardianDetailsForm(forms.ModelForm):
    class Meta:
        model = GuardianDetails
        fields = [
            "address_line1",
            "address_line2",
            "postcode",
            "city",
            "mobile_phone",
            "home_phone",
            "work_phone",
            "parental_authority",
        ]
        help_texts = {"address_line1": OWN_ADDRESS_HELP}
        widgets = {
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "postcode": forms.TextInput(attrs={"autocomplete": "postal-code"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
            "mobile_phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "home_phone": forms.TextInput(attrs={"type": "tel"}),
            "work_phone": forms.TextInput(attrs={"type": "tel"}),
        }


class ChildDetailsForm(forms.ModelForm):
    class Meta:
        model = ChildDetails
        fields = ["school", "school_class"]


class ConsentForm(forms.Form):
    image_rights = forms.ChoiceField(
        label=_("The child may be photographed or filmed during activities"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    outings = forms.ChoiceField(
        label=_("The child may take part in outings"), choices=YES_NO, widget=forms.RadioSelect
    )

    def __init__(self, *args, details=None, **kwargs):
        if details is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                name: {True: "yes", False: "no"}.get(getattr(details, name))
                for name in ("image_rights", "outings")
            }
        super().__init__(*args, **kwargs)

    def values(self):
        return {name: self.cleaned_data[name] == "yes" for name in ("image_rights", "outings")}


class HealthSheetForm(forms.Form):
    """The fiche sanitaire, one form field per `health.HEALTH_FIELDS` entry."""

    def __init__(self, *args, sheet_data=None, **kwargs):
        sheet_data = sheet_data or {}
        initial = {}
        for field in HEALTH_FIELDS:
            value = sheet_data.get(field.key)
            if field.kind == "date" and value:
                try:
                    value = date.fromisoformat(value)
                except ValueError:
                    value = None
            initial[field.key] = value
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for field in HEALTH_FIELDS:
            if field.kind == "bool":
                form_field = forms.BooleanField(required=False)
            elif field.kind == "date":
                form_field = forms.DateField(
                    required=False, widget=forms.DateInput(attrs={"type": "date"})
                )
            else:
                form_field = forms.CharField(
                    required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
                )
            form_field.label = field.label
            form_field.help_text = field.help_text
            self.fields[field.key] = form_field
        self.fields["pai_document"] = forms.FileField(
            label=_("PAI document"),
            required=False,
            help_text=_("PDF, JPEG or PNG."),
            validators=[validate_family_upload],
            widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
        )
        self.fields["certify"] = forms.BooleanField(
            label=_("I certify that the information is accurate"),
            required=True,
            error_messages={
                "required": _("Tick the box to certify that the information is accurate.")
            },
        )

    def groups(self):
        from .health import GROUPS

        return [(label, [self[f.key] for f in fields]) for label, fields in GROUPS]

    def data_values(self):
        """The sheet as stored: dates as ISO strings, empty texts as ""."""
        values = {}
        for field in HEALTH_FIELDS:
            value = self.cleaned_data.get(field.key)
            if field.kind == "date":
                value = value.isoformat() if value else ""
            elif field.kind == "bool":
                value = bool(value)
            else:
                value = (value or "").strip()
            values[field.key] = value
        return values


class AuthorisedPersonForm(forms.ModelForm):
    class Meta:
        model = AuthorisedPerson
        fields = ["name", "relationship", "phone", "can_pick_up", "emergency_contact", "children"]
        widgets = {
            "children": forms.CheckboxSelectMultiple,
            "phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].queryset = family.children.all()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("can_pick_up") and not cleaned.get("emergency_contact"):
            raise forms.ValidationError(
                _("Tick at least one: may pick the children up, or emergency contact.")
            )
        return cleaned


class DocumentUploadForm(forms.Form):
    slot = forms.ChoiceField(label=_("Document"))
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG or PNG."),
        validators=[validate_family_upload],
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = {}
        choices = []
        for row in rows:
            key = f"{row.requirement.pk}-{row.child.pk if row.child else 0}"
            label = row.requirement.name
            if row.child:
                label = f"{label} — {row.child.first_name}"
            self.targets[key] = (row.requirement, row.child)
            choices.append((key, label))
        self.fields["slot"].choices = choices

    def target(self):
        return self.targets[self.cleaned_data["slot"]]


class RulesAcceptForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read and accept the rules"),
        error_messages={"required": _("Tick the box to accept the rules.")},
    )
