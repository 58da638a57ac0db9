"""Forms of the marketplace's public side."""

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from marketplace.models import Provider, ProviderCategory
from marketplace.services import PROVIDER_APPLICATION_FIELDS, SELLER_IDENTITY_FIELDS


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


# Help for the seller's identity (services.SELLER_IDENTITY_FIELDS), which a provider's
# members complete themselves; the model's ``clean`` checks it.
SELLER_HELP_TEXTS = {
    "legal_form": _(
        "A sole trader (entreprise individuelle, micro-entrepreneur) or a private host is "
        "an individual."
    ),
    "first_names": _("Individual: all your first names, as on your identity card."),
    "last_name": _("Individual: your birth name."),
    "birth_date": _("Individual: required by the tax report on platform sellers (DAC7)."),
    "birth_place": _("Individual: the commune and country; required if you have no tax number."),
    "tax_identifier": _(
        "Business: the SIREN (the first 9 digits of the SIRET). Individual: the 13-digit "
        "numéro fiscal on your income tax notice."
    ),
    "tax_country": _("The country that issued the tax number, in two letters (FR)."),
    "vat_number": _("Intra-community VAT number, if you have one (FR + 11 characters)."),
}


class SellerDetailsForm(forms.ModelForm):
    """A provider's seller identity, completed by its members for the DAC7 report."""

    class Meta:
        model = Provider
        fields = SELLER_IDENTITY_FIELDS
        widgets = {
            "legal_form": forms.RadioSelect,
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = SELLER_HELP_TEXTS
