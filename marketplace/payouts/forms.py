"""Forms of the bank details' admin pages. They only collect input: the checks (IBAN,
BIC, holder) and the rules are the services' (:mod:`marketplace.payouts.services`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.payouts.iban import BIC_MAX_LENGTH
from marketplace.payouts.models import HOLDER_MAX_LENGTH


class BankDetailsForm(forms.Form):
    holder_name = forms.CharField(
        label=_("Account holder"),
        max_length=HOLDER_MAX_LENGTH,
        help_text=_("As the bank knows it (at most 70 characters)."),
        error_messages={"required": _("Give the account holder's name, as the bank knows it.")},
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=60,
        help_text=_("For example FR76 3000 6000 0112 3456 7890 189; spaces do not matter."),
        error_messages={"required": _("Give the account's IBAN.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label=_("BIC"),
        max_length=BIC_MAX_LENGTH + 4,
        required=False,
        help_text=_("Optional when it can be found from the IBAN's bank."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class FinanceBankDetailsForm(BankDetailsForm):
    account = forms.ChoiceField(label=_("Recipient"), choices=())
    field_order = ["account", "holder_name", "iban", "bic"]

    def __init__(self, *args, recipients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [
            (r.account, f"{r.name} ({r.kind_label})") for r in recipients
        ]


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to who submitted them)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": _("Say why these bank details are rejected.")},
    )
