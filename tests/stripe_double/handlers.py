"""Endpoint handlers of the Stripe double: ``handler(double, params, ctx, *path_ids) -> dict``."""

from __future__ import annotations

from urllib.parse import urlencode

from .forms import StripeError, check_params, integer, metadata, required, template


def retrieve(resource):
    def handler(double, params, ctx, object_id):
        check_params(params, set())
        obj = double.get(resource, object_id)
        if obj.get("_account", ctx.get("account")) != ctx.get("account"):
            raise StripeError(
                f"No such {resource}: '{object_id}'",
                status=404,
                code="resource_missing",
                param="id",
            )
        return _public(obj)

    return handler


LIST_FILTERS = {
    "transfer": {"destination", "transfer_group"},
    "charge": {"payment_intent", "transfer_group"},
    "balance_transaction": {"source", "type", "payout", "currency"},
    "refund": {"charge", "payment_intent"},
    "event": {"type"},
    "checkout.session": {"payment_intent", "status"},
    "payment_intent": set(),
    "account": set(),
    "dispute": {"charge", "payment_intent"},
    "payout": {"status"},
}


def page(double, items, params, url):
    limit = integer(params, "limit", default=10) or 10
    items = sorted(items, key=lambda o: o.get("created", 0), reverse=True)
    after = params.get("starting_after")
    if after:
        ids = [o["id"] for o in items]
        items = items[ids.index(after) + 1 :] if after in ids else []
    return {"object": "list", "data": items[:limit], "has_more": len(items) > limit, "url": url}


def list_of(resource):
    filters = LIST_FILTERS[resource]

    def handler(double, params, ctx):
        check_params(params, filters | {"limit", "starting_after", "ending_before", "created"})
        items = [
            _public(o) for o in double.all(resource) if o.get("_account") == ctx.get("account")
        ]
        for name in filters & set(params):
            items = [o for o in items if str(o.get(name)) == params[name]]
        path = {"checkout.session": "checkout/sessions"}.get(resource, resource + "s")
        return page(double, items, params, f"/v1/{path}")

    return handler


# --------------------------------------------------------------------------- accounts
ACCOUNT_PARAMS = {
    "controller",
    "country",
    "email",
    "type",
    "capabilities",
    "business_type",
    "business_profile",
    "metadata",
    "default_currency",
    "settings",
    "tos_acceptance",
    "individual",
    "company",
    "external_account",
}


DASHBOARD_TYPES = {"express": "express", "full": "standard", "none": "custom"}


def account_create(double, params, ctx):
    check_params(params, ACCOUNT_PARAMS)
    controller = params.get("controller") or {}
    if controller == "":
        controller = {}
    dashboard = (controller.get("stripe_dashboard") or {}).get("type", "express")
    if dashboard not in DASHBOARD_TYPES:
        raise StripeError(
            f"Invalid controller[stripe_dashboard][type]: {dashboard}",
            code="parameter_invalid_string",
            param="controller[stripe_dashboard][type]",
        )
    if params.get("type") and controller:
        raise StripeError(
            "You cannot specify both `type` and `controller`.",
            code="parameter_invalid_string",
            param="controller",
        )
    account = double.new(
        "account",
        "acct_",
        country=params.get("country", "FR"),
        email=params.get("email"),
        default_currency=params.get("default_currency", "eur"),
        metadata=metadata(params),
        charges_enabled=False,
        payouts_enabled=False,
        details_submitted=False,
        type=params.get("type") or DASHBOARD_TYPES[dashboard],
    )
    account["controller"] = {
        "type": "application",
        "is_controller": True,
        "fees": {"payer": (controller.get("fees") or {}).get("payer", "application")},
        "losses": {"payments": (controller.get("losses") or {}).get("payments", "application")},
        "requirement_collection": controller.get("requirement_collection", "stripe"),
        "stripe_dashboard": {"type": dashboard},
    }
    account["capabilities"] = {
        name: "inactive" for name in (params.get("capabilities") or {"transfers": {}})
    }
    account["external_accounts"] = {
        "object": "list",
        "data": [],
        "has_more": False,
        "url": f"/v1/accounts/{account['id']}/external_accounts",
    }
    if isinstance(account.get("requirements"), dict):
        account["requirements"]["currently_due"] = ["external_account", "tos_acceptance.date"]
        account["requirements"]["disabled_reason"] = "requirements.past_due"
    double.credit(account["id"], account["default_currency"], 0)
    return account


def account_update(double, params, ctx, account_id):
    check_params(params, ACCOUNT_PARAMS - {"controller", "type", "country"})
    account = double.get("account", account_id)
    previous = {}
    for name in ("email", "business_profile", "settings", "default_currency"):
        if name in params:
            previous[name] = account.get(name)
            account[name] = params[name]
    if "metadata" in params:
        previous["metadata"] = account["metadata"]
        account["metadata"] = metadata(params, account["metadata"])
    if previous:
        double.emit("account.updated", account, account=account_id, previous=previous, request=ctx)
    return account


