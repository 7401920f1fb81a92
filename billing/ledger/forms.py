"""Forms of the billing admin ("Facturation").

Every choice a form offers (family, child, paying guardian) is limited to the structures of
the member of staff filling it in, so a forged POST naming another structure's family is an
invalid choice. The forms validate what a director can get wrong; the services then check
the money rules again and their `BillingError` messages are shown on the form.
"""

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.widgets import AdminDateInput

from core.money import format_euros, line_amount
from parents.choosers import use_family_chooser
from parents.models import Child, Family, Guardian

from .models import Invoice, InvoiceLine, Payment, PaymentMethod, PaymentReversal

LINE_FIELDS = [
    "child",
    "label",
    "category",
    "service_date",
    "service_end",
    "quantity",
    "unit_price",
]


def staff_families(user):
    """The families a member of staff may bill; none without a user (fail closed)."""
    if user is None:
        return Family.objects.none()
    return Family.objects.for_staff(user).select_related("structure")


class InvoiceLineForm(WagtailAdminModelForm):
    """One line of a draft. The amount is not a field: it is computed, and fixed at issue."""

    class Meta(WagtailAdminModelForm.Meta):
        model = InvoiceLine
        fields = LINE_FIELDS

    def __init__(self, *args, family=None, **kwargs):
        super().__init__(*args, **kwargs)
        children = Child.objects.filter(family__in=staff_families(self.for_user))
        self.fields["child"].queryset = children.select_related("family")
        # Until the family is chosen, no child is offered (every child of 100,000 families
        # weighed megabytes in each line); static/billing/invoice_form.js then loads its own.
        self.offer_children_of(family)
        # Two families may have a child of the same name: the reference tells them apart.
        self.fields["child"].label_from_instance = lambda child: (
            f"{child} ({child.family.reference})"
        )

    def offer_children_of(self, family):
        """List only the children of `family` (none while it is None). The field still
        accepts any child of the staff's families, so that another family's child gets the
        invoice's own clear error rather than "not one of the available choices"."""
        field = self.fields["child"]
        offered = ModelChoiceIterator(field)
        offered.queryset = field.queryset.filter(family=family)
        field.widget.choices = offered

    def clean(self):
        cleaned_data = super().clean()
        quantity, price = cleaned_data.get("quantity"), cleaned_data.get("unit_price")
        if quantity is not None and quantity <= 0:
            self.add_error("quantity", _("The quantity must be positive."))
        if price is not None and price < 0:
            self.add_error(
                "unit_price",
                _("A price cannot be negative; use a credit note to give money back."),
            )
        start, end = cleaned_data.get("service_date"), cleaned_data.get("service_end")
        if start and end and end < start:
            self.add_error("service_end", _("The end date is before the start date."))
        return cleaned_data


