"""Content in English: pages and offers translated with wagtail-localize, French as the
source and the fallback, commerce always on the French (source) offer."""

import datetime as dt
import re
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import Locale, Page
from wagtail_localize.models import StringSegment, Translation

from cms.models import HomePage, OfferIndexPage, ProviderPage, StandardPage
from cms.services import EDITORS_GROUP, page_translation_publish
from marketplace.models import (
    ActivitySlot,
    Booking,
    CartLine,
    OfferPage,
    Order,
    OrderStatus,
    StayOfferPage,
)
from marketplace.orders.cart import cart_line_add
from marketplace.orders.errors import BookingError
from marketplace.orders.notify import order_late_refunded_notify
from marketplace.orders.transitions import booking_cancel
from marketplace.selectors import bookings_localise
from tests import factories
from tests.booking_helpers import book
from tests.cms.test_storefront import catalogue  # noqa: F401 (fixture)
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _french_first():
    with translation.override("fr"):
        yield


def french(page) -> str:
    """The page's French URL (a request leaves its language active in the thread)."""
    with translation.override("fr"):
        return Page.objects.get(pk=page.pk).url


def english(page) -> str:
    return "/en" + french(page)


def translate(page, texts, capture):
    """Translate and publish ``page`` in English, as an editor would (publication runs
    when the transaction commits)."""
    with capture(execute=True):
        translated = page_translation_publish(page=page, language="en", texts=texts)
    translated.refresh_from_db()
    return translated


@pytest.fixture
def translated(catalogue, django_capture_on_commit_callbacks):  # noqa: F811
    """Home, catalogue and the stay translated; the activity and the product are not."""
    capture = django_capture_on_commit_callbacks
    site = catalogue["site"]
    translate(site.root_page, {"title": "Welcome"}, capture)
    translate(OfferIndexPage.objects.get(locale__language_code="fr"), {"title": "Offers"}, capture)
    stay = translate(
        catalogue["stay"],
        {"title": "Maple chalet", "summary": "A quiet chalet", "unit_name": "chalet"},
        capture,
    )
    return {**catalogue, "stay_en": stay}


def _titles(html: str) -> list[str]:
    return re.findall(r'class="card__title"(?: lang="fr")?><a href="[^"]*">([^<]*)</a>', html)


def test_english_locale_exists_beside_the_french_default(db):
    assert Locale.get_default().language_code == "fr"
    assert Locale.objects.filter(language_code="en").exists()


def test_translated_offer_is_served_in_english_with_the_source_price_and_availability(
    client, translated
):
    stay, stay_en = translated["stay"], translated["stay_en"]
    assert stay_en.locale.language_code == "en" and stay_en.live
    assert french(stay_en) == english(stay)  # same path, English prefix
    full = timezone.localdate() + dt.timedelta(days=5)
    factories.take_nights(stay, full, 1, 10)  # the source's nights are the only ones
    start = full + dt.timedelta(days=5)
    params = {"start": start, "end": start + dt.timedelta(days=2), "units": 1, "adults": 2}
    response = client.get(english(stay) + "?" + urlencode(params))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Maple chalet</h1>" in html and "A quiet chalet" in html
    assert "Chalet des Érables</h1>" not in html
    context = response.context
    assert context["page"].pk == stay.pk  # commerce reads the source offer
    assert context["availability"].nights[5].free_units == 0
    assert context["availability"].nights[6].free_units == 10
    assert context["page"].price_per_night == 6000
    assert context["quote"].quote.total == 2 * 6000
    assert not stay_en.nights.exists()


def test_untranslated_offer_falls_back_to_french_under_en(client, translated):
    product = translated["product"]
    assert not OfferPage.objects.filter(translation_key=product.translation_key).exclude(
        pk=product.pk
    )
    response = client.get(english(product))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html and '<h1 lang="fr">Confiture de myrtilles</h1>' in html
    assert "Add to cart" in html or "Calculate the price" in html  # English interface
    # The activity's provider has no translation at all: its pages fall back too.
    activity = translated["activity"]
    assert client.get(english(activity)).status_code == 200
    assert client.get(english(translated["outdoor"].page)).status_code == 200
    # A path that exists in no language is still a 404.
    assert client.get(english(product) + "nothing/").status_code == 404


