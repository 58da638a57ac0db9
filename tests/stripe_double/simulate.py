"""What happens outside the API: the visitor pays, a provider onboards, a payout is made.

These functions become methods of ``StripeDouble``.
"""

from __future__ import annotations

import copy

from .forms import StripeError
from .handlers import _public, balance_transaction

__all__ = [
    "stripe_fee",
    "pay_checkout",
    "settle_async_payment",
    "account_onboard",
    "payout",
    "dispute_create",
    "dispute_close",
    "refund_fail",
]

EEA = {
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IS",
    "IT",
    "LI",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "NO",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
}

DECLINED = "4000000000000002"


def stripe_fee(self, amount: int, card_country: str = "FR") -> int:
    """Stripe's fee in cents: 1.5 % + 0,25 € for EEA cards, 3.25 % + 0,25 € otherwise."""
    rate = 0.015 if card_country.upper() in EEA else 0.0325
    return round(amount * rate) + 25


def _line_description(session) -> str | None:
    lines = session.get("_line_items") or []
    names = [((ln.get("price_data") or {}).get("product_data") or {}).get("name") for ln in lines]
    return ", ".join(n for n in names if n) or None


def pay_checkout(
    self,
    session_id: str,
    *,
    card: str = "4242424242424242",
    card_country: str = "FR",
    email: str = "visitor@example.com",
    async_payment: bool = False,
) -> dict:
    """The visitor pays an open Checkout Session.

    Success: a succeeded PaymentIntent, a charge with its balance transaction (Stripe's fee), the
    session ``complete``/``paid`` and ``checkout.session.completed`` emitted. ``card=DECLINED``:
    a failed charge, ``payment_intent.payment_failed`` emitted, the session stays open.
    ``async_payment=True``: the session completes ``unpaid``; call ``settle_async_payment``.
    Returns the session (public shape).
    """
    with self.lock:
        session = self.get("checkout.session", session_id)
        if session["status"] != "open":
            raise StripeError(f"Checkout Session {session_id} is {session['status']}.")
        data = session["_payment_intent_data"]
        amount, currency = session["amount_total"], session["currency"]
        intent = self.objects.get("payment_intent", {}).get(session["payment_intent"] or "")
        if intent is None:
            intent = self.new(
                "payment_intent",
                "pi_",
                amount=amount,
                currency=currency,
                metadata=dict(data.get("metadata") or {}),
                transfer_group=data.get("transfer_group"),
                description=_line_description(session),
                status="requires_payment_method",
                amount_received=0,
                amount_capturable=0,
                latest_charge=None,
                last_payment_error=None,
                canceled_at=None,
                cancellation_reason=None,
                receipt_email=email,
                payment_method=None,
            )
            intent["client_secret"] = intent["id"] + "_secret_test"
            session["payment_intent"] = intent["id"]
        charge = self.new(
            "charge",
            "ch_",
            amount=amount,
            amount_captured=0,
            amount_refunded=0,
            currency=currency,
            payment_intent=intent["id"],
            metadata=dict(intent["metadata"]),
            transfer_group=intent["transfer_group"],
            description=intent["description"],
            receipt_email=email,
            refunded=False,
            disputed=False,
            captured=False,
            paid=False,
            status="failed",
            balance_transaction=None,
            failure_code=None,
            failure_message=None,
            failure_balance_transaction=None,
            payment_method=self.new_id("pm_"),
        )
        charge["refunds"] = {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/charges/{charge['id']}/refunds",
        }
        details = charge.get("payment_method_details")
        if isinstance(details, dict) and isinstance(details.get("card"), dict):
            details["card"].update(country=card_country, last4=card[-4:])
        intent["latest_charge"] = charge["id"]
        intent["payment_method"] = charge["payment_method"]
        if card == DECLINED:
            charge.update(failure_code="card_declined", failure_message="Your card was declined.")
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
                "charge": charge["id"],
            }
            self.emit("charge.failed", charge)
            self.emit("payment_intent.payment_failed", intent)
            return _public(session)
        session["customer_details"] = {
            "email": email,
            "name": None,
            "phone": None,
            "address": None,
            "tax_exempt": "none",
            "tax_ids": [],
        }
        session["status"] = "complete"
        if async_payment:
            intent["status"] = "processing"
            charge["status"] = "pending"
            self.emit("checkout.session.completed", _public(session))
            return _public(session)
        _succeed(self, session, intent, charge, card_country)
        self.emit("checkout.session.completed", _public(session))
        return _public(session)


def _succeed(self, session, intent, charge, card_country):
    amount, currency = charge["amount"], charge["currency"]
    fee = self.stripe_fee(amount, card_country)
    txn = balance_transaction(
        self,
        amount=amount,
        currency=currency,
        type="charge",
        source=charge["id"],
        fee=fee,
        description=charge["description"],
    )
    charge.update(
        status="succeeded",
        paid=True,
        captured=True,
        amount_captured=amount,
        balance_transaction=txn["id"],
    )
    intent.update(status="succeeded", amount_received=amount, last_payment_error=None)
    session["payment_status"] = "paid"
    self.emit("payment_intent.succeeded", intent)
    self.emit("charge.succeeded", charge)


