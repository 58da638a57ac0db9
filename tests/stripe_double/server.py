"""The double as a local HTTP server (``python -m tests.stripe_double --port 12111``).

Besides the API under ``/v1/``, two pages stand in for Stripe's hosted ones:
``/pay/<session id>`` (Checkout: pay or decline, then back to ``success_url``) and
``/onboarding/<account id>`` (Connect onboarding, then back to ``return_url``). After each,
the new events are delivered signed to the configured webhook URLs.
"""

from __future__ import annotations

import html
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .core import StripeDouble
from .forms import StripeError
from .simulate import DECLINED

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><main><h1>{title}</h1><p>{text}</p><form method="post">{buttons}</form></main></body></html>
"""


class Handler(BaseHTTPRequestHandler):
    server: DoubleServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: str, headers=None, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, url: str):
        self.send_response(303)
        self.send_header("Location", url)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _api(self, method: str):
        body = self._body() if method == "POST" else None
        response = self.server.double.handle(method, self.path, dict(self.headers), body)
        if response.timeout:
            time.sleep(self.server.double.timeout_seconds)
            self.close_connection = True
            return
        self._send(response.status, response.text, response.headers)

    def do_GET(self):  # noqa: N802
        path = urlsplit(self.path).path
        if path.startswith("/v1/"):
            return self._api("GET")
        if path.startswith("/pay/"):
            session = self.server.double.objects.get("checkout.session", {}).get(path[5:])
            if session is None:
                return self._send(404, "Unknown session", content_type="text/plain")
            if session["status"] == "complete":
                return self._redirect(_success_url(session))
            amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
            text = f"{session['id']}: {amount}"
            if session["status"] != "open":
                text += f" (this session is {session['status']}: it can no longer be paid)"
            elif "declined" in parse_qs(urlsplit(self.path).query):
                text += " (the card was declined: pay again, or cancel)"
            buttons = (
                '<button name="card" value="4242424242424242">Pay</button> '
                f'<button name="card" value="{DECLINED}">Pay with a declined card</button> '
                '<button name="card" value="cancel">Cancel</button>'
            )
            page = PAGE.format(
                title="Stripe double checkout",
                buttons=buttons if session["status"] == "open" else "",
                text=html.escape(text),
            )
            return self._send(200, page, content_type="text/html; charset=utf-8")
        if path.startswith("/onboarding/"):
            return self._onboard(path[len("/onboarding/") :])
        return self._send(404, "Not found", content_type="text/plain")

    def do_POST(self):  # noqa: N802
        path = urlsplit(self.path).path
        if path.startswith("/v1/"):
            return self._api("POST")
        if path.startswith("/pay/"):
            form = parse_qs(self._body().decode())
            card = form.get("card", ["4242424242424242"])[0]
            double = self.server.double
            session = double.objects.get("checkout.session", {}).get(path[5:])
            if session is None:
                return self._send(404, "Unknown session", content_type="text/plain")
            if card == "cancel":
                return self._redirect(session["cancel_url"])
            try:
                session = double.pay_checkout(session["id"], card=card)
            except StripeError as error:
                return self._send(400, str(error), content_type="text/plain")
            self.server.flush_webhooks()
            if session["status"] != "complete":
                return self._redirect(f"{path}?declined=1")
            return self._redirect(_success_url(session))
        return self._send(404, "Not found", content_type="text/plain")

    def do_DELETE(self):  # noqa: N802
        return self._api("DELETE")

    def _onboard(self, account_id: str):
        query = parse_qs(urlsplit(self.path).query)
        try:
            self.server.double.account_onboard(account_id)
        except StripeError as error:
            return self._send(404, str(error), content_type="text/plain")
        self.server.flush_webhooks()
        return_url = query.get("return_url", [""])[0]
        if return_url:
            return self._redirect(return_url)
        return self._send(200, "Onboarded.", content_type="text/plain")


def _success_url(session: dict) -> str:
    return session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])


class DoubleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, double=None, *, webhooks=None, verbose=False):
        super().__init__(address, Handler)
        host, port = self.server_address[:2]
        self.double = double or StripeDouble(base_url=f"http://{host}:{port}")
        self.double.base_url = f"http://{host}:{port}"
        self.webhooks = webhooks or {}  # {"platform": (url, secret), "connect": (url, secret)}
        self.verbose = verbose

    @property
    def url(self) -> str:
        return self.double.base_url

    def flush_webhooks(self):
        for kind, connect in (("platform", False), ("connect", True)):
            if kind in self.webhooks:
                url, secret = self.webhooks[kind]
                self.double.deliver(url, secret, connect=connect)


def serve_in_thread(port: int = 0, double=None, **kwargs) -> DoubleServer:
    """Start a server on 127.0.0.1 (``port=0``: a free port); ``server.shutdown()`` to stop."""
    server = DoubleServer(("127.0.0.1", port), double, **kwargs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
