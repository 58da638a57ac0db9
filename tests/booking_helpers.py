"""Paid bookings made through the real services, for the visitor's pages and e-mails tests.

``shared_rules`` publishes rules (by default one for the whole territory: provider 5 %,
visitor 2 %) whose commission goes 60 % to "Fonds local" and 40 % to "Office de
tourisme"; ``rule`` and ``side`` write others in ``rules_import``'s format.
"""

import datetime as dt

from django.utils import timezone

from commissions.rules_io import rules_import
from marketplace.models import Cart, Order
from marketplace.orders.cart import cart_line_add, cart_lines_priced
from marketplace.orders.transitions import checkout, order_pay
from tests import factories

NO_SCOPE = {"categories": [], "kinds": [], "providers": [], "communes": [], "labels": []}


def scope(**values) -> dict:
    return {**NO_SCOPE, **values}


def side(rate: str = "0.00", fixed: int = 0) -> dict:
    """One side (provider or visitor) of a rule in ``rules_import``'s format."""
    return {"rate": rate, "fixed": fixed, "min": None, "max": None}


def rule(key: str, name: str, *, provider: dict, visitor: dict, **scope_values) -> dict:
    """A rule in ``rules_import``'s format, shared by ``shared_rules``' distribution key."""
    return {
        "key": key,
        "name": name,
        "explanation": "",
        "scope": scope(**scope_values),
        "valid_from": None,
        "valid_until": None,
        "provider": provider,
        "visitor": visitor,
        "distribution": "partage",
    }


def shared_rules(site, *, rules: list[dict] | None = None) -> None:
    """Publish ``rules`` (by default one base rule, provider 5 %, visitor 2 %), each
    sharing its commission 60 % to "Fonds local" and 40 % to "Office de tourisme"."""
    if rules is None:
        rules = [rule("base", "Base", provider=side("5.00"), visitor=side("2.00"))]
    rules_import(
        site=site,
        publish=True,
        data={
            "beneficiaries": [
                {"key": "fonds", "name": "Fonds local", "kind": "local_fund", "stripe_account": ""},
                {
                    "key": "ot",
                    "name": "Office de tourisme",
                    "kind": "tourism_office",
                    "stripe_account": "",
                },
            ],
            "distribution_keys": [
                {"key": "partage", "name": "Partage", "shares": {"fonds": "60.00", "ot": "40.00"}}
            ],
            "rules": rules,
        },
    )


def activity_in(provider, *, ahead: dt.timedelta, policy: str, price: int = 3333, **fields):
    """A published activity with one slot starting ``ahead`` from now."""
    offer = factories.activity(
        provider,
        title=fields.pop("title", f"Sortie {policy}"),
        price_per_person=price,
        cancellation_policy=policy,
        slots=[(timezone.now() + ahead, 8, 0)],
        **fields,
    )
    return offer


def book(user, offer, *, language: str = "fr", pay: bool = True, **params) -> Order:
    """Put ``offer`` in ``user``'s cart with ``params``, check out and (by default) pay."""
    site = offer.provider.site
    if not params:
        if offer.kind == "activity":
            params = {"slot": str(offer.slots.order_by("starts_at").first().pk), "persons": "1"}
        elif offer.kind == "product":
            params = {"quantity": "1"}
    cart, _created = Cart.objects.get_or_create(site=site, user=user)
    cart_line_add(cart=cart, offer=offer, params={k: str(v) for k, v in params.items()})
    cart.refresh_from_db()
    order = checkout(
        cart=cart,
        user=user,
        checkout_key=cart.version,
        priced_lines=cart_lines_priced(cart=cart),
        language=language,
    )
    if pay:
        order_pay(order_id=order.pk, payment_ref=f"test:{order.reference}")
        order.refresh_from_db()
    return order
