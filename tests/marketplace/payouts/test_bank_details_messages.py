"""What a provider's member is told when submitting bank details says what really
happens (issue 14): with no details in force, nothing is paid by transfer until finance
approves the new ones; there are no "details in force" to receive transfers meanwhile."""

import re

from django.contrib.messages import get_messages
from django.urls import reverse

from marketplace.payouts.services import bank_account_approve, bank_account_submit
from tests.marketplace.payouts.conftest import IBAN_NEW, IBAN_OLD


def submitted(client, world):
    url = reverse("bank_details:provider", args=[world["canoes"].pk])
    client.force_login(world["alice"])
    response = client.post(url, {"holder_name": "Canoës Alice", "iban": IBAN_NEW, "bic": ""})
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    page = re.sub(r"\s+", " ", client.get(url).content.decode())
    return said, page


def test_first_bank_details_say_payouts_wait_for_their_approval(client, world):
    said, page = submitted(client, world)
    assert said == [
        "Vos coordonnées bancaires sont soumises. L'équipe finances du territoire les "
        "vérifie ; aucun virement ne peut vous être fait avant leur approbation."
    ]
    assert "en vigueur" not in page
    assert "Aucun virement ne peut vous être fait avant leur approbation." in page


def test_new_bank_details_say_transfers_go_to_those_in_force_meanwhile(client, world):
    old = bank_account_submit(
        site=world["site"],
        account=f"provider:{world['canoes'].pk}",
        holder_name="Titulaire",
        iban=IBAN_OLD,
        by=world["finance"],
    )
    bank_account_approve(bank_account=old, by=world["finance2"])
    said, page = submitted(client, world)
    assert said == [
        "Vos nouvelles coordonnées bancaires sont soumises. L'équipe finances du territoire "
        "les vérifie ; d'ici là, les virements vont aux coordonnées en vigueur."
    ]
    assert "les virements vont aux coordonnées en vigueur" in page