def test_english_listing_reads_offers_and_lists_each_offer_once(client, translated):
    html = client.get("/en/offres/").content.decode()
    assert "<h1>Offers</h1>" in html
    titles = _titles(html)
    assert sorted(titles) == sorted(["Maple chalet", "Descente en canoë", "Confiture de myrtilles"])
    # The English links stay in English; the French listing is unchanged.
    assert f'href="{english(translated["stay"])}"' in html
    french = client.get("/offres/").content.decode()
    assert "<h1>Offres</h1>" in french
    assert sorted(_titles(french)) == sorted(
        ["Chalet des Érables", "Descente en canoë", "Confiture de myrtilles"]
    )
    # Search and API (one URL, ``lang`` asks for a language): once each, the source's id.
    api = client.get("/api/offers/?lang=en").json()
    assert api["count"] == 3
    by_id = {row["id"]: row for row in api["results"]}
    assert by_id[translated["stay"].pk]["title"] == "Maple chalet"
    assert by_id[translated["stay"].pk]["url"].endswith(english(translated["stay"]))
    assert translated["stay_en"].pk not in by_id
    api = client.get("/api/offers/").json()
    assert {row["title"] for row in api["results"]} >= {"Chalet des Érables"}
    found = client.get("/en/offres/?q=chalet").content.decode()
    assert _titles(found) == ["Maple chalet"]
    # English words find the offer too, once, in either language.
    assert _titles(client.get("/en/offres/?q=maple").content.decode()) == ["Maple chalet"]
    assert _titles(client.get("/offres/?q=maple").content.decode()) == ["Chalet des Érables"]


def test_english_home_and_provider_page_show_english_text(client, translated):
    html = client.get("/en/").content.decode()
    assert '<h1 id="page-title">Welcome</h1>' in html and "Maple chalet" in html
    campsite = translated["campsite"]
    page_en = ProviderPage.objects.get(locale__language_code="en")
    assert page_en.provider_id is None  # only the source page names the provider
    assert campsite.page.locale.language_code == "fr"
    html = client.get(english(campsite.page)).content.decode()
    assert "Maple chalet" in html and "Confiture de myrtilles" in html


def test_a_booking_from_the_english_page_references_the_source_offer(client, translated):
    stay, stay_en = translated["stay"], translated["stay_en"]
    start = timezone.localdate() + dt.timedelta(days=10)
    params = {"start": start, "end": start + dt.timedelta(days=2), "units": 1, "adults": 2}
    html = client.get(english(stay) + "?" + urlencode(params)).content.decode()
    action = re.search(r'<form method="post" action="([^"]+)" class="add-to-cart"', html)
    assert action and action.group(1) == reverse("cart_add", args=[stay.pk])
    response = client.post(action.group(1), {k: str(v) for k, v in params.items()})
    assert response.status_code == 302
    assert list(CartLine.objects.values_list("offer_id", flat=True)) == [stay.pk]
    # The translation's own id books nothing, through the view or the service.
    assert client.post(reverse("cart_add", args=[stay_en.pk]), params).status_code == 404
    line = CartLine.objects.get()
    with pytest.raises(BookingError):
        cart_line_add(cart=line.cart, offer=stay_en, params={k: str(v) for k, v in params.items()})


def test_translations_keep_commerce_fields_in_sync_and_take_no_slots(
    client, translated, django_capture_on_commit_callbacks
):
    activity = translated["activity"]
    activity_en = translate(activity, {"title": "Canoe trip"}, django_capture_on_commit_callbacks)
    assert not ActivitySlot.objects.filter(offer=activity_en).exists()
    assert ActivitySlot.objects.filter(offer=activity).exists()
    # The source's new price is the one shown and booked, before any synchronisation,
    # and synchronising copies it.
    stay = StayOfferPage.objects.get(pk=translated["stay"].pk)
    stay.price_per_night = 7500
    stay.save_revision().publish()
    response = client.get(english(stay))
    assert response.context["page"].price_per_night == 7500
    assert response.context["page"].title == "Maple chalet"
    translate(stay, {"title": "Maple chalet"}, django_capture_on_commit_callbacks)
    assert StayOfferPage.objects.get(pk=translated["stay_en"].pk).price_per_night == 7500


