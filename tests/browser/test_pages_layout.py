"""Every visitor page at a phone's width (360 px) and a desktop's (1280 px): nothing
scrolls sideways, axe-core finds no serious or critical violation, and a full-page
screenshot is kept under ``var/screenshots/<page>-<width>.png`` (CI keeps them as
artefacts, so a reviewer sees what changed without running anything)."""

import datetime as dt
import re
from pathlib import Path

import pytest

from tests.browser.test_storefront import serious_violations

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct-horse-battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = [360, 1280]
# (name, whether the visitor signs in first)
PAGES = [
    ("home", False),
    ("offers", False),
    ("stay", False),
    ("activity", False),
    ("product", False),
    ("cart", True),
    ("order", True),
    ("my-bookings", True),
    ("login", False),
    ("transparency", False),
]


@pytest.fixture
def territory(live_server):
    """A territory as a visitor finds it: a home with an editorial image and a long
    unbroken link, one offer of each kind, a paid order of the visitor (a stay with
    guests and an activity, from two providers), one more line in their cart, and the
    transparency page's figures that this order produced."""
    from wagtail.images import get_image_model
    from wagtail.images.tests.utils import get_test_image_file
    from wagtail.models import Site

    from cms.models import HomePage
    from cms.services import territory_setup
    from marketplace.models import Cart
    from marketplace.orders.cart import cart_line_add
    from tests import factories
    from tests.booking_helpers import book, shared_rules
    from tests.conftest import make_user

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    shared_rules(site)

    image = get_image_model().objects.create(
        title="La rivière", file=get_test_image_file("riviere.png", size=(1200, 500))
    )
    home = HomePage.objects.get(pk=site.root_page_id)
    home.intro = "Séjours, activités et produits des gorges, réservés ici."
    home.body = [
        ("image", {"image": image, "decorative": False, "alt_text": "La rivière au printemps"}),
        (
            "paragraph",
            "<p>Toutes les informations sur https://www.comptoir-des-gorges.example.org/"
            "informations-pratiques-pour-les-visiteurs-du-territoire-intercommunal</p>",
        ),
    ]
    home.save_revision().publish()

    saules = factories.provider(site, name="Camping des Saules", category_obj=factories.category())
    canoe = factories.provider(
        site, name="Canoë Vallon", category_obj=factories.category("loisirs", "Loisirs")
    )
    ferme = factories.provider(
        site, name="Ferme du Serre", category_obj=factories.category("epicerie", "Épicerie")
    )
    stay = factories.stay(
        saules,
        title="Emplacement au bord de l'eau",
        summary="Un emplacement ombragé pour tente ou caravane.",
        units=40,
        guests_per_unit=6,
        price_per_night=2400,
    )
    activity = factories.activity(
        canoe,
        title="Descente des gorges en canoë",
        summary="Huit kilomètres de rivière, accessibles aux familles.",
        price_per_person=3500,
        places_per_slot=12,
        slots=[(factories.in_days(5), 12, 0), (factories.in_days(6), 12, 3)],
    )
    product = factories.product(
        ferme,
        title="Miel de châtaignier",
        summary="Récolté sur le plateau, pot de 500 g.",
        price_per_item=950,
        stock=30,
    )
    visitor = make_user("voyageuse@example.org", password=PASSWORD)
    cart, _created = Cart.objects.get_or_create(site=site, user=visitor)
    slot = activity.slots.order_by("starts_at").first()
    cart_line_add(cart=cart, offer=activity, params={"slot": str(slot.pk), "persons": "2"})
    start = dt.date.today() + dt.timedelta(days=12)
    order = book(
        visitor,
        stay,
        start=start.isoformat(),
        end=(start + dt.timedelta(days=3)).isoformat(),
        units="1",
        adults="2",
        minors="1",
    )
    assert order.bookings.count() == 2
    cart, _created = Cart.objects.get_or_create(site=site, user=visitor)
    cart_line_add(cart=cart, offer=product, params={"quantity": "2"})
    return {
        "home": "/",
        "offers": "/offres/",
        "stay": stay.url,
        "activity": activity.url,
        "product": product.url,
        "cart": "/panier/",
        "order": f"/commandes/{order.reference}/",
        "my-bookings": "/mes-reservations/",
        "login": "/accounts/login/",
        "transparency": "/transparence/",
    }


