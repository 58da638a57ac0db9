"""The benchmark's floor: a plain Django view serving a static page, no database.

Routed only when ``settings.BENCHMARK`` is true (``COMPTOIR_BENCHMARK=1``). It goes
through the same middleware as the storefront, so ``rps(page) / rps(floor)`` says how
much of the server's capacity a page's own work takes.
"""

from functools import lru_cache

from django.http import HttpResponse

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
