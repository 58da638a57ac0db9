"""``stripe.HTTPClient`` that answers from an in-process ``StripeDouble``."""

from __future__ import annotations

import stripe
from stripe import APIConnectionError


class DoubleHTTPClient(stripe.HTTPClient):
    """``StripeClient("sk_test_x", http_client=DoubleHTTPClient(double))``: no socket opened."""

    name = "stripe_double"

    def __init__(self, double, **kwargs):
        super().__init__(**kwargs)
        self.double = double

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        response = self.double.handle(method, url, dict(headers or {}), post_data)
        if response.timeout:
            raise APIConnectionError(
                "Request to the Stripe double timed out (injected).", should_retry=True
            )
        headers = {k.lower(): v for k, v in response.headers.items()}
        return response.text, response.status, headers

    def request_stream(self, method, url, headers, post_data=None, *, _usage=None):
        raise NotImplementedError("The Stripe double does not stream.")

    def close(self):
        pass
