"""A person's data, completely: the export holds everything kept about them, the
erasure reaches their provider applications and what Stripe sent about their payments,
and the nightly retention task deletes what is no longer needed (issue 10, section 7)."""

import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import ModelLogEntry
from wagtail.search.models import IndexEntry
from wagtail.users.models import UserProfile

from marketplace.accounts import account_data_export, account_erase
from marketplace.books.models import LedgerEntry
from marketplace.models import Booking, Cart, Provider, ProviderMembership, ProviderStatus
from marketplace.personal_data import RECORDS, USER_RELATIONS, user_relations
from marketplace.services import provider_apply, provider_reject
from payments.models import StripeEvent, StripePayment
from payments.stripe.personal_data import payload_personal, payload_scrub
from tests import factories
from tests.booking_helpers import activity_in, book, shared_rules
from tests.conftest import make_provider, make_user, reauthenticate

DAY = dt.timedelta(days=1)
User = get_user_model()

NAME, PHONE = "Camille Durand", "+33 6 12 34 56 78"
ADDRESS = {
    "city": "Vallon",
    "country": "FR",
    "line1": "12 chemin de la Rivière",
    "line2": None,
    "postal_code": "07150",
    "state": None,
}


@pytest.fixture(autouse=True)
def _french_first():
    with translation.override("fr"):
        yield


@pytest.fixture
def club(territory, category):
    shared_rules(territory)
    return make_provider(territory, name="Canoë Club", category=category)


def application_data(category, **overrides) -> dict:
    data = {
        "name": "Gîte des Saules",
        "legal_name": "Camille Durand EI",
        "category": category,
        "commune": "Vallon",
        "address": "12 chemin de la Rivière",
        "postcode": "07150",
        "siret": "73282932000074",
        "contact_name": NAME,
        "email": "camille.gite@example.org",
        "phone": PHONE,
        "description": "Deux chambres au bord de l'eau.",
    }
    data.update(overrides)
    return data


def stripe_events_for(order, *, email: str, payment_intent: str, charge: str) -> list[StripeEvent]:
    """What Stripe sends about a paid order, with the payer's details as Stripe has them."""
    session = f"cs_test_{order.reference}"
    StripePayment.objects.create(
        order=order,
        session_id=session,
        session_url="https://checkout.stripe.com/c/pay/x",
        session_expires_at=timezone.now() + DAY,
        payment_intent_id=payment_intent,
        charge_id=charge,
        amount=order.total,
    )
    person = {"email": email, "name": NAME, "phone": PHONE, "address": ADDRESS}
    objects = [
        (
            "checkout.session.completed",
            {
                "id": session,
                "object": "checkout.session",
                "amount_total": order.total,
                "client_reference_id": order.reference,
                "customer": f"cus_{order.reference}",
                "customer_email": email,
                "customer_details": {**person, "tax_exempt": "none", "tax_ids": []},
                "consent": {"promotions": None, "terms_of_service": "accepted"},
                "metadata": {"order_id": str(order.pk), "order_reference": order.reference},
                "payment_intent": payment_intent,
            },
        ),
        (
            "charge.refunded",
            {
                "id": charge,
                "object": "charge",
                "amount": order.total,
                "amount_refunded": 100,
                "billing_details": person,
                "receipt_email": email,
                "receipt_url": f"https://pay.stripe.com/receipts/{charge}",
                "payment_intent": payment_intent,
                "payment_method_details": {
                    "type": "card",
                    "card": {"brand": "visa", "last4": "4242", "fingerprint": "Xt5EWLLDS7FJjR1c"},
                },
                "metadata": {},
            },
        ),
        (
            "charge.dispute.created",
            {
                "id": f"dp_{order.reference}",
                "object": "dispute",
                "amount": order.total,
                "charge": charge,
                "evidence": {"customer_name": NAME, "customer_email_address": email},
            },
        ),
        (
            "customer.updated",
            {"id": f"cus_{order.reference}", "object": "customer", "email": email, "name": NAME},
        ),
    ]
    events = []
    for number, (kind, obj) in enumerate(objects):
        events.append(
            StripeEvent.objects.create(
                id=f"evt_{order.reference}_{number}",
                type=kind,
                endpoint="platform",
                payload={
                    "id": f"evt_{order.reference}_{number}",
                    "object": "event",
                    "type": kind,
                    "data": {"object": obj},
                },
                processed_at=timezone.now(),
            )
        )
    return events


