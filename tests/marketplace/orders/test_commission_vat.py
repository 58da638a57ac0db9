"""The VAT included in a booking's commission is set aside in the ledger (``tax:vat``)
before the beneficiaries get their shares, when the operator is subject to VAT.

The worked example: a 100,00 € service, provider's commission 5 % (500) and visitor's
service fee 2 % (200), so C = 700 split 60/40 between "Fonds local" (420) and "Office de
tourisme" (280). At 20 %: V = 700 − round_half_up(700 / 1.2) = 700 − 583 = 117, split by
largest remainder in proportion to 420 : 280 (70.2 : 46.8) as 70 and 47. The fund keeps
350, the office 233, the State's account 117.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from marketplace.books.fec import fec_entries
from marketplace.books.flows import transparency_flows
from marketplace.books.ledger import VAT_ACCOUNT
from marketplace.books.models import LedgerEntry, LedgerTransaction, TransactionKind
from marketplace.invoices.movements import commission_movements
from marketplace.models import Booking, TerritorySettings
from marketplace.orders.accounting import confirmed_key, vat_key
from marketplace.orders.transitions import booking_cancel, order_pay
from marketplace.payouts.payable import payable_balance
from marketplace.payouts.runs import payout_run_plan
from marketplace.payouts.statements import VAT, recipient_statement
from tests import factories
from tests.booking_helpers import activity_in, book, shared_rules
from tests.factories import make_provider, make_user

PARIS = ZoneInfo("Europe/Paris")
FONDS, OT = "beneficiary:fonds", "beneficiary:ot"


def vat_on(site, rate="20.00"):
    settings = TerritorySettings.for_site(site)
    settings.subject_to_vat = True
    settings.vat_rate = Decimal(rate)
    settings.max_unpaid_orders, settings.max_held_per_offer = 100, 1000
    settings.save()


def held(booking: Booking) -> dict[str, int]:
    """What the ledger holds for the booking, per account (credits negative)."""
    rows = (
        LedgerEntry.objects.filter(transaction__booking_ref=booking.reference)
        .values("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    return {account: total for account, total in rows if total}


@pytest.fixture
def world(territory, category):
    shared_rules(territory)
    canoes = make_provider(territory, name="Canoës Alice", category=category)
    return {
        "site": territory,
        "canoes": canoes,
        "visitor": make_user("visiteur-tva@example.org"),
    }


def descent(world, *, ahead=dt.timedelta(days=2)):
    """A 100 € activity under the moderate policy: cancelled now, half comes back."""
    offer = activity_in(world["canoes"], ahead=ahead, policy="moderate", price=10_000)
    order = book(world["visitor"], offer)
    return order.bookings.get()


def honey_paid_at(world, when) -> Booking:
    """A 100 € product paid at ``when`` (payable soon after: no start to wait for)."""
    offer = factories.product(world["canoes"], price_per_item=10_000, stock=100)
    order = book(world["visitor"], offer, pay=False, quantity=1)
    order_pay(order_id=order.pk, payment_ref=f"test:{order.reference}", now=when, notify=False)
    return order.bookings.get()


def test_the_default_is_not_subject_to_vat(territory):
    TerritorySettings.objects.filter(site=territory).delete()
    assert TerritorySettings.for_site(territory).subject_to_vat is False


def test_a_confirmed_booking_sets_the_vat_of_its_commission_aside(world):
    vat_on(world["site"])
    booking = descent(world)
    assert (booking.provider_commission, booking.visitor_fee, booking.commission) == (500, 200, 700)

    vat = LedgerTransaction.objects.get(idempotency_key=vat_key(booking))
    confirmation = LedgerTransaction.objects.get(idempotency_key=confirmed_key(booking))
    assert vat.kind == TransactionKind.VAT
    assert vat.occurred_at == confirmation.occurred_at
    assert (vat.order_ref, vat.booking_ref) == (confirmation.order_ref, booking.reference)
    assert "TVA 20 %" in vat.memo
    assert sorted(vat.entries.values_list("account", "amount")) == [
        (FONDS, 70),
        (OT, 47),
        (VAT_ACCOUNT, -117),
    ]
    ledger = held(booking)
    assert (ledger[FONDS], ledger[OT], ledger[VAT_ACCOUNT]) == (-350, -233, -117)
    # The visitor's payment is still all distributed: provider + beneficiaries + taxes.
    assert (
        ledger["visitor"]
        == booking.visitor_total
        == -sum(amount for account, amount in ledger.items() if account != "visitor")
    )


def test_without_vat_nothing_is_set_aside(world):
    booking = descent(world)  # the default: not subject to VAT
    assert not LedgerTransaction.objects.filter(idempotency_key=vat_key(booking)).exists()
    ledger = held(booking)
    assert (ledger[FONDS], ledger[OT]) == (-420, -280) and VAT_ACCOUNT not in ledger


def test_a_zero_rate_sets_nothing_aside(world):
    vat_on(world["site"], rate="0")
    booking = descent(world)
    assert VAT_ACCOUNT not in held(booking)


def test_a_partial_refund_gives_back_the_same_fraction_of_the_vat(world):
    vat_on(world["site"])
    booking = descent(world)

    refund = booking_cancel(booking_id=booking.pk, by_provider=False, notify=False)

    assert refund.amount == 5_100  # half of 10 200
    back = LedgerTransaction.objects.get(idempotency_key=f"{vat_key(booking)}:refund:cancel")
    assert back.kind == TransactionKind.VAT and back.reverses is None
    # Half of 117 is 58,5, rounded half up to 59, taken back as 35 (70) and 24 (47).
    assert sorted(back.entries.values_list("account", "amount")) == [
        (FONDS, -35),
        (OT, -24),
        (VAT_ACCOUNT, 59),
    ]
    ledger = held(booking)
    # Fund: 420 − 210 − (70 − 35); office: 280 − 140 − (47 − 24); the State: 117 − 59.
    assert (ledger[FONDS], ledger[OT], ledger[VAT_ACCOUNT]) == (-175, -117, -58)
    assert (
        ledger["visitor"]
        == 5_100
        == -sum(amount for account, amount in ledger.items() if account != "visitor")
    )


def test_a_full_refund_leaves_no_vat(world):
    vat_on(world["site"])
    booking = descent(world)
    booking_cancel(booking_id=booking.pk, by_provider=True, notify=False)
    assert held(booking) == {}


def test_the_rate_at_confirmation_stays_with_the_booking(world):
    vat_on(world["site"])
    booking = descent(world)
    vat_on(world["site"], rate="5.50")  # changed after the confirmation

    booking_cancel(booking_id=booking.pk, by_provider=False, notify=False)

    ledger = held(booking)
    assert (ledger[FONDS], ledger[OT], ledger[VAT_ACCOUNT]) == (-175, -117, -58)
    TerritorySettings.objects.filter(site=world["site"]).update(subject_to_vat=False)
    assert held(booking) == ledger


def test_the_commission_movements_of_invoices_ignore_the_set_aside(world):
    vat_on(world["site"])
    booking = descent(world)
    booking_cancel(booking_id=booking.pk, by_provider=False, notify=False)

    movements = commission_movements(site=world["site"], booking_refs=[booking.reference])

    # The commission charged, VAT included, and half of it given back: nothing else.
    assert [(m.kind, m.commission_cents) for m in movements] == [("sale", 700), ("refund", -350)]


def test_a_beneficiary_is_owed_and_paid_out_its_share_net_of_vat(world):
    vat_on(world["site"])
    booking = honey_paid_at(world, dt.datetime(2026, 3, 2, 12, tzinfo=PARIS))
    today = timezone.localdate()
    assert booking.payable_on <= today

    assert payable_balance(site=world["site"], account=FONDS, on=today).payable == 350
    plan = payout_run_plan(site=world["site"], until=today)
    planned = {row.account: row.amount for row in (*plan.payouts, *plan.skipped)}
    assert (planned[FONDS], planned[OT]) == (350, 233)
    assert VAT_ACCOUNT not in planned  # the State is paid by the operator's VAT return


def test_the_transparency_page_credits_net_of_vat_and_shows_the_vat(world):
    vat_on(world["site"])
    booking = honey_paid_at(world, dt.datetime(2026, 3, 2, 12, tzinfo=PARIS))

    flows = transparency_flows(site=world["site"], year=2026)

    credited = {row.account: row.year.credited for row in flows["beneficiary_flows"]}
    assert credited == {FONDS: 350, OT: 233}
    assert flows["beneficiary_flows"][0].quarters[0].credited == 350
    assert flows["vat_flows"].year.credited == 117
    assert booking.commission == 350 + 233 + 117


def test_without_vat_the_transparency_page_has_no_vat_line(world):
    honey_paid_at(world, dt.datetime(2026, 3, 2, 12, tzinfo=PARIS))
    assert transparency_flows(site=world["site"], year=2026)["vat_flows"] is None


def test_a_beneficiarys_statement_has_a_vat_line_and_balances(world):
    vat_on(world["site"])
    booking = honey_paid_at(world, dt.datetime(2026, 3, 2, 12, tzinfo=PARIS))

    statement = recipient_statement(
        site=world["site"], account=FONDS, since=dt.date(2026, 3, 1), until=dt.date(2026, 3, 31)
    )

    assert [(line.kind, line.amount) for line in statement.lines] == [("credit", 420), (VAT, -70)]
    assert statement.lines[1].booking_ref == booking.reference
    assert str(statement.lines[1].kind_label) in ("VAT on commission", "TVA sur commission")
    assert statement.closing == 350 == statement.payable + statement.due


def test_the_fec_reads_the_vat_from_the_ledger(world):
    vat_on(world["site"])
    booking = honey_paid_at(world, dt.datetime(2026, 3, 2, 12, tzinfo=PARIS))
    vat_on(world["site"], rate="10.00")  # what the settings say now does not matter

    entries = fec_entries(site=world["site"], year=2026)

    sale, vat = (e for e in entries if e.piece_ref == booking.reference)
    # The confirmation's commission lines are the ledger's, not split again.
    assert {line.ledger_account: line.amount for line in sale.lines if line.ledger_account} == {
        "visitor": 10_200,
        f"provider:{world['canoes'].pk}": -9_500,
        FONDS: -420,
        OT: -280,
    }
    assert all(line.account.num != "44571" for line in sale.lines)
    assert vat.journal == "VT" and vat.lib.startswith("TVA sur commission")
    assert [(line.account.num, line.aux_num, line.amount) for line in vat.lines] == [
        ("4672", FONDS, 70),
        ("4672", OT, 47),
        ("44571", "", -117),
    ]
    assert vat.lines[2].account.lib == "TVA collectée"


def test_the_payment_fee_charged_to_the_commission_never_takes_its_vat(world):
    """A Stripe fee larger than the commission left once the VAT is set aside is charged
    to the commission accounts up to what they keep (583), never into the State's VAT."""
    from payments.models import StripePayment
    from payments.stripe.checkout import payment_fee_post

    vat_on(world["site"])
    settings = TerritorySettings.for_site(world["site"])
    settings.stripe_fee_bearer = "commission"
    settings.save()
    booking = descent(world)
    payment = StripePayment.objects.create(
        order=booking.order,
        session_id="cs_test_vat",
        session_url="https://checkout.stripe.com/c/pay/cs_test_vat",
        session_expires_at=timezone.now(),
        amount=booking.visitor_total,
        fee=1_000,
    )

    payment_fee_post(payment=payment)

    ledger = held(booking)
    assert FONDS not in ledger and OT not in ledger  # 350 and 233 taken: nothing left
    assert ledger[VAT_ACCOUNT] == -117


