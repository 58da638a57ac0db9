"""The contact page's form: Wagtail's form builder, with a trap for robots.

The territory builds its form in the CMS (``cms.models.ContactPage``: fields, intro,
thank-you text, recipient addresses); Wagtail stores each submission (Forms, in the
admin) and e-mails it. Two guards against trivial spam, no external service:

- a honeypot (:data:`HONEYPOT`): a field people never see nor reach, which robots fill
  in; a message with it filled gets the thank-you page, and is neither stored nor sent;
- a rate limit per client address (``ACCOUNT_RATE_LIMITS["contact"]``, allauth's rate
  limits in the shared cache, as for checkouts), counted on valid messages only.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.forms.forms import BaseForm, FormBuilder

HONEYPOT = "hp_website"


class ContactForm(BaseForm):
    """The built form: the honeypot is checked, then left out of what is stored or sent."""

    def full_clean(self):
        """A field in error is described by its error (read out with the field)."""
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                field, bound = self.fields[name], self[name]
                ids = [f"{bound.auto_id}_error"]
                if field.help_text:
                    ids.append(f"{bound.auto_id}_helptext")
                field.widget.attrs["aria-describedby"] = " ".join(ids)

    def clean(self):
        cleaned_data = super().clean()
        self.is_spam = bool(cleaned_data.pop(HONEYPOT, ""))
        return cleaned_data


class ContactFormBuilder(FormBuilder):
    """Wagtail's form builder, plus the honeypot field after the territory's fields."""

    @property
    def formfields(self):
        fields = super().formfields
        fields[HONEYPOT] = forms.CharField(
            label=_("Leave this field empty"),
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        return fields

    def get_form_class(self):
        return type("ContactForm", (ContactForm,), self.formfields)