def test_editor_translates_an_offer_with_wagtail_localize(
    client,
    catalogue,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    editor = make_user("editrice@example.org", groups=(EDITORS_GROUP,))
    assert Group.objects.get(name=EDITORS_GROUP).permissions.filter(codename="submit_translation")
    product = catalogue["product"]
    french_url = french(product)
    en = Locale.objects.get(language_code="en")
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("wagtail_localize:submit_page_translation", args=[product.pk]),
            {"locales": [en.pk]},
        )
    assert response.status_code == 302
    product_en = product.get_translation(en)
    assert not product_en.live  # a draft until the translator publishes
    assert HomePage.objects.filter(locale=en).exists()  # its parents, as aliases
    client.logout()
    assert "Confiture de myrtilles" in client.get(english(product)).content.decode()

    client.force_login(editor)
    translation_record = Translation.objects.get(source__object_id=product.translation_key)
    segment = StringSegment.objects.get(source=translation_record.source, context__path="title")
    response = client.put(
        reverse(
            "wagtail_localize:edit_string_translation",
            args=[translation_record.pk, segment.pk],
        ),
        urlencode({"value": "Blueberry jam"}),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("wagtailadmin_pages:edit", args=[product_en.pk]), {"action": "publish"}
        )
    assert response.status_code == 302
    client.logout()
    html = client.get(english(product)).content.decode()
    assert "<h1>Blueberry jam</h1>" in html
    assert "<h1>Confiture de myrtilles</h1>" in client.get(french(product)).content.decode()
    assert french(product) == french_url  # the French URL is unchanged


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_english_listing_query_budget_is_constant(client, translated, django_assert_num_queries):
    urls = [
        "/en/offres/",
        "/en/offres/?kind=stay",
        "/en/",
        english(translated["campsite"].page),
    ]
    factories.bulk_stay_offers(translated["campsite"], 10)
    for url in urls:
        client.get(url)
    small = {url: _count_queries(client, url) for url in urls}
    factories.bulk_stay_offers(translated["outdoor"], 200)
    for url in urls:
        with django_assert_num_queries(small[url]):
            assert client.get(url).status_code == 200
    assert client.get("/en/offres/").context["result_count"] == 213


def test_links_of_english_pages_stay_in_english(client, translated):
    """Header, footer, the provider's link and blocks' page links: the English URLs, for
    translated and untranslated pages alike."""
    for url in ("/en/", "/en/offres/", english(translated["product"])):
        html = client.get(url).content.decode()
        # The language switcher links the French pages, rightly.
        html = re.sub(r'<nav class="language-switcher".*?</nav>', "", html, flags=re.S)
        for french_link in ('href="/"', 'href="/offres/"', 'href="/prestataires/'):
            assert french_link not in html, (url, french_link)
        assert 'href="/en/offres/"' in html
    html = client.get(english(translated["product"])).content.decode()
    assert f'href="{english(translated["campsite"].page)}"' in html


def test_a_translation_whose_source_is_unpublished_is_not_served(client, translated):
    stay = StayOfferPage.objects.get(pk=translated["stay"].pk)
    url = english(stay)
    assert client.get(url).status_code == 200
    stay.unpublish()
    assert StayOfferPage.objects.get(pk=translated["stay_en"].pk).live  # still published
    assert client.get(url).status_code == 404
    assert "Maple chalet" not in client.get("/en/offres/").content.decode()


