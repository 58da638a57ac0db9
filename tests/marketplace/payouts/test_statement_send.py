"""A recipient's statement by e-mail (issue 13 §3), as the payout run sends it for each of
its lines: a summary in the text and HTML, the PDF attached, in French or English."""

import pytest
from django.core import mail

from marketplace.payouts.notify import statement_send
from marketplace.tourist_tax.models import TaxCollector
from tests.marketplace.payouts.statement_world import TAX_ACCOUNT, money_replay


@pytest.fixture
def money(world, visitor):
    return money_replay(world, visitor)


def _period(money) -> dict:
    return {"since": money["since"], "until": money["today"]}


def test_a_provider_gets_its_statement_in_french_with_the_pdf(money):
    mail.outbox.clear()
    assert statement_send(site=money["site"], account=money["account"], **_period(money))
    (message,) = mail.outbox
    assert message.to == ["torrent@example.org"]
    assert message.subject.startswith("Relevé de Camping du Torrent, du ")
    assert "Bonjour," in message.body
    for label in ("Solde d'ouverture", "Crédité", "Remboursé", "Versé", "Solde de clôture"):
        assert label in message.body
    assert "Versé : 10,00\u00a0€" in message.body
    assert f"Payable au {money['today']:%d/%m/%Y} : -10,00\u00a0€" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Solde de clôture" in html and 'lang="fr"' in html
    (attachment,) = message.attachments
    name, content, mimetype = attachment
    assert name.endswith(".pdf") and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")


def test_a_collector_gets_it_in_english_when_asked(money):
    TaxCollector.objects.filter(account=TAX_ACCOUNT).update(email="sgc@example.org")
    mail.outbox.clear()
    assert statement_send(site=money["site"], account=TAX_ACCOUNT, language="en", **_period(money))
    (message,) = mail.outbox
    assert message.to == ["sgc@example.org"]
    assert message.subject.startswith("Statement of Trésorerie de Arvière-le-Bourg, ")
    assert "Hello," in message.body and "Paid out: €" in message.body
    assert "Closing balance" in message.alternatives[0][0]
    assert message.attachments[0][1].startswith(b"%PDF")


def test_no_address_no_e_mail(money):
    mail.outbox.clear()
    # The collector has no e-mail yet; a beneficiary has no e-mail field at all.
    assert not statement_send(site=money["site"], account=TAX_ACCOUNT, **_period(money))
    assert not statement_send(site=money["site"], account="beneficiary:fonds", **_period(money))
    assert not statement_send(site=money["site"], account="provider:999999", **_period(money))
    assert mail.outbox == []
