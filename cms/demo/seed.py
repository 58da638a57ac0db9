"""The demo territory: taxonomy, accounts, providers, offers, home and editorial pages.

Every step looks for what it would create first and leaves it alone when found, so a
second run changes nothing (no new row, no new page revision). Offers are created once
with a revision and published straight away; the territory's approval workflow is for
offers that providers submit later, not for the seed.
"""

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from wagtail.models import Collection, Site

from cms.demo.accounts import ACCOUNTS, PROVIDER_MEMBER_OF, VISITOR_LANGUAGES
from cms.demo.images import image_ensure
from cms.demo.indexing import indexing_deferred
from cms.demo.invoices import past_invoices_ensure
from cms.demo.orders import HISTORY_ORDERS, orders_history_ensure
from cms.demo.pages import STANDARD_PAGES, body_block
from cms.demo.payouts import (
    bank_details_ensure,
    debtor_account_ensure,
    tourist_tax_settings_ensure,
)
from cms.demo.providers import PROVIDERS
from cms.demo.specs import Offer, ProviderSpec
from cms.demo.territory import (
    CATEGORIES,
    COMMISSION_RULES,
    COMMUNES,
    LABELS,
    MAP_CENTRE,
    OPERATOR_LEGAL_NAME,
    SITE_NAME,
)
from cms.demo.tourist_tax import rates_csv as tourist_tax_csv
from cms.demo.translations import translations_ensure
from cms.models import FeaturedOffer, HomePage, OfferIndexPage, ProviderPage, StandardPage
from cms.services import (
    COUNCIL_GROUP,
    EDITORS_GROUP,
    FINANCE_GROUP,
    contact_page_ensure,
    territory_setup,
)
from commissions.models import CommissionRule
from commissions.rules_io import rules_import
from marketplace.models import (
    ActivityOfferPage,
    Closure,
    Label,
    OfferGalleryImage,
    OfferPage,
    ProductOfferPage,
    Provider,
    ProviderCategory,
    ProviderStatus,
    SeasonalPrice,
    StayOfferPage,
    TerritorySettings,
    WeeklySlot,
)
from marketplace.services import activity_slots_generate, provider_approve
from marketplace.tourist_tax.models import TouristTaxRate
from marketplace.tourist_tax.rates_io import rates_import as tourist_tax_rates_import

SLOT_DAYS = 90


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    accounts: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n


def siret_for(key: str) -> str:
    """A stable, fictional SIRET that passes the Luhn check, derived from ``key``."""
    import hashlib

    digits = [int(c) % 10 for c in hashlib.sha256(key.encode()).hexdigest() if c.isdigit()]
    body = ([9] + digits + [0] * 13)[:13]  # a leading 9 keeps clear of La Poste's range
    total = 0
    for position, digit in enumerate(reversed(body), start=1):
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return "".join(map(str, body)) + str((10 - total % 10) % 10)


def french_vat_number(siren: str) -> str:
    """The intra-EU VAT number France gives a SIREN: FR, a two-digit key, the SIREN."""
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


def commune_info(name: str) -> tuple[str, Decimal, Decimal]:
    for commune, postcode, lat, lon in COMMUNES:
        if commune == name:
            return postcode, Decimal(lat), Decimal(lon)
    raise KeyError(name)


def revision_publish(page, *, user) -> None:
    """Save a revision of the page and publish it, as the admin's "Publish" button does.

    The revision is saved without validating the page first (``clean=False``): publishing
    saves the page, which validates the same content right after. Validating twice cost
    a query per relation of the page, twice, for every page of the demo."""
    page.save_revision(user=user, clean=False).publish(user=user)


# --- taxonomy, settings, accounts ---------------------------------------------------------


