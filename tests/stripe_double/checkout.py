"""Checkout Session endpoints of the Stripe double."""

from __future__ import annotations

from .forms import StripeError, check_params, integer, metadata, required, template
from .handlers import _public, page

SESSION_PARAMS = {
    "mode",
    "line_items",
    "success_url",
    "cancel_url",
    "metadata",
    "payment_intent_data",
    "client_reference_id",
    "customer_email",
    "locale",
    "expires_at",
    "payment_method_types",
    "currency",
    "submit_type",
    "billing_address_collection",
    "ui_mode",
    "return_url",
    "customer",
    "allow_promotion_codes",
    "consent_collection",
    "custom_text",
}


def session_create(double, params, ctx):
    check_params(params, SESSION_PARAMS)
    if required(params, "mode") != "payment":
        raise StripeError("The double only supports mode=payment.", param="mode")
    lines = params.get("line_items") or []
    if not lines:
        raise StripeError(
            "Missing required param: line_items.", code="parameter_missing", param="line_items"
        )
    total, currency = 0, params.get("currency")
    for i, line in enumerate(lines):
        data = line.get("price_data") or {}
        quantity = integer(line, "quantity", default=1)
        unit = integer(data, "unit_amount", required=True)
        if not data.get("currency"):
            raise StripeError(
                "Missing currency",
                code="parameter_missing",
                param=f"line_items[{i}][price_data][currency]",
            )
        currency = data["currency"]
        total += unit * quantity
    now = double.now()
    session = double.new(
        "checkout.session",
        "cs_test_",
        amount_subtotal=total,
        amount_total=total,
        currency=currency,
        cancel_url=params.get("cancel_url"),
        success_url=params.get("success_url"),
        client_reference_id=params.get("client_reference_id"),
        customer_email=params.get("customer_email"),
        customer_details=None,
        locale=params.get("locale"),
        mode="payment",
        metadata=metadata(params),
        payment_intent=None,
        payment_status="unpaid",
        status="open",
        expires_at=integer(params, "expires_at", default=now + 24 * 3600),
        payment_method_types=params.get("payment_method_types") or ["card"],
        client_secret=None,
        ui_mode="hosted",
    )
    session["url"] = f"{double.base_url}/pay/{session['id']}"
    session["total_details"] = {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
    session["_line_items"] = lines
    session["_payment_intent_data"] = params.get("payment_intent_data") or {}
    return _public(session)


def session_expire(double, params, ctx, session_id):
    check_params(params, set())
    session = double.get("checkout.session", session_id)
    if session["status"] != "open":
        raise StripeError(
            'Only Checkout Sessions with a status in ["open"] can be expired.', param="session"
        )
    session["status"] = "expired"
    double.emit("checkout.session.expired", _public(session), request=ctx)
    return _public(session)


def session_line_items(double, params, ctx, session_id):
    check_params(params, {"limit", "starting_after", "ending_before"})
    session = double.get("checkout.session", session_id)
    items = []
    for i, line in enumerate(session["_line_items"]):
        data = line.get("price_data") or {}
        quantity = int(line.get("quantity", 1))
        item = template("item")
        total = int(data["unit_amount"]) * quantity
        item.update(
            id=f"li_{session_id[-12:]}{i}",
            amount_discount=0,
            amount_subtotal=total,
            amount_tax=0,
            amount_total=total,
            currency=data["currency"],
            description=(data.get("product_data") or {}).get("name"),
            quantity=quantity,
        )
        item["price"].update(
            id=f"price_{session_id[-12:]}{i}",
            currency=data["currency"],
            unit_amount=int(data["unit_amount"]),
            unit_amount_decimal=str(data["unit_amount"]),
            type="one_time",
            recurring=None,
            metadata={},
        )
        items.append(item)
    result = page(double, [], params, f"/v1/checkout/sessions/{session_id}/line_items")
    result["data"], result["has_more"] = items, False
    return result
