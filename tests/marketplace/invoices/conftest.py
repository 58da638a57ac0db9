"""The invoices' world: a territory whose operator charges 20 % VAT, two providers selling
goods with the shared commission (provider 5 %, visitor 2 %: tests/booking_helpers.py),
a third (Gîte Chloé) charged only the visitor's service fee, and a visitor. Sales are
paid through the real checkout at a chosen past instant (:func:`sell`); refunds are the
ledger's own reversals (:func:`refund`)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from marketplace.books.ledger import ledger_reverse
from marketplace.books.models import LedgerTransaction
from marketplace.models import Booking, TerritorySettings
from marketplace.orders.accounting import confirmed_key
from marketplace.orders.transitions import order_pay
from tests import factories
from tests.booking_helpers import book, rule, shared_rules, side
from tests.factories import make_provider, make_user
from tests.snapshots import Replay

PARIS = ZoneInfo("Europe/Paris")


def paris(year, month, day, hour=12, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def build_invoice_world(territory, category):
    settings = TerritorySettings.for_site(territory)
    settings.operator_legal_name = "SPL Haut-Vallon Tourisme"
    settings.operator_siret = "12345678200010"
    settings.operator_address = "1 place de la Mairie"
    settings.operator_postcode = "05100"
    settings.operator_city = "Briançon"
    settings.vat_number = "FR32123456782"
    settings.contact_email = "compta@haut-vallon.example"
    # Subject to VAT: on by choice (the default is off), at the default 20 %.
    settings.subject_to_vat = True
    settings.max_unpaid_orders, settings.max_held_per_offer = 100, 1000
    settings.save()
    canoes = make_provider(territory, name="Canoës Alice", category=category)
    ferme = make_provider(territory, name="Ferme Bob", category=category, vat_number="FR00999")
    # Chloé's own rule takes no commission from her, only the visitor's service fee.
    chloe = make_provider(territory, name="Gîte Chloé", category=category)
    shared_rules(
        territory,
        rules=[
            rule("base", "Base", provider=side("5.00"), visitor=side("2.00")),
            rule("chloe", "Chloé", provider=side(), visitor=side("2.00"), providers=[chloe.slug]),
        ],
    )
    return {
        "site": territory,
        "canoes": canoes,
        "ferme": ferme,
        "honey": factories.product(canoes, price_per_item=1000, stock=10_000),
        "cheese": factories.product(ferme, title="Tomme", price_per_item=1500, stock=10_000),
        "chloe": chloe,
        "jam": factories.product(chloe, title="Confiture", price_per_item=600, stock=10_000),
        "visitor": make_user("visiteur-factures@example.org"),
    }


invoice_world_replay = Replay(build_invoice_world)


@pytest.fixture
def world(territory, category):
    return invoice_world_replay(territory, category)


def sell(world, offer, *, quantity: int, at: dt.datetime) -> Booking:
    """``quantity`` items of ``offer`` bought by the visitor and paid at ``at``."""
    order = book(world["visitor"], offer, pay=False, quantity=quantity)
    order_pay(order_id=order.pk, payment_ref=f"test:{order.reference}", now=at, notify=False)
    return order.bookings.get()


def refund(booking: Booking, *, fraction=None, at: dt.datetime, key: str = "") -> LedgerTransaction:
    """The ledger's refund of ``fraction`` of the booking's confirmation (all that is left
    by default), recorded at ``at``."""
    sale = LedgerTransaction.objects.get(idempotency_key=confirmed_key(booking))
    return ledger_reverse(
        transaction=sale,
        idempotency_key=key or f"{confirmed_key(booking)}:refund:{at.isoformat()}",
        fraction=fraction,
        occurred_at=at,
    )


def vat_off(site, mention: str = "TVA non applicable, art. 293 B du CGI"):
    settings = TerritorySettings.for_site(site)
    settings.subject_to_vat = False
    settings.vat_exemption_mention = mention
    settings.save()


@pytest.fixture
def docs_world(territory, category):
    """The admin's and the e-mails' world (tests/marketplace/invoices/issued.py)."""
    from tests.marketplace.invoices.issued import build_docs_world

    return build_docs_world(territory, category)
