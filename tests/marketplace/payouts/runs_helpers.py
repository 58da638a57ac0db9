"""The payout runs' world, on top of the bank details' one (conftest ``build_bank_world``).

Paid through the real checkout (``book``, ``taxed_stay_book``), the territory's payout
delay at 0 days, so goods are payable the day they are paid and stays on their first
night:

- *Canoës Alice* (bank, details approved): two jars of honey, payable today;
- *Ferme Bob* (paid by Stripe: account, payouts enabled): honey, payable today;
- *Camping du Torrent* (bank, no details) in Arvière-le-Bourg: a stay in 30 days, with
  the commune's tourist tax (the collector's details approved);
- the commission's beneficiaries: *Fonds local* (details approved), *Office de tourisme*
  (none).

:func:`days_pass` moves bookings' payable day to today: what the calendar would do.
"""

import datetime as dt

from django.utils import timezone

from marketplace.models import Booking, TerritorySettings
from marketplace.payouts.models import PayoutSettings
from marketplace.payouts.services import bank_account_approve, bank_account_submit
from marketplace.tourist_tax.models import TouristTaxRate
from tests import factories
from tests.booking_helpers import book, shared_rules
from tests.factories import make_provider, make_user
from tests.marketplace.payouts.conftest import IBAN_NEW, IBAN_OLD, build_bank_world
from tests.snapshots import Replay
from tests.tax_helpers import taxed_stay_book

OPERATOR_IBAN = "FR1420041010050500013M02606"
OPERATOR_BIC = "PSSTFRPP"
IBAN_COLLECTOR = "FR7630004000031234567890143"


def approve_details(world, account, iban, holder):
    row = bank_account_submit(
        site=world["site"],
        account=account,
        holder_name=holder,
        iban=iban,
        bic="",
        by=world["finance"],
    )
    return bank_account_approve(bank_account=row, by=world["finance2"])


def debtor_set(site, **values):
    settings = PayoutSettings.for_site(site)
    values = {
        "debtor_name": "Communauté de communes du Haut-Vallon",
        "debtor_iban": OPERATOR_IBAN,
        "debtor_bic": OPERATOR_BIC,
        **values,
    }
    for name, value in values.items():
        setattr(settings, name, value)
    settings.save()
    return settings


def build_runs_world(territory, category):
    world = build_bank_world(territory, category)
    shared_rules(territory)
    settings = TerritorySettings.for_site(territory)
    settings.payout_delay_days = 0
    settings.save()
    debtor_set(territory)
    ferme = world["ferme"]
    ferme.stripe_account_id = "acct_ferme"
    ferme.payouts_enabled = True
    ferme.save(update_fields=["stripe_account_id", "payouts_enabled"])
    camping = make_provider(
        territory,
        name="Camping du Torrent",
        category=category,
        commune="Arvière-le-Bourg",
        address="2 route du Col",
    )
    TouristTaxRate.objects.create(
        site=territory,
        commune="Arvière-le-Bourg",
        category="camping_3_5",
        valid_from=dt.date(2020, 1, 1),
        rate=55,
    )
    canoes = f"provider:{world['canoes'].pk}"
    approve_details(world, canoes, IBAN_OLD, "Canoës Alice SARL")
    approve_details(world, "beneficiary:fonds", IBAN_NEW, "Fonds local du Haut-Vallon")
    approve_details(world, world["collector"].account, IBAN_COLLECTOR, "SGC de Briançon")
    visitor = make_user("visiteur-runs@example.org")
    honey = factories.product(world["canoes"], price_per_item=1000)
    cheese = factories.product(ferme, title="Tomme", price_per_item=1500)
    pitch = factories.stay(
        camping,
        tax_category="camping_3_5",
        registration_number="05006 000123 7K",
        price_per_night=2400,
        host_is_professional=False,
    )
    start = timezone.localdate() + dt.timedelta(days=30)
    bookings = {
        "honey": book(visitor, honey, quantity=2).bookings.get(),
        "cheese": book(visitor, cheese, quantity=1).bookings.get(),
        "stay": taxed_stay_book(
            visitor,
            pitch,
            start=start,
            end=start + dt.timedelta(days=2),
            adults=2,
            paid_at=timezone.now(),
        ),
    }
    return {**world, "camping": camping, "visitor": visitor, "honey_offer": honey, **bookings}


runs_world_replay = Replay(build_runs_world)


def days_pass(*bookings, to: dt.date | None = None) -> None:
    """The day these bookings become payable has come (today, or ``to``)."""
    Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
        payable_on=to or timezone.localdate()
    )
