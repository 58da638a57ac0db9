"""Forms of the marketplace's public side."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from marketplace.models import Provider, ProviderCategory
from marketplace.services import PROVIDER_APPLICATION_FIELDS


class ProviderApplicationForm(forms.ModelForm):
    """ "Devenir partenaire": what a business tells the territory when it applies."""

    # Wider than the 14 stored digits so that "123 456 789 00012" is accepted, then
    # normalised; the model's validator checks the digits (Luhn).
    siret = forms.CharField(
        label=_("SIRET"),
        max_length=20,
        help_text=_("14 digits, on your Kbis extract or at annuaire-entreprises.data.gouv.fr."),
    )

    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")

    class Meta:
        model = Provider
        fields = PROVIDER_APPLICATION_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "postcode": forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "postal-code"}
            ),
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
            "website": forms.URLInput(attrs={"autocomplete": "url"}),
        }
        help_texts = {
            "name": _("The name visitors will see."),
            "legal_name": _("As registered (company, association, sole trader...)."),
            "latitude": _("Optional: place your business on the map (e.g. 45.764043)."),
            "longitude": _("Optional, with the latitude (e.g. 4.835659)."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ProviderCategory.objects.order_by("sort_order", "name")
        self.fields["category"].empty_label = _("Choose a category")
        for name, limit in (("latitude", 90), ("longitude", 180)):
            self.fields[name].validators += [
                MinValueValidator(Decimal(-limit)),
                MaxValueValidator(Decimal(limit)),
            ]

    def clean_siret(self) -> str:
        return "".join(self.cleaned_data["siret"].split())

    def clean(self):
        cleaned = super().clean()
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if (latitude is None) != (longitude is None) and not self.has_error("latitude"):
            if not self.has_error("longitude"):
                raise forms.ValidationError(
                    _("Give both the latitude and the longitude, or neither.")
                )
        return cleaned
