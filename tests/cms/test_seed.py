"""``seed_demo``: what the demo territory contains, idempotency, and the bulk catalogue.

The demo is seeded once for this module (inside a transaction rolled back at the end),
since building it takes a while; each test runs in its own savepoint on top of it. It
makes fewer past orders than the default (``--past-orders``) to keep the module quick.
"""

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

PAST_ORDERS = 80
DENORMALISED = (
    "kind",
    "provider_id",
    "listing_category_id",
    "commune",
    "latitude",
    "longitude",
    "price_from",
    "max_guests",
    "search_text",
)


@pytest.fixture(scope="module")
def seed_media(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("seed-media"))


@pytest.fixture(autouse=True)
def _media_root(settings, seed_media):
    """The seeded images' files stay readable by every test of this module."""
    settings.MEDIA_ROOT = seed_media


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, seed_media):
    from huey.contrib.djhuey import HUEY

    previous_immediate, HUEY.immediate = HUEY.immediate, True
    try:
        with override_settings(MEDIA_ROOT=seed_media), django_db_blocker.unblock():
            with transaction.atomic():
                out = io.StringIO()
                call_command("seed_demo", "--past-orders", str(PAST_ORDERS), stdout=out)
                yield out.getvalue()
                transaction.set_rollback(True)
    finally:
        HUEY.immediate = previous_immediate


