"""A local, stateful double of the Stripe API for tests and for ``make run``.

double = StripeDouble()
client = StripeClient("sk_test_double", http_client=DoubleHTTPClient(double))
"""

from .client import DoubleHTTPClient
from .core import StripeDouble
from .forms import StripeError
from .simulate import DECLINED

__all__ = ["DECLINED", "DoubleHTTPClient", "StripeDouble", "StripeError"]
