"""Fail any Stripe call that would leave the machine.

Wire it as an autouse fixture in tests/conftest.py::

    from tests.stripe_double.guard import block_real_stripe

    @pytest.fixture(autouse=True)
    def _no_real_stripe(monkeypatch):
        block_real_stripe(monkeypatch)

Tests that use the double pass ``http_client=DoubleHTTPClient(double)`` (never blocked); a
``StripeClient`` built without one gets a client that raises. Calls to a local double server
(``http://127.0.0.1``/``localhost``) are allowed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import stripe
from stripe import _http_client, _stripe_client

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class RealStripeCallError(AssertionError):
    pass


def _guarded(original):
    def request(self, method, url, *args, **kwargs):
        host = urlsplit(url).hostname or ""
        if host not in LOCAL_HOSTS:
            raise RealStripeCallError(
                f"A test tried to call the real Stripe API ({method.upper()} {url}). "
                "Use tests.stripe_double.DoubleHTTPClient or a local double server."
            )
        return original(self, method, url, *args, **kwargs)

    return request


def block_real_stripe(monkeypatch) -> None:
    """Patch every stripe-python network client (sync and async) to refuse non-local URLs."""
    for name in (
        "RequestsClient",
        "UrlFetchClient",
        "PycurlClient",
        "UrllibClient",
        "HTTPXClient",
        "AIOHTTPClient",
    ):
        cls = getattr(_http_client, name, None)
        if cls is None:
            continue
        for method in ("request", "request_stream", "request_async", "request_stream_async"):
            if method in vars(cls):
                monkeypatch.setattr(cls, method, _guarded(vars(cls)[method]))
    monkeypatch.setattr(stripe, "default_http_client", None)
    assert _stripe_client  # imported so that the patched classes are the ones StripeClient uses
