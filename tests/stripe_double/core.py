"""The stateful core of the Stripe double: storage, routing, idempotency, faults, events."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from . import checkout, handlers
from .forms import StripeError, decode_form, template

API_VERSION = "2025-01-27.acacia"

PREFIXES = {
    "acct_": "account",
    "cs_test_": "checkout.session",
    "pi_": "payment_intent",
    "ch_": "charge",
    "txn_": "balance_transaction",
    "tr_": "transfer",
    "trr_": "transfer_reversal",
    "re_": "refund",
    "evt_": "event",
    "py_": "destination_payment",
    "po_": "payout",
    "dp_": "dispute",
}

# (method, path regex, handler). Path parameters are passed positionally.
ROUTES = [
    ("POST", r"/v1/accounts", handlers.account_create),
    ("GET", r"/v1/accounts", handlers.list_of("account")),
    ("GET", r"/v1/accounts/(acct_\w+)", handlers.retrieve("account")),
    ("POST", r"/v1/accounts/(acct_\w+)", handlers.account_update),
    ("POST", r"/v1/account_links", handlers.account_link_create),
    ("POST", r"/v1/checkout/sessions", checkout.session_create),
    ("GET", r"/v1/checkout/sessions", handlers.list_of("checkout.session")),
    ("GET", r"/v1/checkout/sessions/(cs_test_\w+)", handlers.retrieve("checkout.session")),
    ("POST", r"/v1/checkout/sessions/(cs_test_\w+)/expire", checkout.session_expire),
    ("GET", r"/v1/checkout/sessions/(cs_test_\w+)/line_items", checkout.session_line_items),
    ("POST", r"/v1/payment_intents", handlers.payment_intent_create),
    ("GET", r"/v1/payment_intents", handlers.list_of("payment_intent")),
    ("GET", r"/v1/payment_intents/(pi_\w+)", handlers.retrieve("payment_intent")),
    ("GET", r"/v1/charges", handlers.list_of("charge")),
    ("GET", r"/v1/charges/(ch_\w+)", handlers.retrieve("charge")),
    ("GET", r"/v1/balance_transactions", handlers.list_of("balance_transaction")),
    ("GET", r"/v1/balance_transactions/(txn_\w+)", handlers.retrieve("balance_transaction")),
    ("GET", r"/v1/balance", handlers.balance_retrieve),
    ("POST", r"/v1/transfers", handlers.transfer_create),
    ("GET", r"/v1/transfers", handlers.list_of("transfer")),
    ("GET", r"/v1/transfers/(tr_\w+)", handlers.retrieve("transfer")),
    ("POST", r"/v1/transfers/(tr_\w+)", handlers.transfer_update),
    ("POST", r"/v1/transfers/(tr_\w+)/reversals", handlers.reversal_create),
    ("GET", r"/v1/transfers/(tr_\w+)/reversals", handlers.reversal_list),
    ("GET", r"/v1/transfers/(tr_\w+)/reversals/(trr_\w+)", handlers.reversal_retrieve),
    ("POST", r"/v1/refunds", handlers.refund_create),
    ("GET", r"/v1/refunds", handlers.list_of("refund")),
    ("GET", r"/v1/refunds/(re_\w+)", handlers.retrieve("refund")),
    ("GET", r"/v1/disputes", handlers.list_of("dispute")),
    ("GET", r"/v1/disputes/(dp_\w+)", handlers.retrieve("dispute")),
    ("GET", r"/v1/payouts", handlers.list_of("payout")),
    ("GET", r"/v1/payouts/(po_\w+)", handlers.retrieve("payout")),
    ("GET", r"/v1/events", handlers.list_of("event")),
    ("GET", r"/v1/events/(evt_\w+)", handlers.retrieve("event")),
]
_COMPILED = [(m, re.compile(p + r"/?"), h) for m, p, h in ROUTES]


@dataclass
class Response:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)
    timeout: bool = False

    @property
    def text(self) -> str:
        return json.dumps(self.body)


@dataclass
class Fault:
    """Injected failure for the next ``times`` requests whose path starts with ``path``."""

    path: str
    kind: str  # "500" | "timeout"
    times: int = 1
    method: str | None = None
    after_commit: bool = False  # execute the request, then lose the answer


class StripeDouble:
    """An in-memory Stripe account (the platform) and its connected accounts."""

    def __init__(self, *, base_url="http://127.0.0.1:12111", clock=None):
        self.base_url = base_url
        self.clock = clock or time.time
        self.lock = threading.RLock()
        self.objects: dict[str, dict[str, dict]] = {}
        self.balances: dict[str, dict[str, int]] = {}  # account id or "platform" -> cur -> cents
        self.events: list[dict] = []
        self.undelivered: list[dict] = []
        self.idempotency: dict[tuple, tuple[str, Response]] = {}
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str, dict]] = []
        self.reversal_needs_balance = True
        self.timeout_seconds = 2.0  # server mode: how long a "timeout" fault stalls

    # ----------------------------------------------------------------- helpers
    def now(self) -> int:
        return int(self.clock())

    def new_id(self, prefix: str) -> str:
        return prefix + secrets.token_hex(12)

    def store(self, resource: str, obj: dict) -> dict:
        self.objects.setdefault(resource, {})[obj["id"]] = obj
        return obj

    def new(self, resource: str, prefix: str, **fields) -> dict:
        obj = template(resource)
        obj.update(id=self.new_id(prefix), created=self.now())
        if "livemode" in obj:
            obj["livemode"] = False
        if "metadata" in obj:
            obj["metadata"] = {}
        obj.update(fields)
        return self.store(resource, obj)

    def get(self, resource: str, object_id: str, param="id") -> dict:
        obj = self.objects.get(resource, {}).get(object_id)
        if obj is None:
            name = resource.split(".")[-1].replace("_", " ")
            raise StripeError(
                f"No such {name}: '{object_id}'", status=404, code="resource_missing", param=param
            )
        return obj

    def all(self, resource: str) -> list[dict]:
        return list(self.objects.get(resource, {}).values())

    def lookup(self, object_id: str) -> dict | None:
        for prefix, resource in PREFIXES.items():
            if object_id.startswith(prefix):
                return self.objects.get(resource, {}).get(object_id)
        return None

    def credit(self, account: str | None, currency: str, amount: int) -> None:
        per = self.balances.setdefault(account or "platform", {})
        per[currency] = per.get(currency, 0) + amount

    def balance(self, account: str | None = None, currency: str = "eur") -> int:
        """Available balance (cents) of the platform (``None``) or a connected account."""
        return self.balances.get(account or "platform", {}).get(currency, 0)

    # ------------------------------------------------------------------ events
    def emit(self, type: str, obj: dict, *, account=None, previous=None, request=None) -> dict:
        event = template("event")
        event.update(
            id=self.new_id("evt_"),
            created=self.now(),
            api_version=API_VERSION,
            livemode=False,
            pending_webhooks=1,
            type=type,
            data={"object": copy.deepcopy(obj)},
            request={"id": (request or {}).get("id"), "idempotency_key": None},
        )
        if request:
            event["request"]["idempotency_key"] = request.get("idempotency_key")
        if previous is not None:
            event["data"]["previous_attributes"] = previous
        if account:
            event["account"] = account
        self.store("event", event)
        self.events.append(event)
        self.undelivered.append(event)
        return event

    def events_of(self, type: str) -> list[dict]:
        return [e for e in self.events if e["type"] == type]

    # ------------------------------------------------------------------ faults
    def fail_next(self, path: str, *, times=1, method=None, after_commit=False) -> None:
        """The next ``times`` requests to ``path`` (prefix) answer 500."""
        self.faults.append(Fault(path, "500", times, method, after_commit))

    def timeout_next(self, path: str, *, times=1, method=None, after_commit=False) -> None:
        """The next ``times`` requests to ``path`` (prefix) never answer (connection timeout)."""
        self.faults.append(Fault(path, "timeout", times, method, after_commit))

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if path.startswith(fault.path) and fault.method in (None, method):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> Response:
        if fault.kind == "timeout":
            return Response(0, {}, timeout=True)
        body = {"error": {"type": "api_error", "message": "An unknown error occurred (injected)."}}
        return Response(500, body, {"Stripe-Should-Retry": "true"})

    # ---------------------------------------------------------------- dispatch
    def handle(self, method: str, url: str, headers=None, body=None) -> Response:
        """Answer one API call. ``url`` may be absolute; GET parameters are in its query."""
        method = method.upper()
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        parts = urlsplit(url)
        path = parts.path
        params = decode_form(parts.query if method in ("GET", "DELETE") else body)
        request_id = "req_" + secrets.token_hex(7)
        with self.lock:
            self.requests.append((method, path, params))
            fault = self._take_fault(method, path)
            if fault and not fault.after_commit:
                return self._fault_response(fault)
            response = self._idempotent(method, path, params, headers, request_id)
            response.headers.setdefault("Request-Id", request_id)
            if fault:
                return self._fault_response(fault)
            return response

    def _idempotent(self, method, path, params, headers, request_id) -> Response:
        key = headers.get("idempotency-key")
        if method != "POST" or not key:
            return self._route(method, path, params, headers, request_id, None)
        scope = (headers.get("stripe-account"), key)
        fingerprint = hashlib.sha256(
            json.dumps([method, path, params], sort_keys=True).encode()
        ).hexdigest()
        if scope in self.idempotency:
            seen, response = self.idempotency[scope]
            if seen != fingerprint:
                return Response(
                    400,
                    StripeError(
                        "Keys for idempotent requests can only be used with the same parameters "
                        f"they were first used with. Try using a key other than '{key}' if you "
                        "meant to execute a different request.",
                        type="idempotency_error",
                    ).body,
                )
            replay = copy.deepcopy(response)
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        response = self._route(method, path, params, headers, request_id, key)
        if response.status != 400 or response.body["error"].get("code") != "parameter_unknown":
            self.idempotency[scope] = (fingerprint, copy.deepcopy(response))
        return response

    def _route(self, method, path, params, headers, request_id, key) -> Response:
        ctx = {"id": request_id, "idempotency_key": key, "account": headers.get("stripe-account")}
        for route_method, pattern, handler in _COMPILED:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                try:
                    expand = params.pop("expand", None) or []
                    result = handler(self, params, ctx, *match.groups())
                    result = self.expand(copy.deepcopy(result), expand)
                    return Response(200, result)
                except StripeError as error:
                    return Response(error.status, error.body)
        return Response(
            404,
            StripeError(
                f"Unrecognized request URL ({method}: {path}).",
                status=404,
                type="invalid_request_error",
            ).body,
        )

    def expand(self, obj: dict, paths) -> dict:
        if isinstance(paths, str):
            paths = [paths]
        for dotted in paths:
            self._expand_one(obj, dotted.split("."))
        return obj

    def _expand_one(self, obj, parts):
        if not parts or not isinstance(obj, dict):
            return
        head, rest = parts[0], parts[1:]
        if head == "data" and isinstance(obj.get("data"), list):
            for item in obj["data"]:
                self._expand_one(item, rest)
            return
        value = obj.get(head)
        if isinstance(value, str):
            found = self.lookup(value)
            if found is not None:
                value = {k: v for k, v in found.items() if not k.startswith("_")}
                obj[head] = value = copy.deepcopy(value)
        self._expand_one(value, rest)


# Simulation helpers (visitor pays, account onboarding, webhooks) live in other modules and are
# attached here so that tests only deal with one object.
from . import simulate, webhooks  # noqa: E402

for _name in simulate.__all__:
    setattr(StripeDouble, _name, getattr(simulate, _name))
for _name in webhooks.__all__:
    setattr(StripeDouble, _name, getattr(webhooks, _name))
