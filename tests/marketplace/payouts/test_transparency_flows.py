"""The public transparency page tells credited from paid out (issue 13 §3), per commission
beneficiary and per commune's tourist tax, for a year and its quarters, in a number of
queries that does not grow with them."""

import datetime as dt

from django.utils import timezone

from commissions.models import Beneficiary
from marketplace.books.flows import transparency_flows
from marketplace.books.ledger import ledger_post, ledger_reverse
from marketplace.tourist_tax.models import TaxCollector

URL = "/transparence/"
TAX = "tax:tourist:arviere-le-bourg"


def at(year, month, day) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, 12))


def confirmed(site, key, when, *, fonds, tax, **extra):
    entries = {"visitor": fonds + tax + 1000, "provider:1": -1000, "beneficiary:fonds": -fonds}
    if tax:
        entries[TAX] = -tax
    for account, cents in extra.items():
        entries[account] = -cents
        entries["visitor"] += cents
    return ledger_post(
        site=site,
        kind="order_confirmed",
        idempotency_key=key,
        entries=list(entries.items()),
        occurred_at=when,
    )


def paid(site, account, cents, when, *, kind="payout", key):
    return ledger_post(
        site=site,
        kind=kind,
        idempotency_key=key,
        entries=[(account, cents), ("platform:bank", -cents)],
        external_ref=key,
        occurred_at=when,
    )


def ledger_of_2025(site):
    """Fonds: 600 credited in Q1, 200 in Q3, half of the first refunded in Q2 (−300);
    paid 250 by bank in Q2 and 100 by Stripe in Q4 (30 of it reversed). The commune: 120
    then 80 of tax, remitted 120 in Q3."""
    first = confirmed(site, "o1", at(2025, 2, 10), fonds=600, tax=120)
    ledger_reverse(
        transaction=first, idempotency_key="o1:refund", fraction=(1, 2), occurred_at=at(2025, 5, 3)
    )
    confirmed(site, "o2", at(2025, 8, 20), fonds=200, tax=80)
    paid(site, "beneficiary:fonds", 250, at(2025, 6, 30), key="VIR-2025-06")
    paid(site, TAX, 120, at(2025, 9, 30), key="VIR-2025-09")
    transfer = paid(site, "beneficiary:fonds", 100, at(2025, 11, 2), kind="transfer", key="tr_1")
    ledger_reverse(
        transaction=transfer,
        idempotency_key="tr_1:rev",
        fraction=(3, 10),
        occurred_at=at(2025, 12, 1),
    )
    # Another year: not in 2025's figures.
    confirmed(site, "o3", at(2024, 12, 31), fonds=999, tax=0)


def test_credited_and_paid_out_per_beneficiary_commune_and_quarter(world):
    site = world["site"]
    ledger_of_2025(site)
    flows = transparency_flows(site=site, year=2025)
    assert flows["flow_year"] == 2025
    assert {2024, 2025, timezone.localdate().year} <= set(flows["flow_years"])
    (fonds,) = [r for r in flows["beneficiary_flows"] if r.account == "beneficiary:fonds"]
    assert fonds.name == "Fonds local"
    assert (fonds.year.credited, fonds.year.paid_out) == (600 - 300 + 200, 250 + 100 - 30)
    assert [(q.credited, q.paid_out) for q in fonds.quarters] == [
        (600, 0),
        (-300, 250),
        (200, 0),
        (0, 70),
    ]
    (commune,) = flows["commune_flows"]
    assert commune.name == "Arvière-le-Bourg"
    assert (commune.year.credited, commune.year.paid_out) == (60 + 80, 120)
    assert commune.quarters[2].paid_out == 120
    assert flows["commune_flows_total"].year.credited == 140

    other = transparency_flows(site=site, year=2024)
    (fonds_2024,) = [r for r in other["beneficiary_flows"] if r.account == "beneficiary:fonds"]
    assert (fonds_2024.year.credited, fonds_2024.year.paid_out) == (999, 0)
    # A year that is not there: the current one.
    assert transparency_flows(site=site, year=1990)["flow_year"] == timezone.localdate().year


def test_the_figures_take_the_same_queries_for_one_or_many_recipients(
    world, django_assert_num_queries
):
    site = world["site"]
    ledger_of_2025(site)
    with django_assert_num_queries(4):
        transparency_flows(site=site, year=2025)
    for n in range(6):
        Beneficiary.objects.create(site=site, key=f"b{n}", name=f"B {n}", kind="other", live=True)
        TaxCollector.objects.create(site=site, commune=f"Commune {n}", name=f"SGC {n}")
        confirmed(
            site,
            f"more{n}",
            at(2025, 3, 1),
            fonds=1,
            tax=0,
            **{f"beneficiary:b{n}": 5, f"tax:tourist:commune-{n}": 7},
        )
    with django_assert_num_queries(4):
        flows = transparency_flows(site=site, year=2025)
    assert len(flows["commune_flows"]) == 7
    assert len([r for r in flows["beneficiary_flows"] if r.year.credited]) == 7


def test_the_page_shows_them_in_french_and_english(world, client):
    site = world["site"]
    ledger_of_2025(site)
    html = client.get(URL, {"year": "2025"}).content.decode()
    assert "Crédité et versé en 2025" in html
    assert 'data-account="beneficiary:fonds"' in html and f'data-account="{TAX}"' in html
    assert '<td class="num" data-cents="500" data-flow="credited">5,00\u00a0€</td>' in html
    assert '<td class="num" data-cents="320" data-flow="paid_out">3,20\u00a0€</td>' in html
    assert '<option value="2024">' in html and "T3" in html and "Année 2025" in html
    english = client.get("/en" + URL, {"year": "2025"}).content.decode()
    assert "Credited and paid out in 2025" in english and "Q3" in english
    assert '<td class="num" data-cents="140" data-flow="credited">€1.40</td>' in english
    # No year, or nonsense: the current year.
    assert (
        f"Crédité et versé en {timezone.localdate().year}"
        in client.get(URL, {"year": "x" * 5}).content.decode()
    )


def test_the_vat_set_aside_is_netted_and_shown_on_its_own_line(world, client):
    """The operator subject to VAT set 1,00 € of the fund's 6,00 € aside for the State
    (then gave back half of it with the refund of half the booking)."""
    from marketplace.books.selectors import beneficiary_earnings

    site = world["site"]
    ledger_of_2025(site)
    earned = beneficiary_earnings(site=site)["fonds"]
    for key, cents, when in (
        ("o1:vat", 100, at(2025, 2, 10)),
        ("o1:vat:back", -50, at(2025, 5, 3)),
    ):
        ledger_post(
            site=site,
            kind="vat",
            idempotency_key=key,
            entries=[("beneficiary:fonds", cents), ("tax:vat", -cents)],
            booking_ref="o1",
            occurred_at=when,
        )
    flows = transparency_flows(site=site, year=2025)
    fonds = next(r for r in flows["beneficiary_flows"] if r.account == "beneficiary:fonds")
    assert fonds.year.credited == 500 - 50
    assert [q.credited for q in fonds.quarters] == [500, -250, 200, 0]
    assert flows["vat_flows"].year.credited == 50
    assert beneficiary_earnings(site=site)["fonds"] == earned - 50
    html = client.get(URL, {"year": "2025"}).content.decode()
    assert 'class="flows-vat" data-cents="50"' in html
    assert "La commission inclut la TVA" in html and "0,50\u00a0€ mis de côté en 2025" in html
    english = client.get("/en" + URL, {"year": "2025"}).content.decode()
    assert "€0.50 set aside in 2025" in english
