"""How the order life cycle reaches a payment provider: the protocol and the registry.

The life cycle never imports a provider: the ``payments`` app registers its providers
here when Django starts (``payments.providers.register_all``, from its ``ready()``), and
:mod:`marketplace.orders.transitions` and the order views ask :func:`provider_for` for
the one an order is paid with. Adding a provider (PayFiP, Mangopay) is one module that
calls :func:`register`. Only the protocol and the registry live here: no provider code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class PaymentProvider(Protocol):
    name: str

    def checkout_url(self, *, order, request) -> str:
        """Where to send the visitor to pay ``order``."""

    def refund(self, *, order, amount: int, idempotency_key: str) -> str:
        """Give ``amount`` cents of ``order``'s payment back; returns the refund's reference.

        Called inside the transaction that records the refund: a provider that calls out
        must do so after commit.
        """


# name -> a callable making the provider (a class will do): made on each use, so that a
# provider may refuse to exist in a given configuration (the dev one in production).
_providers: dict[str, Callable[[], PaymentProvider]] = {}
_default: Callable[[], str] | None = None


def register(name: str, factory: Callable[[], PaymentProvider], *, default=None) -> None:
    """Make ``name`` a payment provider. ``default``, when given, is a callable answering
    the name of the provider new orders are paid with (the last one registered wins)."""
    global _default
    _providers[name] = factory
    if default is not None:
        _default = default


def configured_provider_name() -> str:
    """The provider a new order is paid with."""
    if _default is None:
        raise LookupError("No payment provider is registered (is the payments app installed?).")
    return _default()


def provider_for(order=None) -> PaymentProvider:
    """The provider ``order`` is paid with (the configured one for a new order)."""
    name = order.gateway if order is not None else configured_provider_name()
    try:
        factory = _providers[name]
    except KeyError:
        raise LookupError(f"No payment provider is registered as {name!r}.") from None
    return factory()
