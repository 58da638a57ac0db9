"""The prompt to complete: providers whose DAC7 data is missing are told, once a year.

:func:`dac7_missing_notify` e-mails, for each provider of the report with mandatory data
missing (:func:`marketplace.books.dac7.seller_missing`), its active members and its
contact address, each in their language (their admin profile's, else French; the contact
address French), with the list of what is missing and a link to *My seller details*.
Once per provider and reported year: the sending is recorded in the provider's history
(Wagtail's log, action :data:`NOTIFIED`, ``{"year": ...}``), and a provider already told
for that year is skipped. ``manage.py dac7_report --notify-missing`` calls it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from marketplace.books.dac7 import Dac7Report, missing_labels
from marketplace.models import Provider
from marketplace.web import public_url

NOTIFIED = "comptoir.dac7.missing_notified"
ACTIONS = {
    NOTIFIED: (
        _("Told to complete the tax report's data"),
        _("Told by e-mail that data the DAC7 tax report needs is missing"),
    ),
}


def _language(user) -> str:
    profile = getattr(user, "wagtail_userprofile", None)
    language = (profile.preferred_language if profile else "") or settings.LANGUAGE_CODE
    available = {code for code, _name in settings.LANGUAGES}
    return language if language in available else settings.LANGUAGE_CODE


def provider_addresses(provider: Provider) -> dict[str, str]:
    """``{address: language}``: the provider's active members, then its contact address."""
    found: dict[str, str] = {}
    members = provider.memberships.filter(user__is_active=True).select_related(
        "user__wagtail_userprofile"
    )
    for membership in members.order_by("pk"):
        if membership.user.email:
            found.setdefault(membership.user.email.lower(), _language(membership.user))
    if provider.email:
        found.setdefault(provider.email.lower(), settings.LANGUAGE_CODE)
    return found


def already_notified(*, provider_ids, year: int) -> set[int]:
    """The providers among ``provider_ids`` told already about ``year``."""
    rows = ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Provider),
        object_id__in=[str(pk) for pk in provider_ids],
        action=NOTIFIED,
    ).values_list("object_id", "data")
    return {int(object_id) for object_id, data in rows if (data or {}).get("year") == year}


def _send(provider: Provider, *, year: int, missing: list[str], site_name: str) -> int:
    url = public_url(reverse("seller_details:provider", args=[provider.pk]))
    sent = 0
    for address, language in provider_addresses(provider).items():
        with translation.override(language):
            context = {
                "provider": provider,
                "year": year,
                "missing": missing_labels(missing),
                "url": url,
                "site_name": site_name,
            }
            subject = render_to_string("books/emails/dac7_missing_subject.txt", context)
            text = render_to_string("books/emails/dac7_missing.txt", context)
            html = render_to_string("books/emails/dac7_missing.html", context)
        message = EmailMultiAlternatives(
            " ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, [address]
        )
        message.attach_alternative(html, "text/html")
        sent += message.send()
    return sent


def dac7_missing_notify(*, report: Dac7Report) -> list[Provider]:
    """Tell each provider of ``report`` with data missing, once for the report's year;
    returns the providers told now."""
    sellers = report.missing
    done = already_notified(provider_ids=[s.provider.pk for s in sellers], year=report.year)
    told = []
    for seller in sellers:
        provider = seller.provider
        if provider.pk in done:
            continue
        if _send(
            provider, year=report.year, missing=seller.missing, site_name=report.site.site_name
        ):
            log(instance=provider, action=NOTIFIED, data={"year": report.year})
            told.append(provider)
    return told