def taxonomy_ensure(report: SeedReport) -> tuple[dict[str, ProviderCategory], dict[str, Label]]:
    categories = {c.slug: c for c in ProviderCategory.objects.all()}
    for slug, name, name_en, order, _kind in CATEGORIES:
        if slug not in categories:
            categories[slug] = ProviderCategory.objects.create(
                slug=slug, name=name, name_en=name_en, sort_order=order
            )
            report.add("categories")
    labels = {label.slug: label for label in Label.objects.all()}
    for slug, name, name_en in LABELS:
        if slug not in labels:
            labels[slug] = Label.objects.create(slug=slug, name=name, name_en=name_en)
            report.add("labels")
    return categories, labels


def territory_settings_ensure(site: Site, report: SeedReport) -> TerritorySettings:
    settings = TerritorySettings.for_site(site)
    operator_siret = siret_for("operator")
    wanted = {
        "operator_legal_name": OPERATOR_LEGAL_NAME,
        # The identity its commission invoices print (fictional, valid numbers).
        "operator_siret": operator_siret,
        "operator_address": "1 place de la Mairie",
        "operator_postcode": "42610",
        "operator_city": "Arvière-le-Bourg",
        "vat_number": french_vat_number(operator_siret[:9]),
        "contact_email": "contact@val-arviere.localhost",
        "contact_phone": "04 77 50 00 00",
        "require_offer_approval": True,
        # An SPL is subject to VAT: its commissions include VAT, set aside in the ledger
        # (tax:vat) before the beneficiaries' shares, and its invoices show it.
        "subject_to_vat": True,
        "map_latitude": Decimal(MAP_CENTRE[0]),
        "map_longitude": Decimal(MAP_CENTRE[1]),
        "map_zoom": 11,
    }
    changed = [name for name, value in wanted.items() if getattr(settings, name) != value]
    if changed:
        for name in changed:
            setattr(settings, name, wanted[name])
        settings.save()
        report.add("territory settings")
    return settings


def accounts_ensure(report: SeedReport) -> dict:
    User = get_user_model()
    users = {}
    for key, email, password, role in ACCOUNTS:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(username=email, email=email)  # as allauth names accounts here
            user.is_superuser = user.is_staff = key == "admin"
            user.set_password(password)
            user.save()
            report.add("accounts")
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        group_name = {
            "editor": EDITORS_GROUP,
            "finance": FINANCE_GROUP,
            "council": COUNCIL_GROUP,
        }.get(key)
        if group_name and not user.groups.filter(name=group_name).exists():
            user.groups.add(Group.objects.get(name=group_name))
        users[key] = user
        report.accounts.append((email, password, role))
    return users


# --- providers -----------------------------------------------------------------------------


def provider_ensure(
    spec: ProviderSpec,
    *,
    site: Site,
    categories: dict,
    labels: dict,
    users: dict,
    report: SeedReport,
) -> ProviderPage:
    provider = Provider.objects.filter(slug=spec.slug).first()
    if provider is None:
        postcode, lat, lon = commune_info(spec.commune)
        member = users["provider"] if spec.slug == PROVIDER_MEMBER_OF else None
        local = spec.contact_name.split()[0].lower()
        provider = Provider.objects.create(
            site=site,
            name=spec.name,
            legal_name=spec.legal_name,
            slug=spec.slug,
            category=categories[spec.category],
            commune=spec.commune,
            address=spec.address,
            postcode=postcode,
            latitude=lat,
            longitude=lon,
            siret=siret_for(spec.slug),
            is_professional=spec.is_professional,
            classification=spec.classification,
            contact_name=spec.contact_name,
            email=member.email if member else f"{local}@{spec.slug[:40]}.localhost",
            phone=spec.phone,
            description=spec.description,
            applied_by=member,
        )
        provider.labels.set([labels[s] for s in spec.labels])
        report.add("providers")
    if spec.is_professional and not provider.tax_identifier:
        # Businesses give their SIREN and VAT number (invoices, DAC7). The demo's private
        # host leaves its seller details to complete: the DAC7 prompt has someone to ask.
        provider.tax_identifier = provider.siret[:9]
        provider.vat_number = french_vat_number(provider.siret[:9])
        provider.save(update_fields=["tax_identifier", "vat_number"])
    if provider.status != ProviderStatus.APPROVED:
        provider = provider_approve(provider=provider, by=users["admin"])
    page = ProviderPage.objects.get(provider=provider)
    if not page.tagline:
        page.tagline = spec.tagline
        page.logo = image_ensure(
            title=spec.name,
            subtitle=spec.commune,
            kind="provider",
            key=spec.slug,
            collection=provider.collection,
        )
        page.body = json.dumps(
            [
                {"type": "paragraph", "value": f"<p>{spec.description}</p>"},
                {
                    "type": "paragraph",
                    "value": (
                        f"<p>{spec.address}, {spec.commune}. Contact : {spec.contact_name}.</p>"
                    ),
                },
            ]
        )
        revision_publish(page, user=users["admin"])
        report.add("images")
    return page


