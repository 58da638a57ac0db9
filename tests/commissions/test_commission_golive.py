"""Scheduled go-live never jams: a rule that cannot go live is skipped and reported once,
everything else scheduled (pages included) goes live."""

import datetime as dt
from decimal import Decimal

from django.core import mail
from django.utils import timezone
from wagtail.models import ModelLogEntry, Revision
from wagtail.users.models import UserProfile

from cms.scheduled import GO_LIVE_REFUSED
from cms.services import COUNCIL_GROUP, EDITORS_GROUP, FINANCE_GROUP
from cms.tasks import publish_scheduled_content
from commissions.models import CommissionRule
from commissions.selectors import live_rules_invalidate
from marketplace.models import StayOfferPage
from tests import factories
from tests.booking_helpers import rule, shared_rules, side
from tests.conftest import make_user


def schedule(obj, *, in_minutes: int) -> Revision:
    """Publish ``obj``'s changes with a go-live ``in_minutes`` from now (a scheduled revision)."""
    obj.go_live_at = timezone.now() + dt.timedelta(minutes=in_minutes)
    revision = obj.save_revision()
    revision.publish()
    revision.refresh_from_db()
    assert revision.approved_go_live_at is not None
    return revision


def make_due(revision: Revision, *, minutes_ago: int) -> None:
    """Let time pass: the revision's go-live is now behind us."""
    past = timezone.now() - dt.timedelta(minutes=minutes_ago)
    revision.approved_go_live_at = past
    revision.content["go_live_at"] = past.isoformat()
    revision.save()


def test_a_tied_scheduled_rule_is_skipped_reported_once_and_the_rest_goes_live(territory):
    make_user("finances@example.org", groups=(FINANCE_GROUP,))
    council = make_user("conseil@example.org", groups=(COUNCIL_GROUP,))
    profile = UserProfile.get_for_user(council)
    profile.preferred_language = "en"
    profile.save()
    make_user("editeur@example.org", groups=(EDITORS_GROUP,))
    camping = factories.category("camping")
    shared_rules(
        territory,
        rules=[
            rule("base", "Base", provider=side("5.00"), visitor=side()),
            rule("produits", "Produits", provider=side("4.00"), visitor=side(), kinds=["product"]),
        ],
    )
    # A new "Campings" rule scheduled for later; no other rule names campings yet.
    campings = CommissionRule(
        site=territory,
        key="campings",
        name="Campings",
        provider_rate=Decimal("8.00"),
        distribution=CommissionRule.objects.get(key="base").distribution,
        live=False,
    )
    campings.save()
    campings.categories = [camping]
    tied = schedule(campings, in_minutes=60)
    # Meanwhile another rule came to name campings (written before ties were checked
    # against scheduled revisions): at its go-live, "Campings" would tie with it.
    other = CommissionRule.objects.get(key="produits")
    other.kinds = []
    other.categories = [camping]
    other.save()
    live_rules_invalidate(site_id=territory.pk)
    # Two other scheduled changes, due after the tied one: the base rule and a page.
    base = CommissionRule.objects.get(key="base")
    base.provider_rate = Decimal("6.00")
    base_revision = schedule(base, in_minutes=60)
    offer = factories.stay(factories.provider(territory), title="Emplacement tente")
    offer.title = "Emplacement prairie"
    page_revision = schedule(offer, in_minutes=60)
    make_due(tied, minutes_ago=30)
    make_due(base_revision, minutes_ago=20)
    make_due(page_revision, minutes_ago=10)
    mail.outbox.clear()

    publish_scheduled_content.call_local()

    assert CommissionRule.objects.get(key="base").provider_rate == Decimal("6.00")
    assert StayOfferPage.objects.get(pk=offer.pk).title == "Emplacement prairie"
    campings.refresh_from_db()
    assert not campings.live
    tied.refresh_from_db()
    assert tied.approved_go_live_at is None
    entry = ModelLogEntry.objects.get(action=GO_LIVE_REFUSED)
    assert entry.object_id == str(campings.pk) and "Produits" in entry.data["reason"]
    # One e-mail per language, to finance and the council only.
    assert len(mail.outbox) == 2
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    french = by_recipient[("finances@example.org",)]
    english = by_recipient[("conseil@example.org",)]
    assert "Campings" in french.subject and "Produits" in french.body
    assert "n’a pas pu être mis en ligne" in french.body
    assert "could not go live" in english.body and "Produits" in english.body

    publish_scheduled_content.call_local()
    assert len(mail.outbox) == 2
    assert ModelLogEntry.objects.filter(action=GO_LIVE_REFUSED).count() == 1
    assert not CommissionRule.objects.get(pk=campings.pk).live


def test_an_unexpected_error_is_logged_with_its_traceback_and_the_rest_goes_live(
    territory, caplog, monkeypatch
):
    make_user("finances@example.org", groups=(FINANCE_GROUP,))
    shared_rules(territory)
    offer = factories.stay(factories.provider(territory), title="Emplacement tente")
    offer.title = "Emplacement prairie"
    page_revision = schedule(offer, in_minutes=60)
    base = CommissionRule.objects.get(key="base")
    base.provider_rate = Decimal("6.00")
    base_revision = schedule(base, in_minutes=60)
    make_due(base_revision, minutes_ago=30)
    make_due(page_revision, minutes_ago=20)

    def broken(self, revision, *args, **kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr(CommissionRule, "publish", broken)
    mail.outbox.clear()
    with caplog.at_level("WARNING", logger="cms.scheduled"):
        counts = publish_scheduled_content.call_local()

    assert StayOfferPage.objects.get(pk=offer.pk).title == "Emplacement prairie"
    assert counts == {"unpublished": 0, "published": 1, "refused": 1}
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert errors and errors[0].exc_info and errors[0].exc_info[0] is TypeError
    # Finance is told once, without the programmer's words.
    assert len(mail.outbox) == 1
    assert "a bug" not in mail.outbox[0].body
    assert "Une erreur technique l’en a empêché" in mail.outbox[0].body


def test_expired_pages_and_snippets_are_unpublished_as_wagtail_does(territory):
    """What Wagtail's publish_scheduled does first: objects whose expiry is past go
    offline, marked expired, logged as a scheduled unpublish; the live rules' cache
    follows (a rule that expired no longer prices)."""
    from wagtail.models import PageLogEntry

    from commissions.selectors import live_rule_specs

    shared_rules(
        territory,
        rules=[
            rule("base", "Base", provider=side("5.00"), visitor=side()),
            rule("produits", "Produits", provider=side("4.00"), visitor=side(), kinds=["product"]),
        ],
    )
    assert {s.key for s in live_rule_specs(site_id=territory.pk)} == {"base", "produits"}
    past = timezone.now() - dt.timedelta(minutes=5)
    offer = factories.stay(factories.provider(territory), title="Emplacement tente")
    StayOfferPage.objects.filter(pk=offer.pk).update(expire_at=past)
    CommissionRule.objects.filter(key="produits").update(expire_at=past)

    counts = publish_scheduled_content.call_local()

    assert counts["unpublished"] == 2
    page = StayOfferPage.objects.get(pk=offer.pk)
    assert not page.live and page.expired
    produits = CommissionRule.objects.get(key="produits")
    assert not produits.live and produits.expired
    assert PageLogEntry.objects.filter(page=page, action="wagtail.unpublish.scheduled").exists()
    assert ModelLogEntry.objects.filter(
        object_id=str(produits.pk), action="wagtail.unpublish.scheduled"
    ).exists()
    assert {s.key for s in live_rule_specs(site_id=territory.pk)} == {"base"}
