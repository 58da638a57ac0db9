"""What the statement pages share: finance's (:mod:`marketplace.payouts.statement_views`)
and a provider's own "Mon relevé" (:mod:`marketplace.books.admin`).

The period asked for (the current month by default), the statement's CSV and PDF as
downloads, and the query string of those downloads. Who may read which statement is each
page's business, not this module's: it imports no view, so both pages can use it.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.http import HttpResponse
from django.utils.translation import get_language

from marketplace.payouts.statements import (
    RecipientStatement,
    current_month,
    statement_csv,
    statement_filename,
    statement_pdf,
)

CSV, PDF = "csv", "pdf"
CONTENT_TYPES = {CSV: "text/csv; charset=utf-8", PDF: "application/pdf"}


def statement_period(form) -> tuple[dt.date, dt.date]:
    """The days a period form asks for; the current month where it says nothing (or is
    invalid). Given one end only, the other is the current month's, or the same day when
    that would turn the period inside out."""
    first, last = current_month()
    if not form.is_bound or not form.is_valid():
        return first, last
    since, until = form.cleaned_data.get("since"), form.cleaned_data.get("until")
    if since is None:
        since = min(first, until) if until else first
    if until is None:
        until = max(last, since)
    return since, until


def statement_download(result: RecipientStatement, file_format: str) -> HttpResponse:
    """The statement as a file to save, in the reader's language."""
    language = get_language()
    data = (
        statement_csv(result, language=language)
        if file_format == CSV
        else statement_pdf(result, language=language)
    )
    response = HttpResponse(data, content_type=CONTENT_TYPES[file_format])
    filename = statement_filename(result, file_format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A statement is private: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


def download_query(**params) -> str:
    """``?a=1&b=2`` for the download links, leaving out what is empty."""
    kept = {name: value for name, value in params.items() if value not in (None, "")}
    return "?" + urlencode(kept)
