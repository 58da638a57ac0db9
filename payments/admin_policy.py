"""What every finance page of the admin shares: money display, the territory a request is
for. Who may read the ledger is the books' (:mod:`marketplace.books.permissions`)."""

from django.utils.translation import get_language
from wagtail.models import Site

from commissions.money import format_cents


def money(cents: int, *, currency: str = "EUR") -> str:
    return format_cents(cents, currency=currency, language=get_language() or "fr")


def request_site(request) -> Site:
    return Site.find_for_request(request) or Site.objects.get(is_default_site=True)
