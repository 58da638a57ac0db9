"""Two-factor authentication (allauth's ``allauth.mfa``): offered to everyone, required
for the people who move money or approve the rules.

Who must have it (:func:`user_requires_mfa`): superusers, and the members of the
territory's finance and council groups, wherever ``COMPTOIR_MFA_REQUIRED`` is on (by
default in production only, so the demo's accounts keep logging in with a password).

Such a person without an authenticator yet must not get in with the mailbox alone
(which would also let them enrol their own authenticator). The mailbox opens an
account two ways, both closed to them:

- :class:`RequiredMFALoginStage`: a login by a code sent by e-mail is refused. With an
  authenticator, allauth's own stage asks for the second factor after the code, as
  after a password.
- :class:`AccountAdapter` and :class:`ResetPasswordKeyForm`: no self-service password
  reset. The reset e-mail carries no link but tells them to ask an administrator, and a
  link sent earlier (before they joined finance, say) is refused. A reset never signs
  anyone in here (``ACCOUNT_LOGIN_ON_PASSWORD_RESET`` is off), so it is no login method.

And:

- :class:`MFARequiredMiddleware`: such a person without an authenticator, signed in with
  their password, is sent to set up an authenticator app before anything else (the
  admin included); only the two-factor pages, reauthentication, logout and the language
  switch stay open.
- :class:`MFAAdapter`: such a person cannot remove their last authenticator.

:class:`AccountAdapter` is also where allauth's e-mails get their links on the public
address (``settings.PUBLIC_URL``, :func:`marketplace.web.public_url`), like every other
e-mail, instead of the host the request came by, and the territory's name and links
(:mod:`cms.account_mail`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import ResetPasswordKeyForm as BaseResetPasswordKeyForm
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.stages import LoginStage
from allauth.core import context as allauth_context
from allauth.core.internal.httpkit import headed_redirect_response
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from wagtail.models import Site

from cms.account_mail import account_mail_context, account_mail_subject, username_for
from cms.services import COUNCIL_GROUP, FINANCE_GROUP
from marketplace.web import public_url, site_for_request

# The authenticators that are a second factor (recovery codes only back them up).
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
MFA_REQUIRED_GROUPS = (FINANCE_GROUP, COUNCIL_GROUP)

# Login steps that prove only access to the mailbox. (A password reset is not one: it
# does not sign in here, see the module doc.)
MAILBOX_METHODS = frozenset({"code"})

# Where a person who must set up two-factor authentication may still go.
OPEN_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_add_webauthn",
        "mfa_list_webauthn",
        "mfa_reauthenticate",
        "mfa_reauthenticate_webauthn",
        "mfa_authenticate",
        "account_logout",
        "account_reauthenticate",
        "account_request_reauthentication_code",
        "account_confirm_reauthentication_code",
        "set_language",
    }
)


def user_requires_mfa(user) -> bool:
    """Whether ``user`` must use two-factor authentication here (see the module doc)."""
    if not settings.COMPTOIR_MFA_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    # Asked once per user object, so once per request for ``request.user``.
    if not hasattr(user, "_comptoir_in_mfa_groups"):
        user._comptoir_in_mfa_groups = Group.objects.filter(
            user=user, name__in=MFA_REQUIRED_GROUPS
        ).exists()
    return user._comptoir_in_mfa_groups


def user_lacks_required_mfa(user) -> bool:
    """Whether ``user`` must use two-factor authentication and has no second factor yet."""
    return user_requires_mfa(user) and not is_mfa_enabled(user, SECOND_FACTORS)


class MFARequiredMiddleware:
    """Sends a person who must use two-factor authentication, and has none, to set it up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.COMPTOIR_MFA_REQUIRED and request.user.is_authenticated:
            if not self._is_open(request.path_info) and user_lacks_required_mfa(request.user):
                messages.warning(
                    request,
                    _(
                        "Your role requires two-factor authentication: set up an "
                        "authenticator app to continue."
                    ),
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _is_open(path: str) -> bool:
        try:
            match = resolve(path)
        except Resolver404:
            return False
        return match.url_name in OPEN_URL_NAMES


class RequiredMFALoginStage(LoginStage):
    """Refuses a login by e-mailed code to a person who must have MFA and has none."""

    key = "comptoir_required_mfa"

    def handle(self):
        user = self.login.user
        records = get_authentication_records(self.request, user)
        # The step that led to this login (allauth records each before logging in).
        mailbox_only = bool(records) and records[-1].get("method") in MAILBOX_METHODS
        if mailbox_only and user is not None and user_lacks_required_mfa(user):
            messages.error(
                self.request,
                _(
                    "Your account requires two-factor authentication: sign in with your "
                    "password, then set up an authenticator app."
                ),
            )
            return headed_redirect_response("account_login"), False
        return None, True


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter, with :class:`RequiredMFALoginStage` right after the login code."""

    def get_login_stages(self) -> list[str]:
        stages = super().get_login_stages()
        stage = f"{RequiredMFALoginStage.__module__}.{RequiredMFALoginStage.__name__}"
        at = stages.index("allauth.account.stages.LoginByCodeStage") + 1
        return [*stages[:at], stage, *stages[at:]]

    def populate_username(self, request, user) -> None:
        """A new account's username is its e-mail address (shown where Wagtail's admin
        shows a username), else one allauth makes up; people never type it."""
        username = username_for(user.email)
        if username:
            setattr(user, user.USERNAME_FIELD, username)
        else:
            super().populate_username(request, user)

    def get_client_ip(self, request) -> str:
        """allauth's client address (``X-Forwarded-For``, ``ALLAUTH_TRUSTED_PROXY_COUNT``
        entries from the right), or the connection's when the header has fewer entries
        than proxies (a request that did not come through them): not a server error."""
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            ip = request.META.get("REMOTE_ADDR")
            if not ip:
                raise PermissionDenied("Unable to determine client IP address") from None
            return ip

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """allauth's e-mail, its links (``activate_url``, ``password_reset_url``,
        ``signup_url``: any ``*_url`` on this site) moved to the public address of the
        request's territory, signed with the territory's name (``territory_name``,
        ``home_url``, :func:`cms.account_mail.account_mail_context`)."""
        request = allauth_context.request
        host = request.get_host() if request is not None else ""
        site = self._site()
        context = {
            **account_mail_context(site),
            "subject_template": f"{template_prefix}_subject.txt",  # the HTML's heading
            **context,
        }
        for name, value in list(context.items()):
            if name.endswith("_url") and isinstance(value, str):
                parts = urlsplit(value)
                if parts.scheme in {"http", "https"} and parts.netloc == host:
                    path = parts.path + (f"?{parts.query}" if parts.query else "")
                    context = {**context, name: public_url(path, site=site)}
        # allauth's own send_mail adds ``current_site``, the request's host (and fails
        # without a request): the templates here sign with the territory instead.
        self.render_mail(
            template_prefix, email, {"request": request, "email": email, **context}
        ).send()

    def format_email_subject(self, subject: str) -> str:
        """The subject, then the territory's name (not allauth's "[host]" prefix)."""
        return account_mail_subject(subject, self._site())

    @staticmethod
    def _site():
        request = allauth_context.request
        if request is not None:
            return site_for_request(request)
        return Site.objects.filter(is_default_site=True).first()

    def send_password_reset_mail(self, user, email, context) -> None:
        """No reset link for a person who must have MFA and has none: they are told to
        ask an administrator. The form's answer is the same either way."""
        if user_lacks_required_mfa(user):
            self.send_mail(
                "account/email/password_reset_refused",
                email,
                {"user": user, "message": password_reset_refused_message()},
            )
            return
        super().send_password_reset_mail(user, email, context)


def password_reset_refused_message() -> str:
    return _(
        "Your account requires two-factor authentication, which you have not set up yet: "
        "its password cannot be reset by e-mail. Please ask an administrator of the "
        "site to reset it."
    )


class ResetPasswordKeyForm(BaseResetPasswordKeyForm):
    """allauth's new-password form, refused to a person who must have MFA and has none
    (a link e-mailed before they had to)."""

    def clean(self):
        cleaned_data = super().clean()
        if self.user is not None and user_lacks_required_mfa(self.user):
            raise ValidationError(password_reset_refused_message(), code="mfa_required")
        return cleaned_data


class MFAAdapter(DefaultMFAAdapter):
    """allauth's MFA adapter: a person who must use MFA keeps at least one second factor."""

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type not in SECOND_FACTORS or not user_requires_mfa(authenticator.user):
            return True
        return (
            Authenticator.objects.filter(user_id=authenticator.user_id, type__in=SECOND_FACTORS)
            .exclude(pk=authenticator.pk)
            .exists()
        )