def _amounts(shares) -> list[int]:
    return [cents for _name, cents in shares]


def test_what_the_visitor_is_shown_the_commission_funds_is_net_of_vat(world):
    """The offer page's and the cart's "of which X € to …" are what each beneficiary
    will keep once the VAT is set aside (350 and 233), the VAT its own last line (117):
    the same amounts the ledger then posts, and the booking's page and e-mails read."""
    from marketplace.commission import booking_breakdown, price_breakdown
    from marketplace.models import Cart
    from marketplace.orders.cart import cart_line_add, cart_lines_priced
    from marketplace.pricing import PriceQuote

    vat_on(world["site"])
    offer = activity_in(
        world["canoes"], ahead=dt.timedelta(days=2), policy="moderate", price=10_000
    )
    today = timezone.localdate()
    shown = price_breakdown(
        offer=offer, price_quote=PriceQuote(total=10_000, lines=()), booked_on=today
    )
    assert _amounts(shown.beneficiaries) == [350, 233, 117]
    assert str(shown.beneficiaries[-1][0]) == gettext("VAT on the commission, owed to the State")

    cart = Cart.objects.create(site=world["site"], user=make_user("panier-tva@example.org"))
    cart_line_add(
        cart=cart, offer=offer, params={"slot": str(offer.slots.get().pk), "persons": "1"}
    )
    (line,) = cart_lines_priced(cart=cart)
    assert _amounts(line.breakdown.beneficiaries) == [350, 233, 117]

    booking = descent(world)
    ledger = held(booking)
    assert (
        _amounts(booking_breakdown(booking).beneficiaries)
        == [
            -ledger[FONDS],
            -ledger[OT],
            -ledger[VAT_ACCOUNT],
        ]
        == [350, 233, 117]
    )


def test_without_vat_the_shares_shown_are_the_whole_commission(world):
    from marketplace.commission import booking_breakdown

    booking = descent(world)
    assert _amounts(booking_breakdown(booking).beneficiaries) == [420, 280]