def settle_async_payment(self, session_id: str, *, succeeded: bool = True) -> dict:
    """Finish a delayed payment: ``checkout.session.async_payment_succeeded`` or ``_failed``."""
    with self.lock:
        session = self.get("checkout.session", session_id)
        intent = self.get("payment_intent", session["payment_intent"])
        charge = self.get("charge", intent["latest_charge"])
        if succeeded:
            _succeed(self, session, intent, charge, "FR")
            self.emit("checkout.session.async_payment_succeeded", _public(session))
        else:
            charge.update(status="failed", failure_code="payment_intent_payment_attempt_failed")
            intent["status"] = "requires_payment_method"
            self.emit("checkout.session.async_payment_failed", _public(session))
        return _public(session)


def account_onboard(self, account_id: str, *, payouts_enabled: bool = True) -> dict:
    """The provider finishes onboarding: capabilities active, ``account.updated`` (Connect)."""
    with self.lock:
        account = self.get("account", account_id)
        previous = {
            "charges_enabled": account["charges_enabled"],
            "payouts_enabled": account["payouts_enabled"],
            "details_submitted": account["details_submitted"],
        }
        account.update(
            charges_enabled=True, payouts_enabled=payouts_enabled, details_submitted=True
        )
        account["capabilities"] = {name: "active" for name in account["capabilities"]}
        if isinstance(account.get("requirements"), dict):
            account["requirements"]["currently_due"] = []
            account["requirements"]["disabled_reason"] = None
        self.emit("account.updated", account, account=account_id, previous=previous)
        return account


def payout(self, account_id: str, amount: int, currency: str = "eur", *, fail=False) -> dict:
    """Money leaves a connected account's balance for its bank (``payout.failed`` if ``fail``)."""
    with self.lock:
        self.get("account", account_id)
        obj = self.new(
            "payout",
            "po_",
            amount=amount,
            currency=currency,
            status="failed" if fail else "paid",
            failure_code="account_closed" if fail else None,
            failure_message="The bank account has been closed." if fail else None,
            arrival_date=self.now(),
        )
        obj["_account"] = account_id
        if fail:
            self.emit("payout.failed", _public(obj), account=account_id)
            return _public(obj)
        txn = balance_transaction(
            self,
            amount=-amount,
            currency=currency,
            type="payout",
            source=obj["id"],
            account=account_id,
        )
        obj["balance_transaction"] = txn["id"]
        self.emit("payout.paid", _public(obj), account=account_id)
        return _public(obj)


def dispute_create(
    self, charge_id: str, *, amount: int | None = None, reason: str = "fraudulent"
) -> dict:
    """The cardholder disputes a charge: funds withdrawn, ``charge.dispute.created`` emitted."""
    with self.lock:
        charge = self.get("charge", charge_id)
        amount = charge["amount"] if amount is None else amount
        dispute = self.new(
            "dispute",
            "dp_",
            amount=amount,
            currency=charge["currency"],
            charge=charge_id,
            payment_intent=charge["payment_intent"],
            reason=reason,
            status="needs_response",
        )
        txn = balance_transaction(
            self,
            amount=-amount,
            currency=charge["currency"],
            type="adjustment",
            source=dispute["id"],
            fee=1500,
            category="dispute",
        )
        dispute["balance_transactions"] = [copy.deepcopy(_public(txn))]
        charge["disputed"] = True
        self.emit("charge.dispute.created", dispute)
        return dispute


def dispute_close(self, dispute_id: str, *, won: bool) -> dict:
    """The dispute ends: ``won`` (funds back) or ``lost``; ``charge.dispute.closed`` emitted."""
    with self.lock:
        dispute = self.get("dispute", dispute_id)
        previous = {"status": dispute["status"]}
        dispute["status"] = "won" if won else "lost"
        if won:
            txn = balance_transaction(
                self,
                amount=dispute["amount"],
                currency=dispute["currency"],
                type="adjustment",
                source=dispute["id"],
                category="dispute_reversal",
            )
            dispute["balance_transactions"].append(copy.deepcopy(_public(txn)))
        self.emit("charge.dispute.closed", dispute, previous=previous)
        return dispute


def refund_fail(self, refund_id: str, reason: str = "expired_or_canceled_card") -> dict:
    """A refund fails after the fact: money back on the platform, ``refund.failed`` emitted."""
    with self.lock:
        refund = self.get("refund", refund_id)
        charge = self.get("charge", refund["charge"])
        refund.update(status="failed", failure_reason=reason)
        txn = balance_transaction(
            self,
            amount=refund["amount"],
            currency=refund["currency"],
            type="refund_failure",
            source=refund_id,
            category="refund_failure",
        )
        refund["failure_balance_transaction"] = txn["id"]
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = False
        self.emit("refund.failed", refund, previous={"status": "succeeded"})
        return refund
