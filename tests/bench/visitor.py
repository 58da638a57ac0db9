"""A visitor of the booking benchmark: a signed-in browser reduced to cookies, forms and
redirects, talking to the server over HTTP (or, for tests and query counts, through
Django's test client in the same process).

One booking is four requests, as in a browser: add to the cart, read the cart for the
checkout form, check out, pay on the dev gateway's test page.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from tests.bench.common import http_request


@dataclass(frozen=True)
class Choice:
    """One bookable thing: the offer and the form fields of its "add to cart" post."""

    offer_id: int
    params: dict


@dataclass
class Paths:
    """The storefront's URLs (French, the default language), built with ``reverse``."""

    cart: str
    checkout: str
    cart_add: str  # with {offer_id}
    pay: str  # with {reference}
    order_prefix: str
    remove_prefix: str

    @classmethod
    def build(cls) -> Paths:
        from django.urls import reverse
        from django.utils import translation

        with translation.override("fr"):
            return cls(
                cart=reverse("cart"),
                checkout=reverse("checkout"),
                cart_add=reverse("cart_add", args=[999_999]).replace("999999", "{offer_id}"),
                pay=reverse("dev_pay", args=["REF"]).replace("REF", "{reference}"),
                order_prefix=reverse("order_detail", args=["REF"]).replace("REF/", ""),
                remove_prefix=reverse("cart_remove", args=[1]).replace("1/", ""),
            )


CHECKOUT_KEY_RE = re.compile(r'name="checkout_key" value="([0-9a-f-]{36})"')


def http_transport(port: int):
    def send(method: str, path: str, body: bytes | None, headers: dict):
        return http_request(port, method, path, body=body, headers=headers)

    return send


def django_transport(client):
    """The same conversation through Django's test ``client``, in this process: no socket
    (to count a step's queries, and for the fast tests)."""

    def send(method: str, path: str, body: bytes | None, headers: dict):
        client.cookies = SimpleCookie(headers.get("Cookie", ""))
        extra = {"HTTP_X_CSRFTOKEN": headers.get("X-CSRFToken", ""), "HTTP_ACCEPT_LANGUAGE": "fr"}
        if method == "POST":
            response = client.post(
                path, data=body or b"", content_type=headers["Content-Type"], **extra
            )
        else:
            response = client.get(path, **extra)
        answer = [("Set-Cookie", morsel.OutputString()) for morsel in response.cookies.values()]
        if response.has_header("Location"):
            answer.append(("Location", response["Location"]))
        return response.status_code, answer, response.content

    return send


@dataclass
class Attempt:
    """One visitor's try: how far it went and how long each step took (seconds)."""

    stage: str = "add"  # add → cart → checkout → pay → done
    reference: str = ""
    steps: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def booked(self) -> bool:
        return self.stage == "done"

    @property
    def seconds(self) -> float:
        return sum(self.steps.values())


class Visitor:
    """A signed-in visitor's browser, reduced to cookies, forms and redirects."""

    def __init__(self, *, send, paths: Paths, session_key: str, csrf_secret: str):
        from django.conf import settings

        self.send = send
        self.paths = paths
        self.csrf = csrf_secret
        self.cookies = {
            settings.SESSION_COOKIE_NAME: session_key,
            settings.CSRF_COOKIE_NAME: csrf_secret,
        }

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
            "X-CSRFToken": self.csrf,
        }
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, response_headers, content = self.send(method, path, body, headers)
        location = ""
        for name, value in response_headers:
            if name.lower() == "location":
                location = urlsplit(value).path
            elif name.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[morsel.key] = morsel.value
                    else:
                        self.cookies.pop(morsel.key, None)
        return status, location, content

    def _timed(self, attempt: Attempt, step: str, method: str, path: str, form=None):
        began = time.perf_counter()
        try:
            result = self.request(method, path, form)
        except OSError as exc:
            attempt.errors.append(f"{step}: {exc.__class__.__name__}")
            result = (0, "", b"")
        attempt.steps[step] = time.perf_counter() - began
        if result[0] >= 500 or result[0] == 0:
            attempt.errors.append(f"{step}: HTTP {result[0]}")
        return result

    def book(self, choice: Choice, *, barrier: threading.Barrier | None = None) -> Attempt:
        """Add ``choice`` to the cart, read the cart, check out and pay; stops where refused.

        With a ``barrier``, waits for every other visitor between reading the cart and
        checking out, so that all checkouts arrive at once.
        """
        paths, attempt = self.paths, Attempt()
        status, location, _ = self._timed(
            attempt,
            "add",
            "POST",
            paths.cart_add.format(offer_id=choice.offer_id),
            choice.params,
        )
        added = status == 302 and location == paths.cart
        attempt.stage = "cart"
        key = ""
        if added:
            status, _location, content = self._timed(attempt, "cart", "GET", paths.cart)
            found = CHECKOUT_KEY_RE.search(content.decode("utf-8", "replace"))
            key = found.group(1) if found else ""
        if barrier is not None:
            barrier.wait(timeout=120)  # also when refused, or the others would wait forever
        if not key:
            if added:
                self.cart_empty()
            return attempt
        attempt.stage = "checkout"
        status, location, _ = self._timed(
            attempt, "checkout", "POST", paths.checkout, {"checkout_key": key}
        )
        if status != 302 or not location.startswith(paths.order_prefix):
            self.cart_empty()  # refused: the line stays in the cart, take it out
            return attempt
        attempt.reference = location[len(paths.order_prefix) :].strip("/")
        attempt.stage = "pay"
        status, _location, _ = self._timed(
            attempt, "pay", "POST", paths.pay.format(reference=attempt.reference), {"action": "pay"}
        )
        if status == 302:
            attempt.stage = "done"
        return attempt

    def cart_empty(self) -> int:
        """Remove every line of the cart (a refused choice must not block the next one)."""
        _status, _location, content = self.request("GET", self.paths.cart)
        pattern = re.escape(self.paths.remove_prefix) + r"(\d+)/"
        lines = set(re.findall(pattern, content.decode("utf-8", "replace")))
        for line_id in lines:
            self.request("POST", f"{self.paths.remove_prefix}{line_id}/", {})
        return len(lines)