# --- offers --------------------------------------------------------------------------------


def _dates(month_day: str, year: int) -> dt.date:
    month, day = map(int, month_day.split("-"))
    return dt.date(year, month, day)


def seasons_for(spec_seasons, *, today: dt.date) -> list[SeasonalPrice]:
    rows = []
    for year in (today.year, today.year + 1):
        for name, start, end, cents in spec_seasons:
            start_date, end_date = _dates(start, year), _dates(end, year)
            if end_date >= today:
                rows.append(
                    SeasonalPrice(
                        name=f"{name} {year}",
                        start_date=start_date,
                        end_date=end_date,
                        price_per_night=cents,
                    )
                )
    return rows


def winter_closures(*, today: dt.date) -> list[Closure]:
    rows = []
    for year in (today.year - 1, today.year):
        start, end = dt.date(year, 11, 1), dt.date(year + 1, 3, 31)
        if end >= today:
            rows.append(Closure(start_date=start, end_date=end, reason="Fermeture hivernale"))
    return rows


def offer_build(spec: Offer, *, today: dt.date) -> OfferPage:
    common = {
        "title": spec.title,
        "slug": spec.slug,
        "summary": spec.summary,
        "description": spec.description,
        "cancellation_policy": spec.cancellation_policy,
        "instant_booking": True,
        "search_description": spec.summary[:255],
    }
    if spec.kind == "stay":
        page = StayOfferPage(
            **common,
            unit_name=spec.unit_name,
            units=spec.units,
            guests_per_unit=spec.guests_per_unit,
            min_nights=spec.min_nights,
            price_per_night=spec.price,
            tax_category=spec.tax_category,
            registration_number=spec.registration_number,
            tax_collection_mandate=spec.tax_collection_mandate,
        )
        page.seasonal_prices = seasons_for(spec.seasons, today=today)
        page.closures = winter_closures(today=today) if spec.winter_closure else []
    elif spec.kind == "activity":
        page = ActivityOfferPage(
            **common,
            price_per_person=spec.price,
            duration_minutes=spec.duration_minutes,
            places_per_slot=spec.places_per_slot,
            meeting_point=spec.meeting_point,
        )
        page.weekly_slots = [
            WeeklySlot(weekday=day, start_time=dt.time.fromisoformat(time))
            for day, time in spec.weekly
        ]
    else:
        page = ProductOfferPage(
            **common,
            price_per_item=spec.price,
            stock=spec.stock,
            unit_label=spec.unit_label,
            pickup_instructions="À retirer en boutique aux heures d'ouverture.",
        )
    return page


