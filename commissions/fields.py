"""Model and form fields for amounts stored as integer cents but edited in euros."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from commissions.money import MAX_CENTS, MoneyError, cents_to_decimal, euros_to_cents


class EuroFormField(forms.DecimalField):
    """Shows and reads euros; cleans to an ``int`` of cents."""

    def __init__(self, **kwargs):
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("min_value", Decimal("0"))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return cents_to_decimal(value)
        return value

    def clean(self, value):
        amount = super().clean(value)
        if amount is None:
            return None
        try:
            return euros_to_cents(amount)
        except MoneyError as exc:
            raise ValidationError(_("Enter an amount in euros, for example 12.50.")) from exc


class CentsField(models.BigIntegerField):
    """An amount in cents (integer minor units), edited in euros in forms."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [])
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        defaults = {
            "form_class": EuroFormField,
            "max_value": cents_to_decimal(MAX_CENTS),
        }
        defaults.update(kwargs)
        return super(models.BigIntegerField, self).formfield(**defaults)
