"""Row ids from the outside world (paths, query strings), kept within 64 bits.

Django's ``int`` path converter matches any run of digits, and a form's model choice
looks any string up. A value past the database's 64-bit integers then reaches the query,
where SQLite's driver raises ``OverflowError`` (a 500). Django's own overflow guard
covers lookups on integer fields only, not on a one-to-one link such as an offer page's
id (a link to its parent page). Here an id out of range is no match (a 404) in a path
and an invalid choice in a form.

The ``id`` path converter is registered when the app is ready, before any URLconf.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.urls import register_converter

MAX_ID = 2**63 - 1
MIN_ID = -(2**63)


class IdConverter:
    """``<id:name>``: like ``<int:name>``, but only what fits a 64-bit id."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError("id out of range")
        return number

    def to_url(self, value) -> str:
        return str(value)


class IdChoiceField(forms.ModelChoiceField):
    """A model choice by id that refuses an id past 64 bits before any query."""

    def to_python(self, value):
        if value not in self.empty_values and not self.to_field_name:
            try:
                number = int(str(value).strip())
            except ValueError:
                number = None  # not a number: the parent refuses it
            if number is not None and not MIN_ID <= number <= MAX_ID:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = IdChoiceField


register_converter(IdConverter, "id")
