"""The bank details' admin pages through their real URLs, with each role: finance's
list, approve and reject pages; a provider member's own page; nobody else's."""

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.payouts.models import BankAccount, BankAccountStatus
from marketplace.payouts.selectors import approved_bank_account
from marketplace.payouts.services import bank_account_approve, bank_account_submit
from tests.marketplace.payouts.conftest import IBAN_NEW, IBAN_OLD

INDEX = "/admin/bank_accounts/"


def submit(world, by, *, account, iban=IBAN_OLD, holder="Titulaire"):
    return bank_account_submit(
        site=world["site"], account=account, holder_name=holder, iban=iban, bic="", by=by
    )


def canoes(world) -> str:
    return f"provider:{world['canoes'].pk}"


def test_finance_lists_pending_first_with_ibans_masked(client, world):
    old = submit(world, world["alice"], account=canoes(world))
    bank_account_approve(bank_account=old, by=world["finance"])
    pending = submit(world, world["bob"], account=f"provider:{world['ferme'].pk}", iban=IBAN_NEW)
    client.force_login(world["finance"])

    response = client.get(INDEX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Ferme Bob") < html.index("Canoës Alice")
    assert "DE89 **** … 3000" in html and "FR76 **** … 0189" in html
    assert IBAN_OLD not in html and IBAN_NEW not in html
    assert reverse("bank_accounts:approve", args=[pending.pk]) in html
    assert reverse("bank_accounts:approve", args=[old.pk]) not in html
    # Its submitter gets no approve button (and the service would refuse).
    mine = submit(world, world["finance2"], account="beneficiary:fonds")
    client.force_login(world["finance2"])
    html = client.get(INDEX).content.decode()
    assert reverse("bank_accounts:approve", args=[mine.pk]) not in html
    assert reverse("bank_accounts:reject", args=[mine.pk]) in html


def test_finance_filters_by_status_and_kind_of_recipient(client, world):
    submit(world, world["alice"], account=canoes(world))
    submit(world, world["finance"], account=world["collector"].account, holder="DGFiP SGC")
    client.force_login(world["finance2"])

    pending_tax = client.get(INDEX, {"status": "pending", "kind": "tourist_tax"}).content.decode()
    approved = client.get(INDEX, {"status": "approved"}).content.decode()

    assert "Trésorerie de Arvière-le-Bourg" in pending_tax and "Canoës Alice" not in pending_tax
    assert "Trésorerie" not in approved and "Canoës Alice" not in approved


def test_the_list_runs_a_constant_number_of_queries(client, world, django_assert_max_num_queries):
    # One row of each kind of recipient: their names are read with one query per kind.
    submit(world, world["alice"], account=canoes(world))
    submit(world, world["finance"], account="beneficiary:fonds")
    submit(world, world["finance"], account=world["collector"].account)
    client.force_login(world["finance"])
    client.get(INDEX)  # warm the per-process caches (content types, site root paths)

    with django_assert_max_num_queries(20) as few:
        assert client.get(INDEX).status_code == 200
    submit(world, world["bob"], account=f"provider:{world['ferme'].pk}")
    for _ in range(5):
        submit(world, world["alice"], account=canoes(world), iban=IBAN_NEW)
        bank_account_approve(
            bank_account=BankAccount.objects.get(status="pending", account=canoes(world)),
            by=world["finance"],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(INDEX).status_code == 200


def test_approval_asks_for_confirmation_then_a_second_person_approves(client, world):
    row = submit(world, world["finance"], account="beneficiary:fonds")
    url = reverse("bank_accounts:approve", args=[row.pk])

    client.force_login(world["finance"])
    page = client.get(url)
    assert page.status_code == 200
    assert "FR76 3000 6000 0112 3456 7890 189" in page.content.decode()
    refused = client.post(url, follow=True)
    assert "une autre personne" in refused.content.decode()
    row.refresh_from_db()
    assert row.status == BankAccountStatus.PENDING

    client.force_login(world["finance2"])
    response = client.post(url)

    assert response.status_code == 302
    assert approved_bank_account(world["site"], "beneficiary:fonds") == row


def test_rejection_needs_a_reason(client, world):
    row = submit(world, world["alice"], account=canoes(world))
    url = reverse("bank_accounts:reject", args=[row.pk])
    client.force_login(world["finance"])

    without = client.post(url, {"reason": ""})
    assert without.status_code == 200
    row.refresh_from_db()
    assert row.status == BankAccountStatus.PENDING

    client.post(url, {"reason": "Le titulaire ne correspond pas"})
    row.refresh_from_db()
    assert (row.status, row.rejection_reason) == (
        BankAccountStatus.REJECTED,
        "Le titulaire ne correspond pas",
    )


def test_finance_submits_for_a_beneficiary_from_the_admin(client, world):
    client.force_login(world["finance"])
    form = client.get(reverse("bank_accounts:add")).content.decode()
    assert "Trésorerie de Arvière-le-Bourg" in form and "Fonds local" in form

    bad = client.post(
        reverse("bank_accounts:add"),
        {"account": "beneficiary:fonds", "holder_name": "Fonds", "iban": "FR76 0000"},
    )
    assert bad.status_code == 200 and not BankAccount.objects.exists()
    client.post(
        reverse("bank_accounts:add"),
        {"account": "beneficiary:fonds", "holder_name": "Fonds local", "iban": IBAN_OLD},
    )
    assert BankAccount.objects.get().submitted_by == world["finance"]


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_providers_and_editors_reach_none_of_finance_s_pages(client, world, editor, who):
    row = submit(world, world["finance"], account=canoes(world))
    for user in (world[who], editor):
        client.force_login(user)
        for url in (
            INDEX,
            reverse("bank_accounts:inspect", args=[row.pk]),
            reverse("bank_accounts:add"),
        ):
            assert client.get(url).status_code in (302, 403), url
        response = client.post(reverse("bank_accounts:approve", args=[row.pk]))
        assert response.status_code in (302, 403)
        row.refresh_from_db()
        assert row.status == BankAccountStatus.PENDING


def test_a_provider_member_sees_its_details_masked_and_submits_new_ones(client, world):
    old = submit(world, world["finance"], account=canoes(world))
    bank_account_approve(bank_account=old, by=world["finance2"])
    url = reverse("bank_details:provider", args=[world["canoes"].pk])
    client.force_login(world["alice"])

    page = client.get(url).content.decode()
    assert "FR76 **** … 0189" in page and IBAN_OLD not in page

    bad = client.post(url, {"holder_name": "Alice", "iban": "FR7630006000011234567890188"})
    assert "Les chiffres de contrôle de cet IBAN" in bad.content.decode()
    response = client.post(url, {"holder_name": "Canoës Alice", "iban": IBAN_NEW, "bic": ""})

    assert response.status_code == 302
    pending = BankAccount.objects.get(status=BankAccountStatus.PENDING)
    assert (pending.account, pending.submitted_by) == (canoes(world), world["alice"])
    assert approved_bank_account(world["site"], canoes(world)) == old
    assert "DE89 **** … 3000" in client.get(url).content.decode()


def test_a_provider_member_cannot_see_nor_change_another_provider_s_details(client, world):
    theirs = submit(world, world["finance"], account=f"provider:{world['ferme'].pk}")
    url = reverse("bank_details:provider", args=[world["ferme"].pk])
    client.force_login(world["alice"])

    assert client.get(url).status_code == 404
    assert client.post(url, {"holder_name": "Alice", "iban": IBAN_NEW}).status_code == 404
    assert list(BankAccount.objects.all()) == [theirs]
    index = client.get(reverse("bank_details:index")).content.decode()
    assert "Canoës Alice" in index and "Ferme Bob" not in index


def test_the_payout_account_page_links_to_the_bank_details(client, world):
    client.force_login(world["alice"])

    page = client.get(reverse("payout_account:index")).content.decode()

    assert reverse("bank_details:index") in page


def test_finance_reads_one_submission_in_full_and_its_history(client, world):
    row = submit(world, world["alice"], account=canoes(world))
    bank_account_approve(bank_account=row, by=world["finance"])
    client.force_login(world["finance2"])

    inspect = client.get(reverse("bank_accounts:inspect", args=[row.pk]))
    history = client.get(reverse("bank_accounts:history", args=[row.pk]))

    assert "FR76 3000 6000 0112 3456 7890 189" in inspect.content.decode()
    page = history.content.decode()
    assert history.status_code == 200
    assert "Coordonnées bancaires approuvées" in page and "Coordonnées bancaires soumises" in page


def test_another_territory_s_bank_details_are_a_404(client, world):
    from wagtail.models import Site

    other = Site.objects.create(
        hostname="autre.example.org", port=80, root_page=world["site"].root_page
    )
    row = BankAccount.objects.create(
        site=other,
        account="beneficiary:fonds",
        holder_name="Ailleurs",
        iban=IBAN_OLD,
        bic="AGRIFRPPXXX",
        submitted_at=timezone.now(),
    )
    client.force_login(world["finance"])

    for name in ("inspect", "history", "approve", "reject"):
        assert client.get(reverse(f"bank_accounts:{name}", args=[row.pk])).status_code == 404
    assert "Ailleurs" not in client.get(INDEX).content.decode()
