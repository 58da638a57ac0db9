"""allauth's e-mails and pages, in the territory's words instead of allauth's defaults.

allauth signs its e-mails with the request's host ("Bonjour, c'est 127.0.0.1:8101 !")
and names people by their username, which allauth generated from their address and
they never chose. Here:

- :func:`account_mail_context`: what every account e-mail is signed with (the
  territory's name, its home page on the public address) and the links they offer
  (reset a password, the contact page), all on ``settings.PUBLIC_URL``.
  ``cms.mfa.AccountAdapter.send_mail`` adds it to allauth's context; the templates in
  ``cms/templates/account/email/`` and ``cms/templates/mfa/email/`` (text and HTML, in
  the layout of the booking e-mails) use it.
- :func:`account_mail_subject`: the subject followed by the territory's name.
- :func:`user_display` (``ACCOUNT_USER_DISPLAY``): a person is shown by their e-mail
  address, never by their username.
- :func:`username_for`: the username allauth gives a new account is its e-mail address
  (when it fits and is free), and follows it when the primary address changes
  (:func:`username_follows_address`): where Wagtail's admin shows a username (its menu,
  locks, revisions), people see the address they chose.

The e-mails are rendered in the language of the request that sends them: the language
the person reads the site in.
"""

from __future__ import annotations

from allauth.account.signals import email_changed
from django.contrib.auth import get_user_model
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.models import Site

from cms.models import ContactPage
from marketplace.web import public_url


def user_display(user) -> str:
    """How allauth names a person on its pages and in its messages: their address."""
    return getattr(user, "email", "") or _("your account")


def username_for(email: str, *, user=None) -> str:
    """``email`` as a username, or "" when it is too long or another account has it."""
    email = (email or "").strip().lower()
    User = get_user_model()
    if not email or len(email) > User._meta.get_field(User.USERNAME_FIELD).max_length:
        return ""
    taken = User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": email})
    if user is not None and user.pk:
        taken = taken.exclude(pk=user.pk)
    return "" if taken.exists() else email


@receiver(email_changed)
def username_follows_address(sender, user, from_email_address, to_email_address, **kwargs):
    """An account named after its address is renamed when its primary address changes."""
    old = from_email_address.email.lower() if from_email_address else ""
    if old and user.get_username().lower() == old:
        new = username_for(to_email_address.email, user=user)
        if new:
            setattr(user, user.USERNAME_FIELD, new)
            user.save(update_fields=[user.USERNAME_FIELD])


def territory_name(site: Site | None) -> str:
    return (site.site_name if site is not None else "") or "Comptoir"


def account_mail_context(site: Site | None) -> dict:
    """The signature and links of every account e-mail of ``site``'s territory."""

    def page_url(page) -> str:
        # The page's path in the active language (/en/... in English), on the public address.
        parts = page.get_url_parts() if page is not None else None
        return public_url(parts[2], site=site) if parts else ""

    root = site.root_page if site is not None else None
    contact = ContactPage.objects.live().child_of(root).first() if root is not None else None
    return {
        "territory_name": territory_name(site),
        # The home in the active language (/en/ in English), as the storefront links it.
        "home_url": public_url(reverse("wagtail_serve", args=("",)), site=site),
        "reset_url": public_url(reverse("account_reset_password"), site=site),
        "contact_url": page_url(contact),
    }


def account_mail_subject(subject: str, site: Site | None) -> str:
    """``subject`` signed with the territory's name, as the e-mails' bodies are."""
    return f"{subject} – {territory_name(site)}"
