"""A payout run's pain.001 file, checked against the XSD sepaxml ships (loaded here with
xmlschema, not only through the library's own flag), and the ``payout_run`` command."""

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.core.management import CommandError, call_command
from django.utils import timezone

from marketplace.books.models import LedgerTransaction
from marketplace.payouts.models import PayoutRun, PayoutSettings
from marketplace.payouts.runs import payout_run_cancel, payout_run_prepare
from marketplace.payouts.sepa import SepaRefused, run_pain001
from tests.marketplace.payouts.runs_helpers import days_pass, runs_world_replay

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


@pytest.fixture
def runs(territory, category):
    return runs_world_replay(territory, category)


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(str(XSD))


def parsed(xml: bytes, schema):
    schema.validate(xml.decode())
    return ET.fromstring(xml)  # noqa: S314 (our own file, just made)


def cents(text: str) -> int:
    return int(Decimal(text) * 100)


def test_the_file_validates_and_its_sums_are_the_run_s(runs, schema):
    days_pass(runs["stay"])
    run = payout_run_prepare(site=runs["site"], until=timezone.localdate())
    assert run.skips.filter(reason="no_bank_details").exists()  # skipped, the others paid

    root = parsed(run_pain001(run), schema)

    lines = list(run.lines.all())
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header.findtext("p:MsgId", namespaces=NS) == run.reference
    assert int(header.findtext("p:NbOfTxs", namespaces=NS)) == len(lines) == 3
    assert cents(header.findtext("p:CtrlSum", namespaces=NS)) == sum(x.amount for x in lines)
    batch = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert batch.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS) == run.debtor_iban
    assert batch.findtext("p:DbtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == run.debtor_bic
    transfers = batch.findall("p:CdtTrfTxInf", NS)
    by_iban = {
        t.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS): (
            cents(t.findtext("p:Amt/p:InstdAmt", namespaces=NS)),
            t.findtext("p:PmtId/p:EndToEndId", namespaces=NS),
            t.findtext("p:RmtInf/p:Ustrd", namespaces=NS),
        )
        for t in transfers
    }
    for line in lines:
        amount, end_to_end, remittance = by_iban[line.iban]
        assert amount == line.amount
        assert end_to_end.startswith(run.reference)
        assert run.reference in remittance
    canoes = run.lines.get(account=f"provider:{runs['canoes'].pk}")
    assert by_iban[canoes.iban][2] == f"{run.reference} Canoes Alice"  # SEPA's characters


def test_a_cancelled_run_has_no_file(runs):
    run = payout_run_prepare(site=runs["site"], until=timezone.localdate())
    payout_run_cancel(run=run, by=runs["finance"])
    with pytest.raises(SepaRefused):
        run_pain001(run)


# --- The command ---------------------------------------------------------------------------


def command(*args) -> dict:
    out, err = io.StringIO(), io.StringIO()
    call_command("payout_run", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue())


def test_dry_run_prints_the_plan_and_writes_nothing(runs):
    transactions = LedgerTransaction.objects.count()

    data = command("--dry-run")

    assert data["reference"] is None
    canoes = f"provider:{runs['canoes'].pk}"
    assert {"recipient": canoes, "name": "Canoës Alice"}.items() <= next(
        p for p in data["payouts"] if p["recipient"] == canoes
    ).items()
    for payout in data["payouts"]:
        assert set(payout) == {"recipient", "name", "amount", "iban"}
        assert isinstance(payout["amount"], int) and payout["amount"] > 0
    assert {
        "recipient": "beneficiary:ot",
        "name": "Office de tourisme",
        "reason": "no_bank_details",
    } in data["skipped"]
    assert LedgerTransaction.objects.count() == transactions
    assert not PayoutRun.objects.exists()


def test_the_command_prepares_the_run_and_writes_a_valid_file(runs, schema, tmp_path):
    target = tmp_path / "virements.xml"

    data = command("--until", timezone.localdate().isoformat(), "--sepa", str(target))

    run = PayoutRun.objects.get()
    assert data["reference"] == run.reference
    assert sorted((p["recipient"], p["amount"], p["iban"]) for p in data["payouts"]) == sorted(
        run.lines.values_list("account", "amount", "iban")
    )
    root = parsed(target.read_bytes(), schema)
    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert cents(header.findtext("p:CtrlSum", namespaces=NS)) == sum(
        p["amount"] for p in data["payouts"]
    )
    # Nothing left: no second run, the same JSON shape.
    again = command()
    assert again["reference"] is None and again["payouts"] == []
    assert PayoutRun.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--until", "05/12/2026"), "YYYY-MM-DD"),
        (("--until", "2026-02-30"), "YYYY-MM-DD"),
        (("--site", "nowhere.example"), "nowhere.example"),
        (("--dry-run", "--sepa", "x.xml"), "--dry-run"),
    ],
)
def test_bad_input_is_a_clear_command_error(runs, args, message):
    with pytest.raises(CommandError, match=message):
        command(*args)
    assert not PayoutRun.objects.exists()


def test_a_future_day_or_no_debtor_account_is_a_command_error(runs):
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    with pytest.raises(CommandError, match="future"):
        command("--until", future)
    settings = PayoutSettings.for_site(runs["site"])
    settings.debtor_name = ""
    settings.save()
    with pytest.raises(CommandError, match="IBAN"):
        command()
    with pytest.raises(CommandError, match="IBAN"):
        command("--dry-run")
    assert not PayoutRun.objects.exists()