def offer_ensure(
    spec: Offer,
    *,
    provider_page: ProviderPage,
    labels: dict,
    admin,
    today: dt.date,
    report: SeedReport,
) -> OfferPage:
    page = OfferPage.objects.child_of(provider_page).filter(slug=spec.slug).first()
    if page is None:
        provider = provider_page.provider
        page = offer_build(spec, today=today)
        cover = image_ensure(
            title=spec.title,
            subtitle=f"{provider.name} · {provider.commune}",
            kind=spec.kind,
            key=f"{provider.slug}-{spec.slug}",
            collection=provider.collection,
        )
        report.add("images")
        page.cover_image = cover
        page.labels = [labels[s] for s in spec.labels]
        page.gallery_images = [OfferGalleryImage(image=cover, caption=spec.title)]
        if provider_page.logo_id:
            page.gallery_images.add(
                OfferGalleryImage(image_id=provider_page.logo_id, caption=provider.name)
            )
        if isinstance(page, StayOfferPage):
            page.host_is_professional = provider.is_professional
        page.owner = admin
        provider_page.add_child(instance=page)
        revision_publish(page, user=admin)
        report.add(f"offers ({spec.kind})")
    else:
        page = page.specific
        if isinstance(page, StayOfferPage) and spec.tax_category and not page.tax_category:
            # A demo seeded before stays carried their tourist tax: give it now, else the
            # platform could not compute the tax and these stays could not be booked.
            page.tax_category = spec.tax_category
            page.registration_number = spec.registration_number
            page.tax_collection_mandate = spec.tax_collection_mandate
            page.host_is_professional = provider_page.provider.is_professional
            revision_publish(page, user=admin)
            report.add("stays given their tourist tax")
    if isinstance(page, ActivityOfferPage):
        created = activity_slots_generate(offer=page, start=today, days=SLOT_DAYS)
        if created:
            report.add("activity slots", created)
    return page


# --- home and editorial pages ---------------------------------------------------------------


def home_ensure(*, home: HomePage, featured: list[OfferPage], admin, report: SeedReport):
    if home.intro:
        return home
    offer_index = OfferIndexPage.objects.child_of(home).first()
    banner = image_ensure(
        title="Le Val d'Arvière",
        subtitle="Producteurs, artisans, campings et activités du territoire",
        kind="stay",
        key="home-banner",
        collection=Collection.get_first_root_node(),
    )
    home.title = home.draft_title = "Séjours, activités et produits du Val d'Arvière"
    home.seo_title = "Comptoir du Val d'Arvière"
    home.intro = (
        "Réservez un séjour, une activité ou vos produits auprès des commerces et "
        "producteurs du Val d'Arvière, et payez une seule fois."
    )
    home.search_description = (
        "La place de marché du Val d'Arvière : hébergements, activités et produits locaux."
    )
    home.featured_offers = [
        FeaturedOffer(offer=offer, sort_order=i) for i, offer in enumerate(featured)
    ]
    home.body = json.dumps(
        [
            {
                "type": "heading",
                "value": {"text": "Un marché qui appartient au territoire", "level": "h2"},
            },
            {
                "type": "paragraph",
                "value": (
                    "<p>Comptoir est la place de marché de la <b>communauté de communes du "
                    "Val d'Arvière</b>. La commission prélevée sur chaque réservation est "
                    "fixée par les élus et reste ici : elle finance l'office de tourisme, "
                    "un fonds local et des remises aux prestataires.</p>"
                ),
            },
            {"type": "image", "value": {"image": banner.pk, "alt_text": "", "decorative": True}},
            {"type": "quote", "value": "Acheter ici, c'est faire vivre le Val toute l'année."},
            {
                "type": "call_to_action",
                "value": {
                    "text": "Voir toutes les offres",
                    "page": offer_index.pk if offer_index else None,
                    "url": "",
                },
            },
        ]
    )
    revision_publish(home, user=admin)
    report.add("home page")
    return home


def standard_pages_ensure(*, home: HomePage, admin, report: SeedReport) -> None:
    """The about, legal, accessibility, personal data and terms of sale pages; then the
    contact page (made with the territory) moves after them, last in the footer."""
    for slug, title, intro, parts in STANDARD_PAGES:
        if StandardPage.objects.child_of(home).filter(slug=slug).exists():
            continue
        page = StandardPage(
            title=title,
            slug=slug,
            intro=intro,
            search_description=intro,
            body=json.dumps([body_block(part) for part in parts]),
            owner=admin,
        )
        home.add_child(instance=page)
        revision_publish(page, user=admin)
        report.add("standard pages")
    contact = contact_page_ensure(
        home=home, to_address=TerritorySettings.for_site(home.get_site()).contact_email
    )
    last = home.get_children().last()
    if last is not None and last.pk != contact.pk:
        contact.move(home, pos="last-child")
        report.add("contact page")