def account_link_create(double, params, ctx):
    check_params(
        params, {"account", "refresh_url", "return_url", "type", "collect", "collection_options"}
    )
    account = double.get("account", required(params, "account"), param="account")
    required(params, "type")
    link = template("account_link")
    back = params.get("return_url", "")
    now = double.now()
    link.update(
        created=now,
        expires_at=now + 300,
        url=f"{double.base_url}/onboarding/{account['id']}?{urlencode({'return_url': back})}",
    )
    return link


def _public(obj):
    return {k: v for k, v in obj.items() if not k.startswith("_")}


# -------------------------------------------------------------------- payment intents
def payment_intent_create(double, params, ctx):
    check_params(
        params,
        {
            "amount",
            "currency",
            "metadata",
            "transfer_group",
            "description",
            "payment_method_types",
            "receipt_email",
            "automatic_payment_methods",
        },
    )
    intent = double.new(
        "payment_intent",
        "pi_",
        amount=integer(params, "amount", required=True),
        currency=required(params, "currency"),
        metadata=metadata(params),
        transfer_group=params.get("transfer_group"),
        description=params.get("description"),
        status="requires_payment_method",
        amount_received=0,
        amount_capturable=0,
        latest_charge=None,
        last_payment_error=None,
        canceled_at=None,
        cancellation_reason=None,
        payment_method=None,
    )
    intent["client_secret"] = intent["id"] + "_secret_" + double.new_id("")[:10]
    return intent


# -------------------------------------------------------------------------- balance
def balance_retrieve(double, params, ctx):
    check_params(params, set())
    balance = template("balance")
    amounts = double.balances.get(ctx.get("account") or "platform", {}) or {"eur": 0}
    balance["available"] = [
        {"amount": a, "currency": c, "source_types": {"card": a}} for c, a in amounts.items()
    ]
    balance["pending"] = [
        {"amount": 0, "currency": c, "source_types": {"card": 0}} for c in amounts
    ]
    balance["connect_reserved"] = [{"amount": 0, "currency": c} for c in amounts]
    return balance