def sign_in(page) -> None:
    page.goto("/accounts/login/")
    page.locator("main form input[name=login]").fill("voyageuse@example.org")
    page.locator("main form input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "signed_in"), PAGES, ids=[name for name, _ in PAGES])
def test_page_fits_the_screen_and_is_accessible(page, territory, name, signed_in, width):
    page.set_viewport_size({"width": width, "height": 800})
    if signed_in:
        sign_in(page)
    response = page.goto(territory[name])
    assert response.status == 200, territory[name]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    wider = page.evaluate(
        """(width) => [...document.querySelectorAll('main *, header *, footer *')]
            .filter((el) => el.getBoundingClientRect().right > width + 1)
            .filter((el) => !el.closest('.leaflet-container'))
            .slice(0, 5)
            .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                 + ' → ' + Math.round(el.getBoundingClientRect().right) + ' px')""",
        width,
    )
    assert scroll_width <= width, f"{name} is {scroll_width} px wide at {width} px: {wider}"
    violations = serious_violations(page)
    assert not violations, "axe-core, serious or critical violations:\n  " + "\n  ".join(violations)


TABLES_READ_AS_TABLES = """() => {
  const amount = /^-?[\\d\\s\\u00a0\\u202f.,]+\\s?(€|%)$/;
  const problems = [];
  for (const table of document.querySelectorAll('main table:not(.calendar)')) {
    const name = table.id || table.className || 'table';
    const caption = table.querySelector('caption');
    if (!caption || !caption.textContent.trim()) problems.push(`${name}: no caption`);
    if (!table.querySelector('th')) problems.push(`${name}: no header cell`);
    for (const cell of table.querySelectorAll('td')) {
      const text = cell.textContent.trim().split('\\n')[0].trim();
      const align = getComputedStyle(cell).textAlign;
      if (amount.test(text) && !['right', 'end'].includes(align)) {
        problems.push(`${name}: amount "${text}" aligned ${align}`);
        break;
      }
    }
    const rows = [...table.querySelectorAll('tbody tr')];
    const ruled = rows.some((row) => [row, ...row.children].some((el) => {
      const style = getComputedStyle(el);
      return parseFloat(style.borderBottomWidth) > 0 || parseFloat(style.borderTopWidth) > 0;
    }));
    const colours = new Set(rows.map((row) => getComputedStyle(row).backgroundColor));
    if (rows.length > 1 && !ruled && colours.size < 2) {
      problems.push(`${name}: rows neither ruled nor striped`);
    }
    const box = table.getBoundingClientRect();
    if (box.right > document.documentElement.clientWidth) {
      const scroller = table.closest('[tabindex]');
      if (!scroller || !['auto', 'scroll'].includes(getComputedStyle(scroller).overflowX)) {
        problems.push(`${name}: wider than the screen and not in a focusable scrolling region`);
      }
    }
  }
  return problems;
}"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "signed_in"), [("transparency", False), ("my-bookings", True)])
def test_tables_read_as_tables(page, territory, name, signed_in, width):
    """A caption, header cells, amounts aligned right, rows ruled or striped, and a
    table wider than a phone scrolls inside its own focusable region."""
    page.set_viewport_size({"width": width, "height": 800})
    if signed_in:
        sign_in(page)
    page.goto(territory[name])
    assert page.locator("main table").count()
    assert page.evaluate(TABLES_READ_AS_TABLES) == []


def test_my_bookings_stack_as_cards_on_a_phone(page, territory):
    """At 360 px each booking reads whole, without scrolling the table sideways: its
    cells stack under the booking's title, each named by its column's heading."""
    page.set_viewport_size({"width": 360, "height": 800})
    sign_in(page)
    page.goto(territory["my-bookings"])
    table = page.locator("main table.bookings-table").first
    scroller = table.locator("xpath=..")
    assert scroller.evaluate("(el) => el.scrollWidth <= el.clientWidth + 1"), "it scrolls"
    row = table.locator("tbody tr").first
    status = row.locator("td[data-label='Statut']")
    assert status.is_visible()
    box = status.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 360
    label = status.evaluate("(el) => getComputedStyle(el, '::before').content")
    assert label == '"Statut"'
    # On a desktop it stays a table with its headings.
    page.set_viewport_size({"width": 1280, "height": 800})
    assert table.locator("thead").is_visible()
    assert status.evaluate("(el) => getComputedStyle(el, '::before').content") in ("none", "normal")


def test_the_stay_booking_form_is_one_tap_away_on_a_phone(page, territory):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(territory["stay"])
    jump = page.get_by_role("link", name=re.compile("^Réserver"))
    box = jump.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740, "no « Réserver » link on screen"
    jump.click()
    form = page.locator("form.quote-form")
    assert form.evaluate("(el) => el.getBoundingClientRect().top") < 740
    # On a desktop the form sits beside the description: the link is not needed there.
    page.set_viewport_size({"width": 1280, "height": 800})
    assert not jump.is_visible()


def test_account_pages_use_the_design_system(page, territory):
    """Sign-in and sign-up: buttons (a link among them) look like buttons, errors are in
    the error colour and tied to their field."""
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(territory["login"])
    for control in page.locator("main form button, main .actions a, main a[href*='code']").all():
        style = control.evaluate(
            "(el) => { const s = getComputedStyle(el);"
            " return [s.borderTopStyle, parseFloat(s.paddingTop), s.backgroundColor]; }"
        )
        assert style[0] != "none" and style[1] >= 4, (control.inner_text(), style)
    page.goto("/accounts/signup/")
    page.locator("main form input[name=email]").fill("nouvelle@example.org")
    page.locator("main form input[name=password1]").fill("123")
    page.locator("main form input[name=password2]").fill("123")
    page.locator("main form button[type=submit]").click()
    password = page.locator("main form input[name=password1]")
    described = password.get_attribute("aria-describedby") or ""
    error_id = next((i for i in described.split() if i.endswith("_error")), None)
    assert error_id, described
    error = page.locator(f"#{error_id}")
    assert "court" in error.inner_text()
    assert error.evaluate("(el) => getComputedStyle(el).color") == "rgb(164, 22, 26)"
    assert password.evaluate("(el) => getComputedStyle(el).borderTopColor") == "rgb(164, 22, 26)"