def snapshot() -> dict:
    """Row counts of everything the seed writes, plus page revisions and image files."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group
    from wagtail.images import get_image_model
    from wagtail.models import Collection, GroupPagePermission, Page, Revision

    from marketplace.books.models import LedgerEntry, LedgerTransaction
    from marketplace.models import (
        ActivitySlot,
        Booking,
        Cart,
        Closure,
        Label,
        OfferPage,
        Order,
        ProductStock,
        Provider,
        ProviderCategory,
        ProviderMembership,
        Refund,
        SeasonalPrice,
        StayNight,
        TerritorySettings,
        WeeklySlot,
    )
    from marketplace.payouts.models import BankAccount, PayoutSettings
    from marketplace.tourist_tax.models import TaxCollector, TouristTaxRate, TouristTaxSettings

    models = [
        Order,
        Booking,
        Refund,
        Cart,
        StayNight,
        ProductStock,
        LedgerTransaction,
        LedgerEntry,
        Page,
        Revision,
        OfferPage,
        Provider,
        ProviderMembership,
        ProviderCategory,
        Label,
        SeasonalPrice,
        Closure,
        WeeklySlot,
        ActivitySlot,
        get_image_model(),
        Collection,
        Group,
        GroupPagePermission,
        get_user_model(),
        EmailAddress,
        TerritorySettings,
        TouristTaxRate,
        TaxCollector,
        BankAccount,
        PayoutSettings,
    ]
    counts = {model.__name__: model.objects.count() for model in models}
    counts["latest revisions"] = sorted(
        Page.objects.exclude(latest_revision=None).values_list("pk", "latest_revision_id")
    )
    counts["settings"] = list(TerritorySettings.objects.values())
    counts["tourist tax settings"] = list(TouristTaxSettings.objects.values())
    counts["bank details"] = sorted(BankAccount.objects.values_list("account", "status", "iban"))
    counts["payout settings"] = list(PayoutSettings.objects.values())
    return counts


def kind_counts():
    from marketplace.models import OfferPage

    live = OfferPage.objects.live()
    return {kind: live.filter(kind=kind).count() for kind in ("stay", "activity", "product")}


@pytest.mark.django_db
def test_demo_meets_the_issue(seeded):
    from cms.models import HomePage, StandardPage
    from cms.services import EDITORS_GROUP, FINANCE_GROUP
    from marketplace.models import (
        ActivitySlot,
        OfferPage,
        Provider,
        ProviderStatus,
        StayOfferPage,
        TerritorySettings,
    )

    approved = Provider.objects.filter(status=ProviderStatus.APPROVED)
    shops = approved.filter(category__slug__in=["producteur", "commerce", "artisanat"])
    assert shops.count() >= 8
    assert approved.filter(category__slug__in=["plein-air", "visites-ateliers"]).count() >= 4
    assert all(p.page.live and p.group_id and p.collection_id for p in approved)

    live = OfferPage.objects.live()
    assert live.count() >= 40
    assert all(n > 0 for n in kind_counts().values())
    # Every offer has a cover image drawn into its provider's collection.
    for offer in live.select_related("cover_image", "provider"):
        assert offer.cover_image.collection_id == offer.provider.collection_id
        assert offer.cover_image.width == 1200
        assert offer.live_revision_id is not None

    pitches = StayOfferPage.objects.get(
        locale__language_code="fr", slug="emplacement-tente-caravane"
    )
    mobile_homes = StayOfferPage.objects.get(
        locale__language_code="fr", slug="mobil-home-6-personnes"
    )
    assert (pitches.units, mobile_homes.units) == (40, 6)
    assert pitches.get_parent().specific.provider == mobile_homes.provider
    for stay in (pitches, mobile_homes):
        assert stay.seasonal_prices.exists()
        assert stay.closures.filter(reason__icontains="hiver").exists()
        assert stay.price_from == min(
            [stay.price_per_night, *stay.seasonal_prices.values_list("price_per_night", flat=True)]
        )

    horizon = timezone.now() + dt.timedelta(days=80)
    for activity_id in live.filter(kind="activity").values_list("pk", flat=True):
        assert ActivitySlot.objects.filter(offer_id=activity_id, starts_at__gte=horizon).exists()
    assert all(o.specific.stock > 0 for o in live.filter(kind="product"))

    site_settings = TerritorySettings.objects.get()
    assert site_settings.require_offer_approval

    home = HomePage.objects.get(locale__language_code="fr")  # the demo translates it
    assert home.intro and home.featured_offers.count() >= 4 and len(home.body) >= 3
    assert set(StandardPage.objects.live().values_list("slug", flat=True)) >= {
        "mentions-legales",
        "accessibilite",
    }

    users = {u.email: u for u in get_user_model().objects.all()}
    admin = users["admin@comptoir.localhost"]
    assert admin.is_superuser
    assert users["editrice@comptoir.localhost"].groups.filter(name=EDITORS_GROUP).exists()
    assert users["finances@comptoir.localhost"].groups.filter(name=FINANCE_GROUP).exists()
    member = users["camping@comptoir.localhost"]
    assert member.providers.get() == pitches.provider
    assert member.groups.filter(pk=pitches.provider.group_id).exists()
    assert not users["visiteur@comptoir.localhost"].groups.exists()
    for user in users.values():
        assert user.emailaddress_set.get().verified
    for email, password in [
        ("admin@comptoir.localhost", "comptoir-admin"),
        ("visiteur@comptoir.localhost", "comptoir-visiteur"),
    ]:
        assert users[email].check_password(password)
        assert email in seeded and password in seeded


@pytest.mark.django_db
def test_demo_listing_fields_match_the_model(seeded):
    from marketplace.models import OfferPage

    for offer in OfferPage.objects.live().specific():
        before = {name: getattr(offer, name) for name in DENORMALISED}
        offer.refresh_denormalised()
        assert before == {name: getattr(offer, name) for name in DENORMALISED}, offer.title


@pytest.mark.django_db
def test_second_run_changes_nothing(seeded):
    before = snapshot()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert snapshot() == before
    assert "nothing to change" in out.getvalue()


@pytest.mark.django_db
def test_demo_pages_render(seeded, client):
    from marketplace.models import OfferPage

    assert client.get("/").status_code == 200
    assert client.get("/offres/").status_code == 200
    for slug in ("mentions-legales", "accessibilite"):
        assert client.get(f"/{slug}/").status_code == 200
    try:
        get_template("marketplace/offer_page.html")
    except TemplateDoesNotExist:
        pytest.skip("the storefront's offer template is not there yet")
    for kind in ("stay", "activity", "product"):
        offer = OfferPage.objects.live().filter(kind=kind).first()
        assert client.get(offer.url).status_code == 200, offer.url


@pytest.mark.django_db
def test_large_mode_writes_a_consistent_catalogue(seeded, client):
    from wagtail.models import Page

    from cms.demo.bulk import GENERATED_PREFIX
    from marketplace.models import ActivitySlot, OfferPage, Provider, ProviderStatus

    demo_offers = OfferPage.objects.live().count()
    out = io.StringIO()
    call_command("seed_demo", "--offers", "90", "--providers", "20", stdout=out)

    generated = Provider.objects.filter(slug__startswith=GENERATED_PREFIX)
    assert Provider.objects.filter(status=ProviderStatus.APPROVED).count() == 20
    assert all(p.status == ProviderStatus.APPROVED and p.page.live for p in generated)
    assert OfferPage.objects.live().count() == 90
    bulk = OfferPage.objects.filter(provider__in=generated)
    assert bulk.count() == 90 - demo_offers
    assert set(bulk.values_list("kind", flat=True)) <= {"stay", "activity", "product"}

    # Generated providers get what provider_approve gives a demo provider.
    def access(provider):
        from wagtail.models import (
            CollectionViewRestriction,
            GroupCollectionPermission,
            GroupPagePermission,
        )

        return (
            provider.status,
            {
                (
                    r.restriction_type,
                    frozenset(g.name for g in r.groups.all()) - {provider.group.name},
                )
                for r in CollectionViewRestriction.objects.filter(collection=provider.collection)
            },
            provider.page.live,
            set(provider.group.permissions.values_list("codename", flat=True)),
            set(
                GroupCollectionPermission.objects.filter(
                    group=provider.group, collection=provider.collection
                ).values_list("permission__codename", flat=True)
            ),
            set(
                GroupPagePermission.objects.filter(
                    group=provider.group, page=provider.page
                ).values_list("permission__codename", flat=True)
            ),
        )

    reference = access(Provider.objects.get(slug="boulangerie-ravel"))
    for provider in generated:
        assert access(provider) == reference

    # The tree is sound (paths, depths, numchild) and the listing fields are right.
    assert Page.find_problems() == ([], [], [], [], [])
    for offer in bulk.specific():
        assert offer.live and offer.url_path.startswith(offer.get_parent().url_path)
        before = {name: getattr(offer, name) for name in DENORMALISED}
        offer.refresh_denormalised()
        assert before == {name: getattr(offer, name) for name in DENORMALISED}, offer.title
        if offer.kind == "activity":
            assert offer.weekly_slots.exists()
            assert ActivitySlot.objects.filter(offer=offer).exists()

    # Growing again with the same numbers changes nothing.
    before = snapshot()
    call_command("seed_demo", "--offers", "90", "--providers", "20", stdout=io.StringIO())
    assert snapshot() == before

    try:
        get_template("marketplace/offer_page.html")
    except TemplateDoesNotExist:
        pytest.skip("the storefront's offer template is not there yet")
    for kind in ("stay", "activity", "product"):
        offer = bulk.filter(kind=kind).first()
        if offer is not None:
            assert client.get(offer.url).status_code == 200, offer.url
    assert client.get("/offres/?q=n%C2%B0").status_code == 200


def test_generated_sirets_are_valid():
    from cms.demo.seed import siret_for
    from marketplace.models.providers import validate_siret

    for key in ("a", "camping", "gen-00001", "x" * 40):
        validate_siret(siret_for(key))


@pytest.mark.django_db
def test_demo_has_a_live_base_rule_and_a_council(seeded):
    from wagtail.models import Site

    from cms.services import COUNCIL_GROUP
    from commissions.models import CommissionRule
    from commissions.selectors import live_rule_specs

    site = Site.objects.get(is_default_site=True)
    assert [s.key for s in live_rule_specs(site_id=site.pk, use_cache=False)] == ["base"]
    assert CommissionRule.objects.get(key="base").distribution.shares.count() == 3
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.filter(groups__name=COUNCIL_GROUP).exists()


@pytest.mark.django_db
def test_demo_stays_compute_a_tourist_tax(seeded):
    import datetime as dt

    from wagtail.models import Site

    from marketplace.models import StayOfferPage
    from marketplace.tourist_tax.selectors import quote_for

    site = Site.objects.get(is_default_site=True)
    pitch = StayOfferPage.objects.get(locale__language_code="fr", slug="emplacement-tente-caravane")
    gite = StayOfferPage.objects.get(locale__language_code="fr", slug="gite-8-personnes")
    assert (pitch.tax_category, pitch.host_is_professional) == ("camping_3_5", True)
    assert pitch.tax_collection_mandate and pitch.tax_collected_by_platform
    room = StayOfferPage.objects.get(locale__language_code="fr", slug="chambre-tilleul")
    assert not room.tax_collected_by_platform  # a professional who collects it on site
    assert (gite.tax_category, gite.host_is_professional) == ("4_stars", False)
    assert not StayOfferPage.objects.filter(tax_category="").exists()
    on = dt.date.today()
    # 0,55 € + 10 % departmental (0,06 €), 2 adults (2 minors exempt), 3 nights.
    quote = quote_for(
        site=site,
        commune=pitch.commune,
        category=pitch.tax_category,
        on_date=on,
        nights=3,
        adults=2,
        minors=2,
    )
    assert quote.as_json() == {
        "rate_per_person_night": 55,
        "persons_taxed": 2,
        "nights": 3,
        "base": 330,
        "surcharges": {"departmental": 36},
        "total": 366,
    }
    generated = StayOfferPage.objects.filter(tax_category="unclassified").first()
    if generated is not None:
        quote = quote_for(
            site=site,
            commune=generated.commune,
            category="unclassified",
            on_date=on,
            nights=2,
            adults=2,
            price_per_night=generated.price_per_night,
        )
        assert 0 < quote.rate_per_person_night <= 230


@pytest.mark.django_db
def test_demo_pays_by_transfer_with_approved_bank_details(seeded):
    """Each commune with a stay has its tax collector; the beneficiaries without Stripe,
    the collectors and one provider without Stripe (the campsite) have bank details the
    administrator submitted and finance approved; seasonal workers may be declared."""
    from schwifty import IBAN
    from wagtail.models import Site

    from commissions.models import Beneficiary
    from marketplace.models import Provider, StayOfferPage
    from marketplace.payouts.models import BankAccount
    from marketplace.payouts.recipients import site_recipients
    from marketplace.tourist_tax.models import TaxCollector, TouristTaxSettings

    site = Site.objects.get(is_default_site=True)
    stay_communes = set(
        StayOfferPage.objects.live().values_list("provider__commune", flat=True).distinct()
    )
    collectors = {c.commune: c for c in TaxCollector.objects.filter(site=site)}
    assert set(collectors) == stay_communes and len(stay_communes) >= 2
    camping = Provider.objects.get(slug="camping-des-berges-de-l-arviere")
    assert camping.stripe_account_id == ""
    wanted = (
        {
            f"beneficiary:{b.key}"
            for b in Beneficiary.objects.filter(site=site, stripe_account="").exclude(
                kind="running_costs"
            )
        }
        | {c.account for c in collectors.values()}
        | {f"provider:{camping.pk}"}
    )
    assert len(wanted) >= 2 + len(stay_communes) + 1
    approved = {row.account: row for row in BankAccount.objects.for_site(site).approved()}
    assert set(approved) == wanted
    assert not BankAccount.objects.for_site(site).pending().exists()
    for row in approved.values():
        assert row.submitted_by.email == "admin@comptoir.localhost"
        assert row.decided_by.email == "finances@comptoir.localhost"
        iban = IBAN(row.iban)  # raises if the check digits or the RIB key were wrong
        assert (iban.country_code, iban.bank_code, row.bic) == ("FR", "30006", "AGRIFRPPXXX")
    assert len({row.iban for row in approved.values()}) == len(approved)
    # Every collector is a recipient finance can pay.
    kinds = {r.account: r.kind for r in site_recipients(site=site)}
    assert all(kinds[c.account] == "tourist_tax" for c in collectors.values())
    tax_settings = TouristTaxSettings.for_site(site)
    assert tax_settings.exemption_seasonal_workers
    assert not tax_settings.exemption_emergency_housing


@pytest.mark.django_db
def test_finance_can_run_payouts_in_the_demo(seeded):
    """The operator's account is in the payout settings, so a payout run's plan (what
    the demo's past orders made payable) can be drawn up and turned into a SEPA file."""
    import io
    import json

    from django.core.management import call_command
    from schwifty import IBAN
    from wagtail.models import Site

    from marketplace.payouts.models import PayoutSettings

    site = Site.objects.get(is_default_site=True)
    payout_settings = PayoutSettings.for_site(site)
    assert payout_settings.has_debtor_account
    assert IBAN(payout_settings.debtor_iban).bank_code == "30006"
    out = io.StringIO()
    call_command("payout_run", "--dry-run", stdout=out, stderr=io.StringIO())
    plan = json.loads(out.getvalue())
    assert plan["reference"] is None
    assert plan["payouts"], "the demo's past orders left something payable by transfer"
    assert all(p["amount"] > 0 and p["iban"].startswith("FR") for p in plan["payouts"])


@pytest.mark.django_db
def test_a_demo_seeded_before_the_tourist_tax_gets_it_on_the_next_run(seeded):
    """Stays seeded before they carried a tax category could not be booked (no tax can be
    computed): the next ``seed_demo`` gives them their category, mandate and host, as a
    published revision (what the editor shows next)."""
    from marketplace.models import StayOfferPage

    pitch = StayOfferPage.objects.get(locale__language_code="fr", slug="emplacement-tente-caravane")
    StayOfferPage.objects.filter(pk=pitch.pk).update(
        tax_category="", tax_collection_mandate=False, host_is_professional=False
    )
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    pitch.refresh_from_db()
    assert (pitch.tax_category, pitch.tax_collection_mandate, pitch.host_is_professional) == (
        "camping_3_5",
        True,
        True,
    )
    assert pitch.latest_revision.as_object().tax_category == "camping_3_5"
    assert "stays given their tourist tax" in out.getvalue()


@pytest.mark.django_db
def test_demo_gives_no_group_rights_over_the_whole_site(seeded):
    """Only the territory's editors hold rights on its home page and the root collection;
    Wagtail's default "Editors" and "Moderators" are not recreated."""
    from django.contrib.auth.models import Group
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Site

    from cms.services import EDITORS_GROUP

    assert not Group.objects.filter(name__in=("Editors", "Moderators")).exists()
    assert not GroupPagePermission.objects.filter(page__depth=1).exists()
    home = Site.objects.get(is_default_site=True).root_page
    holders = GroupPagePermission.objects.filter(page__path__startswith=home.path, page__depth=2)
    assert set(holders.values_list("group__name", flat=True)) == {EDITORS_GROUP}
    on_root_collection = GroupCollectionPermission.objects.filter(
        collection=Collection.get_first_root_node()
    )
    assert set(on_root_collection.values_list("group__name", flat=True)) == {EDITORS_GROUP}


@pytest.mark.django_db
def test_demo_has_months_of_orders_made_through_the_services(seeded, client):
    from django.db.models import Sum
    from wagtail.models import Site

    from cms.demo.orders import PAYMENT_PREFIX
    from marketplace.books.models import LedgerEntry, LedgerTransaction
    from marketplace.books.selectors import beneficiary_earnings, statement
    from marketplace.models import (
        ActivitySlot,
        Booking,
        BookingStatus,
        Cart,
        Order,
        OrderStatus,
        ProductStock,
        Provider,
        Refund,
        TerritorySettings,
    )

    site = Site.objects.get(is_default_site=True)
    orders = Order.objects.filter(site=site)
    assert PAST_ORDERS * 0.7 <= orders.count() <= PAST_ORDERS
    today = timezone.localdate()
    dates = sorted(timezone.localdate(o.created_at) for o in orders)
    assert dates[-1] < today and (today - dates[0]).days >= 120
    statuses = set(orders.values_list("status", flat=True))
    assert {OrderStatus.PAID, OrderStatus.ABANDONED, OrderStatus.EXPIRED} <= statuses
    assert not orders.filter(status=OrderStatus.PENDING).exists()
    assert (
        not orders.filter(status=OrderStatus.PAID)
        .exclude(payment_ref__startswith=PAYMENT_PREFIX)
        .exists()
    )
    # Several demo visitors, several providers, every kind.
    assert orders.values("user").distinct().count() >= 4
    bookings = Booking.objects.filter(order__site=site)
    assert bookings.values("provider").distinct().count() >= 8
    assert set(bookings.values_list("kind", flat=True)) == {"stay", "activity", "product"}
    # Stays have adults (and families minors, whom the tourist tax exempts); the others not.
    stays = bookings.filter(kind="stay")
    assert stays.filter(minors__gt=0).exists() and stays.filter(minors=0).exists()
    assert not stays.filter(adults__isnull=True).exists()
    assert not bookings.exclude(kind="stay").filter(adults__isnull=False).exists()
    # Past stays went through the real tourist tax: charged where the platform collects
    # it (the gîte's private hosts, the campsite's mandate), on site at the chambres
    # d'hôtes; the communes' ledger accounts hold what the stays still standing paid.
    collected = stays.filter(tax_details__collected_by_platform=True)
    assert collected.exists() and not collected.filter(tax=0).exists()
    assert not stays.filter(tax_details__collected_by_platform=False).exclude(tax=0).exists()
    assert not bookings.exclude(kind="stay").exclude(tax=0).exists()

    held = collected.filter(
        status__in=[BookingStatus.CONFIRMED, BookingStatus.COMPLETED]
    ).aggregate(total=Sum("tax"))["total"]
    in_books = LedgerEntry.objects.filter(
        transaction__site=site, account__startswith="tax:tourist:"
    ).aggregate(total=Sum("amount"))["total"]
    assert held and -in_books == held
    assert bookings.filter(status=BookingStatus.COMPLETED).exists()
    assert bookings.filter(status=BookingStatus.CANCELLED_BY_VISITOR).exists()
    for booking in bookings.filter(status=BookingStatus.COMPLETED)[:20]:
        assert booking.created_at == booking.order.created_at
        assert booking.created_at < booking.confirmed_at < booking.starts_at
    # Past activity slots exist for the past bookings; no slot is overbooked.
    assert ActivitySlot.objects.filter(
        starts_at__lt=timezone.now(), bookings__isnull=False
    ).exists()
    # Past orders never empty a shop: at most a quarter of a product's stock is sold.
    for row in ProductStock.objects.select_related("offer"):
        assert row.taken <= row.offer.stock // 4
    assert not Cart.objects.filter(lines__isnull=False).exists()

    # The ledger: one balanced transaction per confirmation and per refund, dated in the past.
    assert LedgerTransaction.objects.filter(occurred_at__gte=timezone.now()).count() == 0
    assert LedgerEntry.objects.aggregate(total=Sum("amount"))["total"] == 0
    # The operator (an SPL) is subject to VAT: the VAT of the commissions is set aside.
    assert TerritorySettings.for_site(site).subject_to_vat
    vat = LedgerEntry.objects.filter(transaction__site=site, account="tax:vat")
    assert vat.aggregate(total=Sum("amount"))["total"] < 0
    assert Refund.objects.exists()
    for refund in Refund.objects.select_related("booking")[:20]:
        assert refund.created_at == refund.booking.cancelled_at

    # The transparency page and the providers' statements now have figures.
    earnings = beneficiary_earnings(site=site)
    assert set(earnings) == {"fonds-local", "office-tourisme", "fonctionnement"}
    assert all(cents > 0 for cents in earnings.values())
    html = client.get("/transparence/").content.decode()
    from commissions.templatetags.comptoir_money import cents as cents_filter

    with translation.override("fr"):
        assert all(cents_filter(cents) in html for cents in earnings.values())
    camping = Provider.objects.get(slug="camping-des-berges-de-l-arviere")
    camping_statement = statement(account=f"provider:{camping.pk}", site=site)
    assert camping_statement.lines and camping_statement.closing < 0


@pytest.mark.django_db
def test_the_demo_offers_mfa_without_forcing_it(seeded, client):
    """The README's passwords log the demo's staff in (COMPTOIR_MFA_REQUIRED is off outside
    production): no second factor asked, nothing to set up before the admin."""
    for email, password in [
        ("admin@comptoir.localhost", "comptoir-admin"),
        ("finances@comptoir.localhost", "comptoir-finances"),
        ("conseil@comptoir.localhost", "comptoir-conseil"),
    ]:
        response = client.post("/accounts/login/", {"login": email, "password": password})
        assert response.status_code == 302 and "/accounts/" not in response.url, email
        assert client.get("/admin/").status_code == 200, email
        assert client.get(reverse("mfa_index")).status_code == 200, email
        client.post(reverse("account_logout"))


@pytest.mark.django_db
def test_the_demo_footer_links_its_terms_of_sale_and_contact_page(seeded, client):
    """Issue 14: a real "Conditions générales de vente" page (intermediary, prices and
    tourist tax, Stripe, cancellation, the withdrawal exception, mediation, data, law) and
    a contact form that reaches the territory, both in the footer, the contact last."""
    import html

    from django.core import mail
    from wagtail.contrib.forms.models import FormSubmission

    from cms.models import ContactPage
    from marketplace.models import TerritorySettings

    footer = client.get("/").content.decode().split('class="site-footer"', 1)[1]
    assert '<a href="/cgv/">Conditions générales de vente</a>' in footer
    assert '<a href="/contact/">Contact</a></li>\n        </ul>' in footer
    cgv = client.get("/cgv/").content.decode()
    for words in (
        "intermédiaire",
        "taxe de séjour",
        "Stripe",
        "politique d'annulation",
        "L221-28 12°",
        "médiateur de la consommation",
        "Données personnelles",
        "droit français",
    ):
        assert words in html.unescape(cgv), words

    contact = ContactPage.objects.live().get()
    assert contact.to_address == TerritorySettings.objects.get().contact_email
    mail.outbox.clear()
    response = client.post(
        "/contact/",
        {
            "nom": "Jeanne",
            "adresse_e_mail": "jeanne@example.org",
            "objet": "Question",
            "message": "Bonjour !",
        },
    )
    assert response.status_code == 200
    assert FormSubmission.objects.filter(page=contact).count() == 1
    assert [m.to for m in mail.outbox] == [["contact@val-arviere.localhost"]]


@pytest.mark.django_db
def test_demo_businesses_give_their_seller_details_and_the_private_host_is_asked(seeded):
    """Invoices and the DAC7 report name the demo's businesses by their SIREN and VAT
    number; the private host (not professional) has its seller details still to give."""
    from marketplace.books.dac7 import providers_missing
    from marketplace.models import Provider

    missing = {provider.slug for provider, _ in providers_missing()}
    professional = Provider.objects.filter(is_professional=True)
    assert professional.exists()
    for provider in professional:
        assert provider.slug not in missing
        assert provider.tax_identifier == provider.siret[:9]
        assert provider.vat_number.startswith("FR") and provider.vat_number.endswith(
            provider.tax_identifier
        )
    assert missing == set(
        Provider.objects.filter(is_professional=False).values_list("slug", flat=True)
    )
