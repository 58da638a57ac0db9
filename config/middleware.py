"""Requests no view should see.

A NUL byte belongs in no URL: PostgreSQL refuses it in any string (psycopg raises before
the query runs), so every view that looks a path or query value up would answer 500 on
it. Refused here once, as a 400, instead of in each view.

A hand-made request to Wagtail's admin (an id that is no number, a StreamField that is
no JSON, a ``next`` that is no path) is answered with a 400 by
:class:`AdminMalformedRequestMiddleware`, placed last in ``MIDDLEWARE`` so that its
``process_exception`` sees the view's exception first.
"""

import logging
import re

from django.core.exceptions import BadRequest, ObjectDoesNotExist
from django.http import HttpResponseBadRequest
from django.urls import NoReverseMatch
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class RejectNulMiddleware:
    """A 400 for a NUL byte in the path or the query string (encoded or not)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            raise BadRequest("NUL byte in the URL")
        return self.get_response(request)


class AdminMalformedRequestMiddleware:
    """A 400, not a 500, for a hand-made request to Wagtail's admin.

    Wagtail's admin views trust what their own JavaScript posts: a chosen id is a number,
    a StreamField or a rich text is JSON, an inline formset carries its management form,
    a ``next`` is a path, a history filter's date has a following day (a rich text that
    is no Draftail JSON raises ``ValueError`` through ``cms.rich_text``). A request made by
    hand (or by a fuzzer) breaks those assumptions deep inside Wagtail, where the view
    cannot tell it apart from a bug, and the person saw a server error page.

    Before the view, two things are put right where it is simple:

    - a ``next`` (query string or form) that is not a path of this site is dropped, so
      the view falls back to its own default instead of ``redirect()`` taking it for a
      view name (``NoReverseMatch``) or sending the person elsewhere;
    - on the images and documents listings, the usage count filter is dropped while
      searching: modelsearch cannot search a queryset filtered on an annotation
      (``'Coalesce' object has no attribute 'target'``, the reason Wagtail already hides
      the usage count ordering while searching); in the image chooser, the tag filter is
      dropped while searching (the images' search index cannot filter by tag name:
      ``FilterFieldError``).

    After the view, exactly the exception types such input raises in Wagtail's admin
    views are answered with a 400 Bad Request and logged at WARNING with the exception:
    ``ValueError`` (``int()`` of a posted id, ``json.JSONDecodeError``),
    ``KeyError`` (``MultiValueDictKeyError`` of a missing management field, the redirects
    import's missing column), ``OverflowError`` (a date plus one day), ``NoReverseMatch``,
    ``ObjectDoesNotExist`` (a chosen id that matches nothing) and modelsearch's
    ``FilterFieldError`` (a chooser filter by a field the index does not have). The list
    is narrow on purpose: anything else is a bug and stays a 500 that is reported. Only
    ``/admin/`` is concerned; the rest of the site validates its own input.
    """

    # Filters Wagtail offers that its search backend cannot apply to a search, by view.
    UNSEARCHABLE_FILTERS = (
        (
            re.compile(r"^/admin/(images|documents)/(results/)?$"),
            ("usage_count_min", "usage_count_max"),
        ),
        (re.compile(r"^/admin/images/chooser/(results/)?$"), ("tag",)),
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/admin/"):
            self._sanitise(request)
        return self.get_response(request)

    def _sanitise(self, request):
        request.GET = self._without_foreign_next(request, request.GET)
        if request.method == "POST":
            request.POST = self._without_foreign_next(request, request.POST)
        if not request.GET.get("q"):
            return
        for path, names in self.UNSEARCHABLE_FILTERS:
            if path.match(request.path_info) and any(name in request.GET for name in names):
                query = request.GET.copy()
                for name in names:
                    query.pop(name, None)
                request.GET = query

    @staticmethod
    def _without_foreign_next(request, data):
        values = data.getlist("next")
        if not values or all(_is_local_path(request, value) for value in values):
            return data
        data = data.copy()
        data.pop("next")
        return data

    def process_exception(self, request, exception):
        if not request.path_info.startswith("/admin/"):
            return None
        if not isinstance(exception, _malformed_request_errors()):
            return None
        logger.warning(
            "Malformed admin request %s %s: %r",
            request.method,
            request.path_info[:200],
            exception,
            exc_info=exception,
        )
        return HttpResponseBadRequest(
            _("The request is malformed."), content_type="text/plain; charset=utf-8"
        )


def _is_local_path(request, value: str) -> bool:
    return value.startswith("/") and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _malformed_request_errors() -> tuple:
    from modelsearch.backends.base import FilterFieldError

    return (
        ValueError,
        KeyError,
        OverflowError,
        NoReverseMatch,
        ObjectDoesNotExist,
        FilterFieldError,
    )
