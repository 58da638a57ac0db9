"""Admin forms of the commission module."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from commissions.models import offer_kind_choices, shares_total_error


class DistributionKeyForm(WagtailAdminModelForm):
    def clean(self):
        cleaned = super().clean()
        formset = self.formsets.get("shares")
        if formset is not None and formset.is_valid():
            percentages = [
                f.cleaned_data["percentage"]
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            error = shares_total_error(percentages)
            if error:
                raise error
        return cleaned


class CommunesField(forms.CharField):
    """Communes typed as a comma-separated list, stored as a JSON list."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def clean(self, value):
        value = super().clean(value)
        return [part.strip() for part in (value or "").split(",") if part.strip()]


class CommissionRuleForm(WagtailAdminModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("Offer kinds"),
        choices=offer_kind_choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    communes = CommunesField(
        label=_("Communes"),
        required=False,
        help_text=_("Separate communes with commas. Leave empty for every commune."),
    )
