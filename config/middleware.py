"""Requests no view should see.

A NUL byte belongs in no URL: PostgreSQL refuses it in any string (psycopg raises before
the query runs), so every view that looks a path or query value up would answer 500 on
it. Refused here once, as a 400, instead of in each view.
"""

from django.core.exceptions import BadRequest


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
