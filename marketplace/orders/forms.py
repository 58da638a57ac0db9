"""Forms of the order life cycle's pages: cancelling a booking (the visitor's page and the
admin's), deleting one's account. Forms only: no state changes here."""

from django import forms
from django.utils.translation import gettext_lazy as _

REASON_MAX_LENGTH = 500
PROVIDER_REASON_MAX_LENGTH = 2000


class BookingCancelForm(forms.Form):
    """Why a booking is cancelled: optional for the visitor (shown to the provider),
    required when a provider's member or the territory's staff cancel (sent to the
    visitor)."""

    reason = forms.CharField()

    def __init__(self, *args, by_provider: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if by_provider:
            self.fields["reason"] = forms.CharField(
                label=_("Reason (sent to the visitor)"),
                widget=forms.Textarea(attrs={"rows": 4}),
                max_length=PROVIDER_REASON_MAX_LENGTH,
                error_messages={"required": _("Say why you cancel this booking.")},
            )
        else:
            self.fields["reason"] = forms.CharField(
                label=_("Reason (optional, shown to the provider)"),
                required=False,
                max_length=REASON_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
            )


class AccountDeleteForm(forms.Form):
    """Deliberate: the person types their own e-mail address and ticks a box."""

    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("Type it to confirm that this is the account to delete."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that my account and my personal data will be erased for good."),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email.strip().casefold() != (self.user.email or "").casefold():
            raise forms.ValidationError(_("This is not the e-mail address of your account."))
        return email