def test_the_visitor_reads_the_translated_title_in_cart_orders_bookings_and_emails(
    client, translated, mailoutbox, django_capture_on_commit_callbacks
):
    """Commerce stays on the French offer and the booking records its French title, but
    an English visitor reads the translation's title wherever the offer is named to them."""

    stay = translated["stay"]
    traveller = make_user("traveller@example.org")
    start = timezone.localdate() + dt.timedelta(days=20)
    params = {"start": start, "end": start + dt.timedelta(days=2), "units": 1, "adults": 2}
    with django_capture_on_commit_callbacks(execute=True):
        order = book(traveller, stay, language="en", **params)
    booking = order.bookings.get()
    assert booking.offer_title == "Chalet des Érables"  # the record keeps the French
    by_recipient = {tuple(m.to): m for m in mailoutbox}
    confirmation = by_recipient[(traveller.email,)]
    assert "Maple chalet" in confirmation.body and "Chalet des Érables" not in confirmation.body
    assert "Maple chalet" in confirmation.alternatives[0][0]
    provider_mails = [m for m in mailoutbox if m.to != [traveller.email]]
    assert provider_mails and all("Chalet des Érables" in m.body for m in provider_mails)

    client.force_login(traveller)
    with translation.override("en"):
        urls = [
            reverse("order_detail", args=[order.reference]),
            reverse("my_bookings"),
            reverse("my_booking", args=[booking.reference]),
            reverse("my_booking_cancel", args=[booking.reference]),
        ]
    for url in urls:
        assert url.startswith("/en/")
        html = client.get(url).content.decode()
        assert "Maple chalet" in html and "Chalet des Érables" not in html, url
        french_html = client.get(url.removeprefix("/en")).content.decode()
        assert "Chalet des Érables" in french_html and "Maple chalet" not in french_html, url

    # The cart, and the message that says what was added.
    with translation.override("en"):
        add_url, cart_url = reverse("cart_add", args=[stay.pk]), reverse("cart")
    later = start + dt.timedelta(days=10)
    response = client.post(
        add_url,
        {"start": later, "end": later + dt.timedelta(days=1), "units": 1, "adults": 1},
        follow=True,
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == cart_url
    assert "Added to your cart: Maple chalet." in html
    assert '<h3 id="line-' in html and "Chalet des Érables" not in html
    assert "Chalet des Érables" in client.get(cart_url.removeprefix("/en")).content.decode()

    # Cancelled, then (another order) refunded after a late payment: in English too.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking_id=booking.pk, by_provider=True, reason="Storm")
    cancelled = next(m for m in mailoutbox if m.to == [traveller.email])
    assert cancelled.subject.startswith("Booking cancelled: Maple chalet")
    assert "Maple chalet" in cancelled.body and "Chalet des Érables" not in cancelled.body
    provider_mail = next(m for m in mailoutbox if m.to != [traveller.email])
    assert "Chalet des Érables" in provider_mail.subject
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.REFUNDED)
    mailoutbox.clear()
    assert order_late_refunded_notify.call_local(order.pk) == 1
    [refunded] = mailoutbox
    assert "Maple chalet" in refunded.body and "Chalet des Érables" not in refunded.body
    assert Booking.objects.get(pk=booking.pk).offer_title == "Chalet des Érables"


def test_bookings_read_their_translations_in_one_query(client, translated):
    """My bookings with one booking or many: one query more in English, whatever their number."""

    traveller = make_user("traveller@example.org")
    start = timezone.localdate() + dt.timedelta(days=20)
    for days in range(3):
        day = start + dt.timedelta(days=3 * days)
        book(
            traveller,
            translated["stay"],
            language="en",
            start=day,
            end=day + dt.timedelta(days=1),
            units=1,
            adults=1,
        )
    bookings = list(Booking.objects.all())
    with translation.override("en"):
        with CaptureQueriesContext(connection) as captured:
            bookings_localise(bookings)
    assert len(captured.captured_queries) == 1
    assert {b.title_shown for b in bookings} == {"Maple chalet"}
    with CaptureQueriesContext(connection) as captured:
        bookings_localise(bookings, language="fr")
    assert not captured.captured_queries