def commission_rules_ensure(*, site, admin, report: SeedReport) -> None:
    """The demo's base rule and distribution key, published, unless rules exist already."""
    if CommissionRule.objects.filter(site=site).exists():
        return
    counts = rules_import(site=site, data=COMMISSION_RULES, publish=True, user=admin)
    report.add("commission rules", counts["rules"])


def tourist_tax_rates_ensure(*, site, today: dt.date, report: SeedReport) -> None:
    """The Val d'Arvière's tourist tax grid since January 1st of last year, unless the
    territory has rates already."""
    if TouristTaxRate.objects.filter(site=site).exists():
        return
    counts = tourist_tax_rates_import(
        site=site, text=tourist_tax_csv(valid_from=dt.date(today.year - 1, 1, 1))
    )
    report.add("tourist tax rates", counts["created"])


def past_orders_ensure(*, site, users: dict, today: dt.date, count: int, report: SeedReport):
    """Six months of orders by the demo's visitors, unless the territory has them already."""
    visitors = [
        (user, VISITOR_LANGUAGES.get(key, "fr"))
        for key, user in users.items()
        if key.startswith("visitor")
    ]
    history = orders_history_ensure(site=site, visitors=visitors, today=today, count=count)
    if history.orders:
        report.add("past orders", history.orders)
    issued = past_invoices_ensure(site=site, today=today)
    if issued:
        report.add("invoices and credit notes", issued)


# --- entry point -----------------------------------------------------------------------------


@transaction.atomic
def demo_seed(*, today: dt.date | None = None, past_orders: int = HISTORY_ORDERS) -> SeedReport:
    """Build (or complete) the demo territory. Idempotent.

    ``past_orders``: about how many orders of the last six months to make when the
    territory has no history yet (:mod:`cms.demo.orders`); 0 for none.
    """
    with indexing_deferred():
        return _demo_build(today=today or timezone.localdate(), past_orders=past_orders)


def _demo_build(*, today: dt.date, past_orders: int) -> SeedReport:
    report = SeedReport()
    site = territory_setup(hostname="localhost", port=80, site_name=SITE_NAME)
    home = site.root_page.specific
    territory_settings_ensure(site, report)
    categories, labels = taxonomy_ensure(report)
    users = accounts_ensure(report)

    featured: list[OfferPage] = []
    for spec in PROVIDERS:
        provider_page = provider_ensure(
            spec, site=site, categories=categories, labels=labels, users=users, report=report
        )
        for offer_spec in spec.offers:
            offer = offer_ensure(
                offer_spec,
                provider_page=provider_page,
                labels=labels,
                admin=users["admin"],
                today=today,
                report=report,
            )
            if offer_spec.featured:
                featured.append(offer)

    commission_rules_ensure(site=site, admin=users["admin"], report=report)
    tourist_tax_rates_ensure(site=site, today=today, report=report)
    tourist_tax_settings_ensure(site=site, report=report)
    bank_details_ensure(
        site=site, users=users, preferred_provider=PROVIDER_MEMBER_OF, report=report
    )
    debtor_account_ensure(
        site=site,
        operator_name=TerritorySettings.for_site(site).operator_legal_name or site.site_name,
        report=report,
    )
    past_orders_ensure(site=site, users=users, today=today, count=past_orders, report=report)
    home_ensure(home=home, featured=featured, admin=users["admin"], report=report)
    standard_pages_ensure(home=home, admin=users["admin"], report=report)
    translations_ensure(home=home, admin=users["admin"], report=report)
    return report