def personal_values(events) -> dict:
    found = {}
    for event in StripeEvent.objects.filter(pk__in=[e.pk for e in events]):
        found.update({f"{event.pk}:{k}": v for k, v in payload_personal(event.payload).items()})
    return found


# --- The map: every relation to a person is covered ----------------------------------------


def test_every_relation_to_a_person_is_covered_by_the_export(db):
    """A new model pointing to the user model must say where the export shows it."""
    missing = [label for label in user_relations() if label not in USER_RELATIONS]
    assert not missing, (
        f"Relations to the user model that the export does not cover: {missing}. "
        "Add them to marketplace.personal_data.USER_RELATIONS (a section of "
        "account_data_export, or RECORDS for admin records) and to the export."
    )


# --- Export --------------------------------------------------------------------------------


def test_the_export_holds_everything_kept_about_the_person(client, club, category, territory):
    person = make_user("camille@example.org", first_name="Camille", last_name="Durand")
    EmailAddress.objects.create(user=person, email="camille@travail.example", verified=False)
    UserProfile.objects.create(user=person, preferred_language="en")
    # Orders and bookings, one cancelled with a refund, and a cart still full.
    outing = activity_in(club, ahead=10 * DAY, policy="moderate", title="Descente")
    order = book(person, outing)
    client.force_login(person)
    booking = Booking.objects.get(order=order)
    client.post(reverse("my_booking_cancel", args=[booking.reference]), {"reason": "Pluie"})
    Cart.objects.filter(user=person).delete()
    book(person, factories.product(club, title="Miel", price_per_item=850), pay=False)
    # Provider applications: one turned down, one waiting; a membership elsewhere.
    turned_down = provider_apply(
        site=territory, user=person, data=application_data(category, name="Premier essai")
    )
    provider_reject(provider=turned_down, by=None, reason="Hors du territoire")
    provider_apply(site=territory, user=person, data=application_data(category))
    ProviderMembership.objects.create(provider=club, user=person, role="staff")
    # What Stripe sent about the order, and an admin record naming the person.
    stripe_events_for(order, email=person.email, payment_intent="pi_1", charge="ch_1")
    ModelLogEntry.objects.log_action(instance=club, action="wagtail.edit", user=person)
    # Someone else's data of every kind.
    other = make_user("voisine@example.org")
    other_order = book(other, activity_in(club, ahead=5 * DAY, policy="moderate"))
    stripe_events_for(other_order, email=other.email, payment_intent="pi_2", charge="ch_2")
    provider_apply(site=territory, user=other, data=application_data(category, name="Chez Elle"))

    reauthenticate(client)  # the export asks for it (allauth)
    response = client.get(reverse("my_data_export"))
    assert response.status_code == 200
    data = json.loads(response.content)

    # Every section the map names is in the export, filled for this person.
    for label, section in USER_RELATIONS.items():
        if label in user_relations() and section not in ("admin_profile", RECORDS):
            assert section in data, label
    assert data["account"]["last_name"] == "Durand"
    assert {a["email"] for a in data["email_addresses"]} == {
        "camille@example.org",
        "camille@travail.example",
    }
    assert data["admin_profile"]["preferred_language"] == "en"
    assert data["mfa_authenticators"] == []
    # Provider applications: name, phone, address, SIRET, and the decision.
    applications = {a["name"]: a for a in data["provider_applications"]}
    assert set(applications) == {"Premier essai", "Gîte des Saules"}
    waiting = applications["Gîte des Saules"]
    assert waiting["status"] == ProviderStatus.APPLIED
    assert waiting["phone"] == PHONE and waiting["siret"] == "73282932000074"
    assert waiting["address"] == "12 chemin de la Rivière" and waiting["postcode"] == "07150"
    assert waiting["contact_name"] == NAME and waiting["email"] == "camille.gite@example.org"
    assert waiting["category"] == str(category)
    assert applications["Premier essai"]["reason"] == "Hors du territoire"
    [membership] = data["provider_memberships"]
    assert (membership["provider"], membership["role"]) == ("Canoë Club", "staff")
    # Orders and bookings, the cart.
    references = {o["reference"] for o in data["orders"]}
    assert order.reference in references and len(references) == 2
    [paid] = [o for o in data["orders"] if o["reference"] == order.reference]
    assert paid["bookings"][0]["cancel_reason"] == "Pluie"
    assert paid["bookings"][0]["refunds"][0]["amount"] > 0
    # Stripe: the payment, what Stripe told us about the payer, their consent.
    assert [p["order"] for p in data["stripe_payments"]] == [order.reference]
    received = {e["type"]: e["data"] for e in data["received_from_stripe"]}
    assert set(received) == {
        "checkout.session.completed",
        "charge.refunded",
        "charge.dispute.created",
        "customer.updated",
    }
    session = received["checkout.session.completed"]
    assert session["data.object.customer_details.phone"] == PHONE
    assert session["data.object.customer_details.name"] == NAME
    assert session["data.object.customer_email"] == person.email
    assert received["charge.refunded"]["data.object.billing_details.address"] == ADDRESS
    assert data["consents"] == [
        {
            "given_on": "Stripe Checkout",
            "event": f"evt_{order.reference}_0",
            "consent": {"promotions": None, "terms_of_service": "accepted"},
        }
    ]
    # Admin records that name the person are counted.
    records = {r["relation"]: r["count"] for r in data["records"]}
    # The admin edit above, and (issue 12) the audit log of the person's own transitions:
    # their two orders placed and the booking they cancelled.
    own = ModelLogEntry.objects.filter(user=person, action__startswith="comptoir.").count()
    assert own == 3
    assert records["wagtailcore.ModelLogEntry.user"] == 1 + own
    # Nothing of anybody else.
    text = response.content.decode()
    assert "voisine@example.org" not in text and other_order.reference not in text
    assert "Chez Elle" not in text