def test_footer_names_standard_pages_in_english_when_translated(
    client, translated, django_capture_on_commit_callbacks
):
    home = HomePage.objects.get(locale__language_code="fr")
    legal = home.add_child(instance=StandardPage(title="Mentions légales", slug="mentions-legales"))
    legal.save_revision().publish()
    home.add_child(instance=StandardPage(title="Accessibilité", slug="accessibilite"))
    StandardPage.objects.get(slug="accessibilite").save_revision().publish()
    translate(legal, {"title": "Legal notice"}, django_capture_on_commit_callbacks)
    # A translated child makes an English copy (alias) of its untranslated parent.
    access = StandardPage.objects.get(slug="accessibilite")
    child = access.add_child(instance=StandardPage(title="Audit", slug="audit"))
    child.save_revision().publish()
    translate(child, {"title": "Audit report"}, django_capture_on_commit_callbacks)
    assert StandardPage.objects.get(slug="accessibilite", locale__language_code="en").alias_of_id

    def footer(url):
        return client.get(url).content.decode().split('class="site-footer"', 1)[1]

    english_footer = footer("/en/")
    assert '<a href="/en/mentions-legales/">Legal notice</a>' in english_footer
    # Untranslated: its French title, marked as French for screen readers.
    assert '<a href="/en/accessibilite/" lang="fr">Accessibilité</a>' in english_footer
    french_footer = footer("/")
    assert '<a href="/mentions-legales/">Mentions légales</a>' in french_footer
    assert '<a href="/accessibilite/">Accessibilité</a>' in french_footer


def test_french_shown_on_english_pages_is_marked_french(client, translated):
    """An untranslated offer or page under /en/: the elements holding its French text
    say so (``lang="fr"``, WCAG 3.1.2), for screen readers; translated text and French
    pages carry no ``lang`` of their own."""
    product, stay = translated["product"], translated["stay"]
    html = client.get(english(product)).content.decode()
    assert '<h1 lang="fr">Confiture de myrtilles</h1>' in html
    assert re.search(r'<p class="lead" lang="fr">', html)
    html = client.get(english(stay)).content.decode()
    # The language switcher names French in French, rightly; the footer has its own test.
    html = re.sub(r'<nav class="language-switcher".*?</nav>', "", html, flags=re.S)
    html = html.split('class="site-footer"', 1)[0]
    assert "<h1>Maple chalet</h1>" in html and 'lang="fr"' not in html
    html = client.get(french(product)).content.decode()
    assert "<h1>Confiture de myrtilles</h1>" in html
    # Cards: the French ones only.
    html = client.get("/en/offres/").content.decode()
    assert re.search(r'class="card__title" lang="fr"><a href="[^"]*">Confiture de myrtilles<', html)
    assert re.search(r'class="card__title"><a href="[^"]*">Maple chalet<', html)
    assert '<p class="card__summary">A quiet chalet</p>' in html
    assert 'class="card__title" lang=' not in client.get("/offres/").content.decode()
    # A page: the provider index is not translated, the catalogue is.
    html = client.get("/en/offres/").content.decode()
    assert "<h1>Offers</h1>" in html
    providers = Page.objects.get(locale__language_code="fr", depth=3, slug="prestataires")
    html = client.get(english(providers)).content.decode()
    assert re.search(r"<h1 lang=\"fr\">[^<]+</h1>", html)


def test_an_untranslated_offers_title_is_marked_french_in_cart_and_bookings(client, translated):
    product = translated["product"]
    traveller = make_user("traveller@example.org")
    order = book(traveller, product, language="en")
    booking = order.bookings.get()
    client.force_login(traveller)
    with translation.override("en"):
        order_url = reverse("order_detail", args=[order.reference])
        booking_url = reverse("my_booking", args=[booking.reference])
        bookings_url, cart_url = reverse("my_bookings"), reverse("cart")
    html = client.get(booking_url).content.decode()
    assert '<h1 id="booking-title" lang="fr">Confiture de myrtilles</h1>' in html
    html = client.get(order_url).content.decode()
    assert f'<h3 id="booking-{booking.pk}-title" lang="fr">Confiture de myrtilles</h3>' in html
    html = client.get(bookings_url).content.decode()
    assert f'{booking.reference}/" lang="fr">Confiture de myrtilles</a>' in html
    html = client.get(booking_url.removeprefix("/en")).content.decode()
    assert '<h1 id="booking-title">Confiture de myrtilles</h1>' in html
    client.post(reverse("cart_add", args=[product.pk]), {"quantity": "1"})
    html = client.get(cart_url).content.decode()
    assert re.search(r'<h3 id="line-\d+" lang="fr">Confiture de myrtilles</h3>', html)
