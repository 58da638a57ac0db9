"""The benchmarks' floors: plain Django views that do the least a request can do.

``floor_view`` serves a static page, no database (tests/bench/storefront.py);
``write_floor_view`` commits one minimal database write (tests/bench/booking.py).
Routed only when ``settings.BENCHMARK`` is true (``COMPTOIR_BENCHMARK=1``). They go
through the same middleware as the storefront, so ``rps(page) / rps(floor)`` says how
much of the server's capacity a page's own work takes.
"""

from functools import lru_cache

from django.http import HttpResponse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.views.decorators.csrf import csrf_exempt

DEFAULT_BYTES = 30_000
MAX_BYTES = 1_000_000


@lru_cache(maxsize=16)
def _page(size: int) -> bytes:
    head = b"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Floor</title>"
    head += b"</head><body><main><h1>Floor</h1>"
    tail = b"</main></body></html>"
    line = b"<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.</p>\n"
    body = bytearray(head)
    while len(body) + len(line) + len(tail) <= size:
        body += line
    return bytes(body + tail)


def floor_view(request):
    """A static HTML page of ``?bytes=N`` bytes (bounded), like the page it is compared to."""
    try:
        size = int(request.GET.get("bytes", DEFAULT_BYTES))
    except ValueError:
        size = DEFAULT_BYTES
    size = max(200, min(size, MAX_BYTES))
    return HttpResponse(_page(size), content_type="text/html; charset=utf-8")


@csrf_exempt
def write_floor_view(request):
    """Commit one row, in one INSERT: an empty session that has already expired.

    The session table exists in every installation and ``clearsessions`` sweeps these
    rows away; the booking benchmark deletes them after its run.
    """
    from django.contrib.sessions.models import Session

    Session.objects.create(
        session_key=f"bench{get_random_string(35)}", session_data="", expire_date=timezone.now()
    )
    return HttpResponse(b"ok", content_type="text/plain; charset=utf-8")