def test_the_export_of_someone_with_nothing_is_small_and_complete(visitor):
    data = account_data_export(user=visitor)
    assert data["orders"] == [] and data["provider_applications"] == []
    assert data["received_from_stripe"] == [] and data["consents"] == []
    assert data["records"] == [] and data["admin_profile"] is None
    assert data["sessions"] == [] and data["mfa_authenticators"] == []


@pytest.mark.skipif(not apps.is_installed("allauth.mfa"), reason="allauth.mfa not installed")
def test_second_factors_are_exported_without_their_secrets_and_go_with_the_account(editor):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(
        user=editor, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    data = account_data_export(user=editor)
    assert [a["type"] for a in data["mfa_authenticators"]] == ["totp"]
    assert "JBSWY3DPEHPK3PXP" not in json.dumps(data, default=str)
    assert account_erase(user=editor) is False  # a team member: emptied, row kept
    assert not Authenticator.objects.filter(user=editor).exists()


# --- Erasure -------------------------------------------------------------------------------


def test_deletion_withdraws_the_application_from_the_queue_and_the_search_index(
    client, category, territory, editor
):
    applicant = make_user("camille@example.org")
    waiting = provider_apply(site=territory, user=applicant, data=application_data(category))
    rejected_by = make_user("autre@example.org")
    turned_down = provider_apply(
        site=territory,
        user=rejected_by,
        data=application_data(category, name="Refusé", siret="44306184100047"),
    )
    provider_reject(provider=turned_down, by=editor, reason="Non")
    turned_down.applied_by = applicant
    turned_down.save()
    ModelLogEntry.objects.log_action(instance=waiting, action="wagtail.edit", user=editor)
    provider_type = ContentType.objects.get_for_model(Provider)
    assert IndexEntry.objects.filter(content_type=provider_type, object_id=str(waiting.pk)).exists()
    client.force_login(editor)
    assert "Gîte des Saules" in client.get(reverse("wagtailadmin_home")).content.decode()
    found = client.get(reverse("providers:index"), {"q": "Saules"}).content.decode()
    assert "Gîte des Saules" in found

    # The service behind /compte/supprimer/ (its page: tests/marketplace/test_account_data.py).
    assert account_erase(user=applicant) is True

    # Emptied in place, not deleted (a commission rule may name them).
    for application in Provider.objects.filter(pk__in=[waiting.pk, turned_down.pk]):
        assert application.status == ProviderStatus.WITHDRAWN
        assert application.applied_by is None and application.status_reason == ""
        assert application.name == f"provider #{application.pk}"
        for field in ("legal_name", "address", "postcode", "siret", "contact_name", "email"):
            assert getattr(application, field) == "", field
        assert application.phone == "" and application.description == ""
        assert application.latitude is None and application.slug.startswith("withdrawn-")
    assert waiting.pk not in {p.pk for p in Provider.get_indexed_objects()}
    assert not IndexEntry.objects.filter(
        content_type=provider_type, object_id__in=[str(waiting.pk), str(turned_down.pk)]
    ).exists()
    log = ModelLogEntry.objects.get(content_type=provider_type, object_id=str(waiting.pk))
    assert "Saules" not in log.label
    client.force_login(editor)
    assert "Gîte des Saules" not in client.get(reverse("wagtailadmin_home")).content.decode()
    found = client.get(reverse("providers:index"), {"q": "Saules"}).content.decode()
    assert "Gîte des Saules" not in found


def test_deletion_keeps_the_scope_of_a_rule_that_names_the_application(category, territory):
    """A rule scoped to the application still names it after the erasure: an empty
    ``providers`` means "any provider", so deleting the row would widen the rule."""
    from commissions.models import CommissionRule
    from tests.booking_helpers import rule, side

    applicant = make_user("camille@example.org")
    waiting = provider_apply(site=territory, user=applicant, data=application_data(category))
    shared_rules(
        territory,
        rules=[
            rule("base", "Base", provider=side("5.00"), visitor=side("2.00")),
            rule(
                "gite",
                "Le gîte",
                provider=side("30.00"),
                visitor=side("0.00"),
                providers=[waiting.slug],
            ),
        ],
    )
    scoped = CommissionRule.objects.get(key="gite", site=territory)
    assert scoped.to_spec().scope.providers == {waiting.slug}

    assert account_erase(user=applicant) is True

    scoped.refresh_from_db()
    assert list(scoped.providers.all()) == [waiting]
    assert scoped.to_spec().scope.providers  # still this one provider, not "any"
    waiting.refresh_from_db()
    assert waiting.status == ProviderStatus.WITHDRAWN and waiting.applied_by is None


def test_deletion_keeps_an_approved_provider_the_person_applied_for(category, territory):
    member = make_user("gerante@example.org")
    provider = make_provider(territory, name="Ferme du Pré", category=category, member=member)
    assert account_erase(user=member) is False  # a member: scrubbed, not deleted
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.APPROVED and provider.name == "Ferme du Pré"
    assert not ProviderMembership.objects.filter(user=member).exists()


def test_deletion_scrubs_what_stripe_sent_about_their_orders_and_keeps_the_rest(club, visitor):
    order = book(visitor, factories.product(club, title="Miel", price_per_item=850))
    mine = stripe_events_for(order, email=visitor.email, payment_intent="pi_1", charge="ch_1")
    other = make_user("voisine@example.org")
    other_order = book(other, factories.product(club, title="Confiture", price_per_item=500))
    theirs = stripe_events_for(other_order, email=other.email, payment_intent="pi_2", charge="ch_2")
    before = {e.pk: e.payload for e in StripeEvent.objects.all()}
    ledger = sorted(LedgerEntry.objects.values_list("transaction__idempotency_key", "amount"))
    assert personal_values(mine)

    assert account_erase(user=visitor) is True

    assert personal_values(mine) == {}
    rows = list(StripeEvent.objects.filter(pk__in=[e.pk for e in mine]).values())
    text = json.dumps(rows, default=str, ensure_ascii=False)
    for value in (visitor.email, NAME, PHONE, "Rivière", "4242", "Xt5EWLLDS7FJjR1c"):
        assert value not in text
    for event in StripeEvent.objects.filter(pk__in=[e.pk for e in mine]):
        assert event.payload_scrubbed_at is not None
        obj, was = event.data_object, before[event.pk]["data"]["object"]
        # Ids, amounts, types and metadata stay for finance and for processing.
        assert obj["id"] == was["id"] and obj.get("amount") == was.get("amount")
        assert obj.get("metadata") == was.get("metadata")
        assert event.payload["type"] == before[event.pk]["type"]
    # Someone else's events, amounts and the ledger are untouched.
    for event in theirs:
        event.refresh_from_db()
        assert event.payload == before[event.pk] and event.payload_scrubbed_at is None
    assert (
        sorted(LedgerEntry.objects.values_list("transaction__idempotency_key", "amount")) == ledger
    )
    assert StripePayment.objects.get(order=order).amount == order.total


def test_a_team_member_emptied_keeps_no_subscription_profile_nor_token(editor):
    from wagtail.models import PageSubscription

    from cms.models import HomePage

    PageSubscription.objects.create(
        user=editor, page=HomePage.objects.first(), comment_notifications=True
    )
    UserProfile.objects.create(user=editor, preferred_language="fr")
    assert account_erase(user=editor) is False
    assert not PageSubscription.objects.filter(user=editor).exists()
    assert not UserProfile.objects.filter(user=editor).exists()
    assert not editor.groups.exists()


# --- Scrubbing Stripe's real objects ----------------------------------------------------------

# Stripe's published example objects (the double's fixtures), as a webhook delivers them.
STRIPE_OBJECTS = (
    "checkout.session",
    "charge",
    "customer",
    "payment_intent",
    "payment_method",
    "payment_source",
    "card",
    "source",
    "confirmation_token",
    "dispute",
    "refund",
    "mandate",
    "account",
    "financial_connections.account_owner",
    "identity.verification_report",
)


def stripe_fixture(kind: str) -> dict:
    from tests.stripe_double.forms import FIXTURES

    return json.loads(FIXTURES.read_text())["resources"][kind]


def strings_in(payload) -> set[str]:
    if isinstance(payload, dict):
        return set().union(*(strings_in(v) for v in payload.values())) if payload else set()
    if isinstance(payload, list):
        return set().union(*(strings_in(v) for v in payload)) if payload else set()
    return {payload} if isinstance(payload, str) else set()


def event_of(obj: dict) -> dict:
    return {"id": "evt_1", "object": "event", "type": "x.updated", "data": {"object": obj}}


def test_scrubbing_stripes_own_example_objects_leaves_none_of_their_people():
    """The people in Stripe's fixtures (Jenny Rosen, her e-mails, phones, addresses) go."""
    people = {
        "site@stripe.com",
        "Jenny Rosen",
        "Jenny",
        "Rosen",
        "example@example.com",
        "jenny@example.com",
        "jenny.rosen@example.com",
        "nobody+janesmith@stripe.com",
        "+1 555-555-5555",
        "+15555555555",
        "+18008675309",
        "1234 Fake Street",
        "123 Fake St",
        "94102",
        "4242",
        "AOB934RVNwzk6xtn",
    }
    for kind in STRIPE_OBJECTS:
        obj = stripe_fixture(kind)
        scrubbed = payload_scrub(event_of(obj))
        assert not strings_in(scrubbed) & people, (kind, strings_in(scrubbed) & people)
        # What finance, redeliveries and the handlers need stays.
        assert scrubbed["id"] == "evt_1" and scrubbed["type"] == "x.updated"
        kept = scrubbed["data"]["object"]
        assert kept["id"] == obj["id"] and kept.get("object") == obj.get("object")
        for key in ("amount", "amount_total", "currency", "created", "metadata", "status"):
            assert kept.get(key) == obj.get(key), (kind, key)


def test_scrubbing_a_paid_checkout_leaves_nothing_equal_to_the_payer(territory):
    """Every place Stripe puts the payer in a session and its charge, filled, then scrubbed."""
    email, line1, ip = "camille@example.org", "12 chemin de la Rivière", "203.0.113.9"
    details = {"email": email, "name": NAME, "phone": PHONE, "address": ADDRESS}
    session = stripe_fixture("checkout.session")
    session.update(
        customer_email=email,
        client_reference_id="CMD-42",
        metadata={"order_id": "42", "order_reference": "CMD-42"},
        customer_details={
            **details,
            "business_name": NAME,
            "individual_name": NAME,
            "tax_exempt": "none",
            "tax_ids": [{"type": "eu_vat", "value": "FR40303265045"}],
        },
        collected_information={
            "business_name": NAME,
            "individual_name": NAME,
            "shipping_details": {"name": NAME, "address": ADDRESS},
        },
        custom_fields=[{"key": "nom", "type": "text", "text": {"value": NAME}}],
    )
    charge = stripe_fixture("charge")
    charge.update(
        billing_details={**details, "tax_id": None},
        receipt_email=email,
        receipt_url=f"https://pay.stripe.com/receipts/{email}",
        shipping={"name": NAME, "phone": PHONE, "address": ADDRESS, "carrier": None},
        transfer_group="CMD-42",
    )
    charge["payment_method_details"] = {
        "type": "paypal",
        "paypal": {
            "payer_email": email,
            "payer_name": NAME,
            "payer_id": "PAYER42",
            "verified_email": email,
            "verified_name": NAME,
            "verified_phone_number": PHONE,
            "verified_address": ADDRESS,
        },
        "ideal": {"verified_name": NAME, "iban_last4": "1234"},
        "card_present": {"cardholder_name": NAME},
        "klarna": {"payer_details": {"address": {"country": "FR"}}},
    }
    dispute = stripe_fixture("dispute")
    dispute["evidence"].update(
        customer_email_address=email,
        customer_name=NAME,
        billing_address=line1,
        customer_purchase_ip=ip,
    )
    mandate = stripe_fixture("mandate")
    mandate["customer_acceptance"] = {
        "type": "online",
        "online": {"ip_address": ip, "user_agent": "Mozilla/5.0 (Camille)"},
    }
    person = {email, NAME, PHONE, line1, ADDRESS["postal_code"], ip, "Mozilla/5.0 (Camille)"}
    for obj in (session, charge, dispute, mandate):
        payload = event_of(obj)
        assert strings_in(payload) & person  # the person is there before
        scrubbed = payload_scrub(payload)
        assert not strings_in(scrubbed) & person, strings_in(scrubbed) & person
        assert not payload_personal(scrubbed)
    scrubbed_session = payload_scrub(event_of(session))["data"]["object"]
    assert scrubbed_session["client_reference_id"] == "CMD-42"
    assert scrubbed_session["metadata"] == {"order_id": "42", "order_reference": "CMD-42"}
    assert scrubbed_session["id"] == session["id"]
    scrubbed_charge = payload_scrub(event_of(charge))["data"]["object"]
    assert scrubbed_charge["transfer_group"] == "CMD-42"
    assert scrubbed_charge["amount"] == charge["amount"]


def test_an_individual_sellers_identity_is_exported_and_withdrawn_with_the_application(
    category, territory
):
    """The DAC7 identity of an individual (birth date and place, tax number) is personal
    data: the applicant's export shows it, the withdrawal of an application empties it."""
    person = make_user("martine@example.org")
    seller = make_provider(
        territory,
        name="Gîte Vial",
        category=category,
        member=person,
        legal_form="individual",
        first_names="Martine Anne",
        last_name="Vial",
        birth_date=dt.date(1970, 5, 4),
        birth_place="Privas",
        tax_identifier="1234567890123",
    )
    waiting = provider_apply(site=territory, user=person, data=application_data(category))
    Provider.objects.filter(pk=waiting.pk).update(
        legal_form="individual", birth_date=dt.date(1970, 5, 4), birth_place="Privas"
    )
    exported = {a["name"]: a for a in account_data_export(user=person)["provider_applications"]}
    assert exported["Gîte Vial"]["birth_date"] == "1970-05-04"
    assert exported["Gîte Vial"]["birth_place"] == "Privas"
    assert exported["Gîte Vial"]["tax_identifier"] == "1234567890123"

    account_erase(user=person)
    waiting.refresh_from_db()
    assert waiting.status == ProviderStatus.WITHDRAWN
    assert (
        waiting.birth_date is None and waiting.birth_place == "" and waiting.legal_form == "entity"
    )
    seller.refresh_from_db()  # approved: the tax report's record stays
    assert seller.birth_date == dt.date(1970, 5, 4)