class InvoiceForm(WagtailAdminModelForm):
    """A draft invoice and its lines (an inline formset named "lines").

    The family is chosen once, on creation: the lines' children must belong to it, and
    moving a draft to another family would silently invalidate them.
    """

    class Meta(WagtailAdminModelForm.Meta):
        model = Invoice
        fields = ["family", "period_start", "period_end", "note"]
        formsets = {
            "lines": {
                "form": InvoiceLineForm,
                "fields": LINE_FIELDS,
                "inherit_kwargs": ["for_user"],
                "min_num": 1,
                "validate_min": True,
            }
        }

    class Media:
        js = ["billing/invoice_form.js"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        families = staff_families(self.for_user)
        field = self.fields["family"]
        if self.instance.pk:
            field.disabled = True
            field.queryset = families.filter(pk=self.instance.family_id)
        else:
            use_family_chooser(field, families)
        family = self.chosen_family()
        if family is not None:
            lines = self.formsets["lines"]
            lines.form_kwargs["family"] = family  # lines added on the page
            for form in lines.forms:
                form.offer_children_of(family)

    def chosen_family(self):
        """The invoice's family when already known: the draft's, the one posted, or the one
        the page was opened for (`?family=`); None while it is still to be chosen."""
        if self.instance.pk:
            return self.instance.family
        field = self.fields["family"]
        value = self.data.get(self.add_prefix("family")) if self.is_bound else None
        value = value or self.initial.get("family")
        if value in (None, ""):
            return None
        try:
            return field.queryset.filter(pk=int(getattr(value, "pk", value))).first()
        except (TypeError, ValueError):
            return None

    @property
    def line_forms(self):
        """The line forms kept by the formset (neither empty nor marked for deletion)."""
        formset = self.formsets["lines"]
        return [
            form
            for form in formset.forms
            if form.cleaned_data and not formset._should_delete_form(form)
        ]

    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("period_start"), cleaned_data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The end date is before the start date."))
        return cleaned_data

    def is_valid(self):
        valid = super().is_valid()
        if not valid:
            return False
        family = self.cleaned_data["family"]
        for form in self.line_forms:
            child = form.cleaned_data.get("child")
            if child is not None and child.family_id != family.pk:
                form.add_error("child", _("This child does not belong to the family."))
                valid = False
        return valid

    def save(self, commit=True):
        # A draft shows its running total: amounts follow quantity × price here, and
        # issue_invoice computes them again before they become final.
        for position, form in enumerate(self.line_forms):
            line = form.instance
            line.amount = line_amount(line.quantity, line.unit_price)
            line.sort_order = position
        self.instance.structure = self.instance.family.structure
        return super().save(commit=commit)


class CreditNoteForm(forms.Form):
    """An avoir on an issued invoice: all of it, or some quantity of chosen lines."""

    WHOLE = "whole"
    LINES = "lines"

    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Printed on the credit note, e.g. “Absence with a medical certificate”."),
    )
    extent = forms.ChoiceField(
        label=_("What to credit"),
        choices=[
            (WHOLE, _("the whole invoice")),
            (LINES, _("only the quantities entered below")),
        ],
        initial=WHOLE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        self.invoice_lines = list(
            invoice.lines.select_related("child").order_by("sort_order", "pk")
        )
        for line in self.invoice_lines:
            label = f"{line.label} — {line.child}" if line.child else line.label
            self.fields[self.quantity_field_name(line)] = forms.DecimalField(
                label=label,
                required=False,
                min_value=0,
                max_value=line.quantity,
                max_digits=8,
                decimal_places=2,
                help_text=_("Invoiced: %(quantity)s × %(price)s")
                % {
                    "quantity": number_format(line.quantity),
                    "price": format_euros(line.unit_price),
                },
            )

    @staticmethod
    def quantity_field_name(line):
        return f"quantity_{line.pk}"

    def quantity_fields(self):
        return [self[self.quantity_field_name(line)] for line in self.invoice_lines]

    def clean(self):
        cleaned_data = super().clean()
        self.credit_lines = None
        if cleaned_data.get("extent") == self.LINES:
            chosen = [
                (line, cleaned_data.get(self.quantity_field_name(line)))
                for line in self.invoice_lines
            ]
            self.credit_lines = [(line, quantity) for line, quantity in chosen if quantity]
            if not self.credit_lines and not self.errors:
                raise forms.ValidationError(_("Enter the quantity to credit on at least one line."))
        return cleaned_data


class PaymentForm(WagtailAdminModelForm):
    """ "Record a payment". Never saved by itself: the view hands the cleaned data to
    `record_payment`, which writes the payment, its account entry and its allocation.
    """

    class Meta(WagtailAdminModelForm.Meta):
        model = Payment
        fields = [
            "family",
            "date",
            "amount",
            "method",
            "cheque_number",
            "reference",
            "payer_kind",
            "payer",
            "third_party_name",
            "note",
        ]

    class Media:
        js = ["billing/payment_form.js"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        families = staff_families(self.for_user)
        # As payers, only the chosen family's guardians (static/billing/payment_form.js loads
        # them when a family is chosen). Any guardian of the staff's families is still
        # accepted, so that another family's is refused with its own message.
        use_family_chooser(self.fields["family"], families)
        payer = self.fields["payer"]
        payer.queryset = Guardian.objects.filter(family__in=families).select_related("family")
        payer.label_from_instance = lambda guardian: (
            f"{guardian.full_name} ({guardian.family.reference})"
        )
        family = self.chosen_family(families)
        offered = payer.queryset.filter(family=family) if family else payer.queryset.none()
        payer.widget.choices = [("", payer.empty_label)] + [
            (guardian.pk, payer.label_from_instance(guardian)) for guardian in offered
        ]
        self.fields["date"].initial = timezone.localdate

    def chosen_family(self, families):
        """The family posted, or the one the page was opened for (`?family=`), in scope."""
        if self.is_bound:
            value = self.data.get(self.add_prefix("family"))
        else:
            value = self.get_initial_for_field(self.fields["family"], "family")
        value = getattr(value, "pk", value)
        if not str(value or "").isdigit():
            return None
        return families.filter(pk=value).first()

    def clean(self):
        cleaned_data = super().clean()
        amount = cleaned_data.get("amount")
        if amount is not None and amount <= 0:
            self.add_error("amount", _("A payment amount must be positive."))
        if cleaned_data.get("method") == PaymentMethod.CHEQUE and not cleaned_data.get(
            "cheque_number"
        ):
            self.add_error("cheque_number", _("Enter the cheque number."))
        family, payer = cleaned_data.get("family"), cleaned_data.get("payer")
        if family and payer and payer.family_id != family.pk:
            self.add_error("payer", _("The paying guardian belongs to another family."))
        if cleaned_data.get("payer_kind") == Payment.PayerKind.THIRD_PARTY and not (
            cleaned_data.get("third_party_name")
        ):
            self.add_error("third_party_name", _("Enter the name of the third party."))
        return cleaned_data

    def service_kwargs(self):
        """The keyword arguments of `record_payment`, from the cleaned data."""
        data = self.cleaned_data
        return {
            "family": data["family"],
            "amount": data["amount"],
            "method": data["method"],
            "on_date": data["date"],
            "cheque_number": data["cheque_number"],
            "reference": data["reference"],
            "payer": data["payer"],
            "payer_kind": data["payer_kind"],
            "third_party_name": data["third_party_name"],
            "note": data["note"],
        }


class ReversalForm(forms.Form):
    """Bounced cheque, refund or recording error on a recorded payment."""

    amount = forms.DecimalField(label=_("Amount"), max_digits=10, decimal_places=2)
    reason = forms.ChoiceField(label=_("Reason"), choices=PaymentReversal.Reason.choices)
    date = forms.DateField(label=_("Date"), initial=timezone.localdate, widget=AdminDateInput)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, remaining, **kwargs):
        super().__init__(*args, **kwargs)
        self.remaining = remaining
        self.fields["amount"].initial = remaining
        self.fields["amount"].help_text = _("At most %(remaining)s.") % {
            "remaining": format_euros(remaining)
        }

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount <= 0:
            raise forms.ValidationError(_("A reversal amount must be positive."))
        if amount > self.remaining:
            raise forms.ValidationError(
                _("Only %(remaining)s of this payment can still be reversed.")
                % {"remaining": format_euros(self.remaining)}
            )
        return amount
