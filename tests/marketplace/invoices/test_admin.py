"""The invoices in the admin, through their real URLs, with each role: a provider's
member sees and downloads its own only; finance sees all, filters, re-sends, exports."""

import csv
import io
import zipfile

import pytest
from django.core import mail
from django.urls import reverse

from marketplace.invoices.models import InvoiceDelivery, InvoiceFile
from tests.marketplace.invoices.issued import issue

pytestmark = pytest.mark.django_db
INDEX = "/admin/invoices/"


@pytest.fixture
def invoices(docs_world):
    canoes = issue(docs_world["canoes"], number="FA-2027-000001", commissions=(600, 1200))
    ferme = issue(docs_world["ferme"], number="FA-2027-000002", commissions=(2400,))
    note = issue(docs_world["canoes"], number="AV-2027-000001", month=4, corrects=canoes)
    april = issue(docs_world["canoes"], number="FA-2027-000003", month=4, commissions=(300,))
    return {"canoes": canoes, "ferme": ferme, "note": note, "april": april}


def test_anonymous_is_sent_to_the_login_page(client, invoices):
    for url in (INDEX, reverse("invoices:pdf", args=[invoices["canoes"].pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert "login/?next=" in response["Location"]


def test_a_provider_member_lists_only_its_own(client, docs_world, invoices):
    client.force_login(docs_world["alice"])

    html = client.get(INDEX).content.decode()

    assert "FA-2027-000001" in html and "AV-2027-000001" in html and "FA-2027-000003" in html
    assert "FA-2027-000002" not in html  # Ferme Bob's
    assert reverse("invoices:export") not in html
    assert "/admin/invoices/" in client.get("/admin/").content.decode()  # the menu item


def test_another_providers_invoice_is_a_404(client, docs_world, invoices):
    client.force_login(docs_world["alice"])
    theirs = invoices["ferme"].pk
    for name in ("detail", "pdf", "xml"):
        assert client.get(reverse(f"invoices:{name}", args=[theirs])).status_code == 404
    # Nor can a member re-send or export, even its own.
    mine = invoices["canoes"].pk
    # (Wagtail's admin answers a refusal by a redirect to its home, with a message.)
    assert client.post(reverse("invoices:resend", args=[mine]))["Location"] == "/admin/"
    assert client.get(reverse("invoices:export"))["Location"] == "/admin/"
    assert not mail.outbox
    # Someone who is neither a member nor finance has no invoices page.
    client.force_login(docs_world["finance"].__class__.objects.create_user("x", "x@example.org"))
    assert client.get(INDEX).status_code == 302


def test_the_detail_and_the_downloads_are_the_stored_files(client, docs_world, invoices):
    client.force_login(docs_world["alice"])
    invoice = invoices["canoes"]

    html = client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    pdf = client.get(reverse("invoices:pdf", args=[invoice.pk]))
    xml = client.get(reverse("invoices:xml", args=[invoice.pk]))

    assert "FA-2027-000001" in html and "Facture" in html and "18,00" in html
    assert "AV-2027-000001" in html  # the credit note that corrects it
    assert reverse("invoices:resend", args=[invoice.pk]) not in html
    stored = InvoiceFile.objects.get(invoice=invoice)
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="facture-FA-2027-000001.pdf"'
    assert pdf.content == bytes(stored.pdf)
    assert xml["Content-Type"] == "application/xml" and xml.content == bytes(stored.xml)
    # Downloaded again: the same bytes, not a new rendering.
    assert client.get(reverse("invoices:pdf", args=[invoice.pk])).content == pdf.content
    assert InvoiceFile.objects.count() == 1


def test_finance_sees_all_and_filters(client, docs_world, invoices):
    client.force_login(docs_world["finance"])

    everything = client.get(INDEX).content.decode()
    ferme = client.get(INDEX, {"provider": docs_world["ferme"].pk}).content.decode()
    notes = client.get(INDEX, {"kind": "credit_note"}).content.decode()
    april = client.get(INDEX, {"since": "2027-04-01", "until": "2027-04-30"}).content.decode()

    for number in ("FA-2027-000001", "FA-2027-000002", "AV-2027-000001", "FA-2027-000003"):
        assert number in everything
    assert "FA-2027-000002" in ferme and "FA-2027-000001" not in ferme
    assert "AV-2027-000001" in notes and "FA-2027-000001</a>" not in notes
    assert "FA-2027-000003" in april and "AV-2027-000001" in april
    assert "FA-2027-000002" not in april


def test_finance_resends_one_by_email_after_confirming(client, docs_world, invoices):
    client.force_login(docs_world["finance"])
    invoice = invoices["ferme"]
    url = reverse("invoices:resend", args=[invoice.pk])

    confirm = client.get(url).content.decode()
    assert "ferme@example.org" in confirm and "csrfmiddlewaretoken" in confirm
    assert not mail.outbox

    response = client.post(url, follow=True)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ferme@example.org"]
    assert message.attachments[0][0] == "facture-FA-2027-000002.pdf"
    assert message.attachments[0][1] == bytes(InvoiceFile.objects.get(invoice=invoice).pdf)
    html = response.content.decode()
    assert "FA-2027-000002 a de nouveau été envoyée à ferme@example.org" in html
    delivery = InvoiceDelivery.objects.get()
    assert (delivery.reason, delivery.sent_by) == ("resent", docs_world["finance"])


def test_resending_needs_a_post_with_csrf(docs_world, invoices):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(docs_world["finance"])
    response = client.post(reverse("invoices:resend", args=[invoices["ferme"].pk]))
    assert response.status_code == 403
    assert not mail.outbox


def test_finance_exports_a_period_as_a_zip(client, docs_world, invoices):
    client.force_login(docs_world["finance"])

    response = client.get(
        reverse("invoices:export"), {"since": "2027-03-01", "until": "2027-03-31"}
    )

    assert response["Content-Type"] == "application/zip"
    assert "factures-2027-03-01-2027-03-31.zip" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == [
        "facture-FA-2027-000001.pdf",
        "facture-FA-2027-000001.xml",
        "facture-FA-2027-000002.pdf",
        "facture-FA-2027-000002.xml",
        "index.csv",
    ]
    stored = InvoiceFile.objects.get(invoice=invoices["canoes"])
    assert archive.read("facture-FA-2027-000001.pdf") == bytes(stored.pdf)
    rows = list(
        csv.reader(io.StringIO(archive.read("index.csv").decode("utf-8-sig")), delimiter=";")
    )
    assert len(rows) == 3
    assert rows[1][0] == "FA-2027-000001" and rows[1][9] == "18,00"
    assert rows[2][0] == "FA-2027-000002" and rows[2][9] == "24,00"


def test_the_provider_dashboard_links_its_last_invoice(client, docs_world, invoices):
    client.force_login(docs_world["alice"])

    html = client.get("/admin/").content.decode()

    # Canoës' latest: April's invoice, issued after the credit note of the same day.
    assert reverse("invoices:detail", args=[invoices["april"].pk]) in html
    assert reverse("invoices:detail", args=[invoices["note"].pk]) not in html
    assert "data-last-invoice" in html
    assert reverse("invoices:detail", args=[invoices["ferme"].pk]) not in html
    assert reverse("invoices:index") in html


def test_the_list_runs_a_fixed_number_of_queries(client, docs_world, invoices):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(docs_world["finance"])

    def measured() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(INDEX).status_code == 200
        return len(queries)

    before = measured()
    for month in (5, 6, 7):
        issue(docs_world["ferme"], number=f"FA-2027-00001{month}", month=month)
    assert measured() == before


def test_finance_is_warned_of_an_invoice_that_breaks_en16931(client, docs_world):
    from tests.marketplace.invoices.issued import SELLER

    sound = issue(docs_world["canoes"], number="FA-2027-000001")
    anonymous = issue(
        docs_world["canoes"], number="FA-2027-000002", month=4, seller={**SELLER, "vat_number": ""}
    )
    client.force_login(docs_world["finance"])

    warned = client.get(reverse("invoices:detail", args=[anonymous.pk])).content.decode()
    fine = client.get(reverse("invoices:detail", args=[sound.pk])).content.decode()

    assert "enfreint des règles de la norme EN 16931" in warned
    assert "BR-S-02/BR-E-02: the seller has no VAT number" in warned
    assert "EN 16931 ;" not in fine
    # Not the provider's business: its member sees no such warning.
    client.force_login(docs_world["alice"])
    html = client.get(reverse("invoices:detail", args=[anonymous.pk])).content.decode()
    assert "enfreint" not in html