def balance_transaction(
    double, *, amount, currency, type, source, fee=0, description=None, account=None, category=None
):
    txn = double.new(
        "balance_transaction",
        "txn_",
        amount=amount,
        currency=currency,
        type=type,
        source=source,
        fee=fee,
        net=amount - fee,
        description=description,
        status="available",
        reporting_category=category or type,
        exchange_rate=None,
        fee_details=[
            {
                "amount": fee,
                "application": None,
                "currency": currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ]
        if fee
        else [],
    )
    txn["available_on"] = txn["created"]
    if account:
        txn["_account"] = account
    double.credit(account, currency, amount - fee)
    return txn


# ------------------------------------------------------------------------- transfers
TRANSFER_PARAMS = {
    "amount",
    "currency",
    "destination",
    "source_transaction",
    "transfer_group",
    "metadata",
    "description",
    "source_type",
}


def charge_remaining(double, charge) -> int:
    transferred = sum(
        t["amount"] - t["amount_reversed"]
        for t in double.all("transfer")
        if t["source_transaction"] == charge["id"]
    )
    return charge["amount"] - charge["amount_refunded"] - transferred


def transfer_create(double, params, ctx):
    check_params(params, TRANSFER_PARAMS)
    amount = integer(params, "amount", required=True)
    currency = required(params, "currency")
    destination = double.get("account", required(params, "destination"), param="destination")
    if destination["capabilities"].get("transfers") != "active":
        raise StripeError(
            "Your destination account needs to have at least one of the following "
            "capabilities enabled: transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
            param="destination",
        )
    source = params.get("source_transaction")
    if source:
        charge = double.get("charge", source, param="source_transaction")
        if charge["status"] != "succeeded":
            raise StripeError(
                "The source transaction has not succeeded.", param="source_transaction"
            )
        if charge["currency"] != currency:
            raise StripeError(
                f"The currency of source_transaction's balance transaction "
                f"({charge['currency']}) must be the same as the transfer currency ({currency})",
                param="currency",
            )
        remaining = charge_remaining(double, charge)
        if amount > remaining:
            raise StripeError(
                f"Transfer amount ({amount}) exceeds the remaining amount of source transaction "
                f"{source} ({remaining}).",
                code="amount_too_large",
                param="amount",
            )
    elif double.balance(None, currency) < amount:
        raise StripeError(
            "You have insufficient available funds in your Stripe account.",
            code="balance_insufficient",
            param="amount",
        )
    transfer = double.new(
        "transfer",
        "tr_",
        amount=amount,
        currency=currency,
        destination=destination["id"],
        source_transaction=source,
        transfer_group=params.get("transfer_group"),
        metadata=metadata(params),
        description=params.get("description"),
        amount_reversed=0,
        reversed=False,
        destination_payment=double.new_id("py_"),
    )
    transfer["reversals"] = {
        "object": "list",
        "data": [],
        "has_more": False,
        "total_count": 0,
        "url": f"/v1/transfers/{transfer['id']}/reversals",
    }
    txn = balance_transaction(
        double, amount=-amount, currency=currency, type="transfer", source=transfer["id"]
    )
    transfer["balance_transaction"] = txn["id"]
    balance_transaction(
        double,
        amount=amount,
        currency=currency,
        type="payment",
        source=transfer["destination_payment"],
        account=destination["id"],
    )
    double.emit("transfer.created", transfer, request=ctx)
    return transfer


def transfer_update(double, params, ctx, transfer_id):
    check_params(params, {"metadata", "description"})
    transfer = double.get("transfer", transfer_id)
    transfer["metadata"] = metadata(params, transfer["metadata"])
    if "description" in params:
        transfer["description"] = params["description"]
    return transfer


def reversal_create(double, params, ctx, transfer_id):
    check_params(params, {"amount", "metadata", "description", "refund_application_fee"})
    transfer = double.get("transfer", transfer_id)
    left = transfer["amount"] - transfer["amount_reversed"]
    amount = integer(params, "amount", default=left)
    if amount > left or left == 0:
        raise StripeError(
            f"You have attempted to reverse {amount} cents, but the transfer only has {left} "
            "cents left to reverse.",
            code="amount_too_large",
            param="amount",
        )
    account, currency = transfer["destination"], transfer["currency"]
    if double.reversal_needs_balance and double.balance(account, currency) < amount:
        raise StripeError(
            "Insufficient funds in the connected account to reverse this transfer.",
            code="balance_insufficient",
            param="amount",
        )
    reversal = double.new(
        "transfer_reversal",
        "trr_",
        amount=amount,
        currency=currency,
        transfer=transfer_id,
        metadata=metadata(params),
        destination_payment_refund=double.new_id("pyr_"),
        source_refund=None,
    )
    txn = balance_transaction(
        double,
        amount=amount,
        currency=currency,
        type="transfer_refund",
        source=reversal["id"],
        category="transfer_reversal",
    )
    reversal["balance_transaction"] = txn["id"]
    balance_transaction(
        double,
        amount=-amount,
        currency=currency,
        type="payment_refund",
        source=reversal["destination_payment_refund"],
        account=account,
    )
    transfer["amount_reversed"] += amount
    transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
    transfer["reversals"]["data"].insert(0, reversal)
    transfer["reversals"]["total_count"] = len(transfer["reversals"]["data"])
    double.emit("transfer.reversed", transfer, request=ctx)
    return reversal


def reversal_list(double, params, ctx, transfer_id):
    check_params(params, {"limit", "starting_after", "ending_before"})
    transfer = double.get("transfer", transfer_id)
    return page(
        double, transfer["reversals"]["data"], params, f"/v1/transfers/{transfer_id}/reversals"
    )


def reversal_retrieve(double, params, ctx, transfer_id, reversal_id):
    check_params(params, set())
    reversal = double.get("transfer_reversal", reversal_id)
    if reversal["transfer"] != transfer_id:
        raise StripeError(
            f"No such transfer reversal: '{reversal_id}'",
            status=404,
            code="resource_missing",
            param="id",
        )
    return reversal


# --------------------------------------------------------------------------- refunds
def refund_create(double, params, ctx):
    check_params(
        params,
        {
            "charge",
            "payment_intent",
            "amount",
            "reason",
            "metadata",
            "reverse_transfer",
            "refund_application_fee",
            "instructions_email",
        },
    )
    if params.get("charge"):
        charge = double.get("charge", params["charge"], param="charge")
    elif params.get("payment_intent"):
        intent = double.get("payment_intent", params["payment_intent"], param="payment_intent")
        if not intent.get("latest_charge"):
            raise StripeError(
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                param="payment_intent",
            )
        charge = double.get("charge", intent["latest_charge"])
    else:
        raise StripeError(
            "One of the following params should be provided for this request: "
            "payment_intent or charge.",
            code="parameter_missing",
        )
    left = charge["amount"] - charge["amount_refunded"]
    if left == 0:
        raise StripeError(
            f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    amount = integer(params, "amount", default=left)
    if amount > left or amount == 0:
        raise StripeError(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
            code="amount_too_large",
            param="amount",
        )
    reason = params.get("reason")
    if reason not in (None, "duplicate", "fraudulent", "requested_by_customer"):
        raise StripeError(
            f"Invalid reason: {reason}", code="parameter_invalid_string", param="reason"
        )
    refund = double.new(
        "refund",
        "re_",
        amount=amount,
        currency=charge["currency"],
        charge=charge["id"],
        payment_intent=charge["payment_intent"],
        reason=reason,
        status="succeeded",
        metadata=metadata(params),
        source_transfer_reversal=None,
        transfer_reversal=None,
    )
    txn = balance_transaction(
        double, amount=-amount, currency=charge["currency"], type="refund", source=refund["id"]
    )
    refund["balance_transaction"] = txn["id"]
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    charge["refunds"]["data"].insert(0, refund)
    charge["refunds"]["total_count"] = len(charge["refunds"]["data"])
    double.emit("refund.created", refund, request=ctx)
    double.emit(
        "charge.refunded",
        charge,
        request=ctx,
        previous={"amount_refunded": charge["amount_refunded"] - amount},
    )
    return refund
