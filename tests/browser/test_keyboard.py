"""Keyboard only (issue 14, accessibility): the visitor's booking journey and the
council's approval of a commission rule (after reading the changes), with Tab,
Shift+Tab, Enter, Space and typing, never a mouse click. Locators only read where the
focus is and what the page shows. Every element the focus lands on shows it (an
outline or a box-shadow).

Page loads by URL (``page.goto``) stand for a visitor following a link from elsewhere
or typing an address; everything done on a page is done with the keyboard.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.test_booking_journey import VISITOR, territory_with_offers  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct-horse-battery"

FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== "none";
  return {
    description: element.outerHTML.slice(0, 160),
    visible: outline || shadow,
  };
}"""


def focus_shows(page) -> str:
    """The focused element's description, once checked that its focus is visible."""
    focused = page.evaluate(FOCUSED)
    assert focused, "the focus is lost (on the page's body)"
    assert focused["visible"], f"no visible focus indicator on {focused['description']}"
    return focused["description"]


def is_focused(page, selector: str) -> bool:
    return page.evaluate(
        "selector => !!document.activeElement && document.activeElement.matches(selector)",
        selector,
    )


def tab_to(page, selector: str, *, backwards: bool = False, limit: int = 120) -> None:
    """Press Tab (or Shift+Tab) until the focus is on ``selector``, checking on every
    stop that the focus is visible."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        if page.evaluate(FOCUSED) is None:
            break  # out of the page: the whole page went by
        seen.append(focus_shows(page))
        if is_focused(page, selector):
            return
    raise AssertionError(f"{selector} never got the focus; went through:\n" + "\n".join(seen))


def type_into(page, selector: str, text: str) -> None:
    """Tab to a text field, replace its value by typing."""
    tab_to(page, selector)
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(text)


def type_date(page, selector: str, date: dt.date) -> None:
    """Tab to a date field and type the date, segment by segment.

    The segments' order follows the browser's own language, not the page's: type a probe
    whose day and month differ, read which is which, go back to the first segment
    (Shift+Tab twice) and type the date in that order."""
    tab_to(page, selector)
    page.keyboard.type("01022030")
    value = page.locator(selector).input_value()
    assert value in ("2030-02-01", "2030-01-02"), value
    order = "%d%m%Y" if value == "2030-02-01" else "%m%d%Y"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert is_focused(page, selector)
    focus_shows(page)
    page.keyboard.type(date.strftime(order))
    assert page.locator(selector).input_value() == date.isoformat()


def sign_in(page, email: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    type_into(page, "main form input[name=login]", email)
    type_into(page, "main form input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^https?://[^/]+" + re.escape(next_url) + "$"))


def test_a_visitor_books_and_pays_with_the_keyboard_only(page, territory_with_offers):  # noqa: F811
    stay = territory_with_offers["stay"]
    start = timezone.localdate() + dt.timedelta(days=20)
    end = start + dt.timedelta(days=2)

    sign_in(page, VISITOR, stay.url)

    # Dates (typed into the date fields) and guests.
    type_date(page, "form.quote-form [name=start]", start)
    type_date(page, "form.quote-form [name=end]", end)
    type_into(page, "form.quote-form [name=adults]", "2")
    type_into(page, "form.quote-form [name=minors]", "1")
    tab_to(page, "form.quote-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"[?&]start="))
    assert page.locator("form.add-to-cart").count() == 1

    # Add to cart (Space on a button), then confirm the cart (Enter).
    tab_to(page, "form.add-to-cart button[type=submit]")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"/panier/$"))
    assert "Emplacement au bord de l'eau" in page.locator("main").inner_text()
    tab_to(page, "section.cart__total form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/commandes/C-[A-Z0-9]+/$"))
    reference = page.url.rstrip("/").rsplit("/", 1)[1]

    # Pay on the test payment page, back to the order, paid.
    tab_to(page, "main a.button[href*='/paiement/test/']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/paiement/test/"))
    tab_to(page, "button[name=action][value=pay]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/commandes/{reference}/$"))
    text = page.locator("main").inner_text()
    assert "Payée" in text
    assert "Emplacement au bord de l'eau" in text
    # Shift+Tab walks back through the page as well, the focus visible on each stop.
    tab_to(page, "header a", backwards=True)


@pytest.fixture
def rule_in_review(live_server):
    """A territory at the live server's address whose base rule finance has changed (6 %
    to 9 % for providers) and submitted to the council's approval."""
    from decimal import Decimal

    from wagtail.models import Site, Workflow

    from cms.services import COUNCIL_GROUP, FINANCE_GROUP, territory_setup
    from commissions.governance import COMMISSION_WORKFLOW_NAME
    from commissions.models import CommissionRule
    from commissions.rules_io import rules_import
    from tests.browser.test_booking_journey import RULES
    from tests.conftest import make_user

    host, port = live_server.url.rsplit("//", 1)[1].split(":")
    site = territory_setup(hostname=host, port=int(port), site_name="Comptoir des Gorges")
    Site.objects.filter(pk=site.pk).update(is_default_site=True)
    rules_import(site=site, data=RULES, publish=True)
    finance = make_user("finances@example.org", groups=(FINANCE_GROUP,))
    council = make_user("conseil@example.org", groups=(COUNCIL_GROUP,))
    rule = CommissionRule.objects.get(key="base")
    draft = rule.get_latest_revision_as_object()
    draft.provider_rate = Decimal("9.00")
    draft.save_revision(user=finance)
    Workflow.objects.get(name=COMMISSION_WORKFLOW_NAME).start(rule, finance)
    return {"rule": rule, "council": council}


def test_a_councillor_compares_then_approves_with_the_keyboard_only(page, rule_in_review):
    from decimal import Decimal

    rule = rule_in_review["rule"]
    sign_in(page, rule_in_review["council"].email, "/admin/")

    # The actions menu of the rule awaiting review: compare it with the live version.
    tab_to(page, "button[aria-label='Actions']")
    page.keyboard.press("Enter")
    tab_to(page, f"a[href*='/commissionrule/history/{rule.pk}/revisions/compare/live...']")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/revisions/compare/live\.\.\.\d+/$"))
    changes = page.locator("main").inner_text()
    assert "6.00" in changes and "9.00" in changes
    # Back to the dashboard (the sidebar's first link, behind), approve it (no comment).
    tab_to(page, "a[href='/admin/'][aria-label]", backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/$"))
    tab_to(page, "button[aria-label='Actions']")
    page.keyboard.press("Space")
    tab_to(page, "button[data-workflow-action-url*='/approve/']:not([data-launch-modal])")
    page.keyboard.press("Space")
    page.locator(".messages").wait_for()
    assert "La règle «\u00a0Règle de base\u00a0» est approuvée et en vigueur." in (
        page.locator(".messages").inner_text()
    )
    rule.refresh_from_db()
    assert rule.live and rule.provider_rate == Decimal("9.00")
