"""No input makes a server error: every URL pattern, walked with hostile values.

The walk enumerates every pattern of the root URLconf (Wagtail admin and its API,
allauth, the storefront, the serve catch-all, the language-prefixed ones) on the demo
territory, fills each path parameter with hostile values (NUL bytes, integers past
64 bits, negative integers, overflowing dates, very long strings) and then with real ids
next to hostile strings, adds hostile query strings for the parameters the pages' GET
forms and our views read, posts hostile values to every form field a page shows, and
does all that as an anonymous visitor, a visitor, a provider member and a superuser.
Every response must be below 500, in Wagtail's admin views too (what they cannot take
from a hand-made request is answered by ``config.middleware.
AdminMalformedRequestMiddleware``). Failures are collected and reported together, each
with its URL and exception, so one run lists them all.

Every pattern is walked with every path value by every role. A form a pattern shows is
fuzzed in full (each hostile value in every field, then each field alone) the first
time the role sees it on that pattern; the same form on another path of the same
pattern gets one request per method, so that the path values still meet the form's
fields without sending the same fuzz again. A NUL byte in a query string is refused by
``config.middleware.RejectNulMiddleware`` before any view, so it is sent once per
pattern, not once per path.

It runs on SQLite and again on PostgreSQL in CI's PostgreSQL lane (``DATABASE_URL``),
where a NUL byte in a string lookup is an error of the database driver.
"""

import io
import logging
import re
import time
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.signals import got_request_exception
from django.db import transaction
from django.template import Template
from django.test import Client, override_settings
from django.test.utils import _TestState
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern, RegexPattern, RoutePattern

NUL = "%00"
HUGE = "9223372036854775808"  # 2**63: one past the largest 64-bit integer
HUGER = "99999999999999999999"
NEGATIVE = "-99999999999999999999"
FAR_DATE = "9999-12-31"
LONG = "x" * 3000

# What goes into a path parameter (already percent-encoded where needed).
HOSTILE_STR = ["evt_" + NUL, HUGE, NEGATIVE, FAR_DATE, LONG]
HOSTILE_INT = [HUGE, "0"]
# What goes into a query string or a form field (raw; the client encodes it).
HOSTILE_VALUES = ["a\x00b", NEGATIVE, FAR_DATE, "0001-01-01", LONG]

# Query parameters our views and the admin's listings read, beyond those of the forms
# the walk finds on the pages themselves.
KNOWN_PARAMS = [
    "q",
    "p",
    "page",
    "ordering",
    "per_page",
    "next",
    "provider",
    "offer",
    "since",
    "until",
    "start",
    "end",
    "guests",
    "adults",
    "minors",
    "exempt_adults",
    "kind",
    "category",
    "commune",
    "label",
    "price_min",
    "price_max",
    "status",
    "lat",
    "lng",
    "format",
    "limit",
    "offset",
    "id",
    "parent",
    "collection_id",
    "tag",
    "locale",
    "type",
    "endpoint",
    "date_from",
    "date_to",
    "created_at_from",
    "created_at_to",
]

# Fields our POST-only views read (they have no page of their own to read them from).
KNOWN_POST = [
    "quantity",
    "slot",
    "persons",
    "start",
    "end",
    "guests",
    "adults",
    "minors",
    "exempt_adults",
    "units",
    "next",
    "checkout_key",
    "reason",
    "action",
    "language",
]


def _patterns(resolver=None, prefix=()):
    """Every endpoint of the URLconf as (chain of patterns, the pattern itself)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + (entry.pattern,))
        else:
            yield prefix + (entry.pattern,), entry


_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _route_slots(route: str) -> list:
    """A route as literal text and slots: ("int"|"str", None)."""
    parts, last = [], 0
    for match in _CONVERTER.finditer(route):
        parts.append(route[last : match.start()])
        parts.append(("int" if match["converter"] == "int" else "str", None))
        last = match.end()
    parts.append(route[last:])
    return parts


def _regex_slots(regex: str) -> list:
    """A regex as literal text and slots: each top-level group, ``.*`` or ``.+`` is a slot."""
    regex = regex.lstrip("^")
    regex = re.sub(r"(\\Z|\$)$", "", regex)
    parts, text, depth, group, i = [], "", 0, "", 0
    while i < len(regex):
        char = regex[i]
        if char == "\\" and i + 1 < len(regex):
            if depth:
                group += regex[i : i + 2]
            else:
                text += regex[i + 1]
            i += 2
            continue
        if char == "(":
            depth += 1
            group += char
        elif char == ")":
            depth -= 1
            group += char
            if depth == 0:
                parts.append(text)
                parts.append(("int" if group in (r"(\d+)", r"(?P<pk>\d+)") else "str", None))
                text, group = "", ""
        elif depth:
            group += char
        elif regex[i : i + 2] in (".*", ".+"):
            parts.append(text)
            parts.append(("str", None))
            text = ""
            i += 2
            continue
        else:
            text += char
        i += 1
    parts.append(text)
    return parts


def _slots(chain) -> list:
    parts = []
    for pattern in chain:
        if isinstance(pattern, LocalePrefixPattern):
            continue  # French has no prefix; the English variant is added below
        if isinstance(pattern, RoutePattern):
            parts.extend(_route_slots(pattern._route))
        elif isinstance(pattern, RegexPattern):
            parts.extend(_regex_slots(pattern._regex))
        else:
            raise AssertionError(f"unknown pattern type {type(pattern)}")
    return parts


def _fill(parts, int_value: str, str_value: str) -> str:
    return "/" + "".join(
        part if isinstance(part, str) else (int_value if part[0] == "int" else str_value)
        for part in parts
    )


def _paths(chain, valid_ints: list[str], valid_strs: list[str]) -> list[str]:
    """The pattern filled with hostile values, then with real ids beside hostile strings."""
    parts = _slots(chain)
    if not any(isinstance(part, tuple) for part in parts):
        paths = [_fill(parts, "", "")]
    else:
        paths = []
        for index, value in enumerate(HOSTILE_STR):
            paths.append(_fill(parts, HOSTILE_INT[index % len(HOSTILE_INT)], value))
        for int_value in HOSTILE_INT:
            paths.append(_fill(parts, int_value, valid_strs[0]))
        for int_value in valid_ints:
            for value in (HUGE, LONG, *valid_strs):
                paths.append(_fill(parts, int_value, value))
    if any(isinstance(pattern, LocalePrefixPattern) for pattern in chain):
        paths += ["/en" + path for path in paths[:2]]
    return list(dict.fromkeys(paths))


class _FormFields(HTMLParser):
    """The names of the fields of a page's forms, by method."""

    def __init__(self):
        super().__init__()
        self.fields = {"get": set(), "post": set()}
        self._method = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._method = (attrs.get("method") or "get").lower()
        elif tag in ("input", "select", "textarea") and self._method in self.fields:
            name = attrs.get("name")
            if name and name != "csrfmiddlewaretoken":
                self.fields[self._method].add(name)

    def handle_endtag(self, tag):
        if tag == "form":
            self._method = None


def _form_fields(response) -> dict:
    parser = _FormFields()
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        parser.feed(response.content.decode("utf-8", "replace"))
    return parser.fields


@pytest.fixture(scope="module")
def seed_media(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("hostile-media"))


# The walk tries input, not the cost of hashing: every login, sign-up and
# re-authentication form it posts would otherwise hash with PBKDF2 (a fifth of a second).
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, seed_media):
    settings.MEDIA_ROOT = seed_media
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, seed_media):
    """The demo territory with a few past orders, seeded once for the module."""
    from huey.contrib.djhuey import HUEY

    previous_immediate, HUEY.immediate = HUEY.immediate, True
    try:
        with (
            override_settings(MEDIA_ROOT=seed_media, PASSWORD_HASHERS=FAST_HASHERS),
            django_db_blocker.unblock(),
        ):
            with transaction.atomic():
                call_command("seed_demo", "--past-orders", "6", stdout=io.StringIO())
                yield
                transaction.set_rollback(True)
    finally:
        HUEY.immediate = previous_immediate


def _client(email: str | None) -> Client:
    client = Client(raise_request_exception=False)
    if email:
        client.force_login(get_user_model().objects.get(email=email))
    return client


# What logs a line for each refused request (a 404, a 400, a malformed admin request)
# below ERROR: thousands of records, with tracebacks, that the walk never reads. A 5xx is
# logged at ERROR and still shows.
QUIET_LOGGERS = ("django.request", "django.security", "config.middleware")


class _Walk:
    """Requests that collect every 5xx with its exception instead of stopping.

    Within the walk, templates render as they do outside tests: Django's test environment
    sends ``template_rendered`` for each template and the test client copies every context
    for ``response.context``, which the walk never reads (the cost of thousands of admin
    pages, not of the product). Refused requests are not logged below ERROR either
    (``QUIET_LOGGERS``). Both are put back when the walk ends."""

    def __init__(self):
        self.failures: list[str] = []
        self.count = 0
        self._exception = None
        self._restore = []

    def __enter__(self):
        got_request_exception.connect(self._record)
        instrumented = Template._render
        Template._render = _TestState.saved_data.template_render
        self._restore.append(lambda: setattr(Template, "_render", instrumented))
        for name in QUIET_LOGGERS:
            logger = logging.getLogger(name)
            self._restore.append(lambda logger=logger, level=logger.level: logger.setLevel(level))
            logger.setLevel(logging.ERROR)
        return self

    def __exit__(self, *exc):
        got_request_exception.disconnect(self._record)
        while self._restore:
            self._restore.pop()()

    def _record(self, sender, request=None, **kwargs):
        import sys

        self._exception = sys.exc_info()[1]

    def request(self, client, role: str, method: str, path: str, data=None):
        self._exception = None
        self.count += 1
        if method == "post":
            # Each post is rolled back: the walk must not depend on what it changed.
            with transaction.atomic():
                response = client.post(path, data or {})
                transaction.set_rollback(True)
        else:
            response = client.get(path, data or {})
        if response.status_code >= 500:
            shown = path if len(path) < 200 else path[:200] + "…"
            query = "" if not data else f" {sorted(data)[:6]}={next(iter(data.values()))!r:.30}"
            self.failures.append(
                f"{response.status_code} {role} {method.upper()} {shown}{query}: "
                f"{self._exception!r:.300}"
            )
        return response


ROLES = {
    "anonymous": None,
    "visitor": "visiteur@comptoir.localhost",
    "provider": "camping@comptoir.localhost",
    "superuser": "admin@comptoir.localhost",
}


def _valid_values() -> tuple[list[str], list[str]]:
    """Real ids to put beside hostile values: an offer page (most admin views take a page
    id) and the visitor's order and booking references."""
    from marketplace.models import Booking, OfferPage, Order

    offer = OfferPage.objects.live().order_by("pk").first()
    visitor = get_user_model().objects.get(email=ROLES["visitor"])
    order = Order.objects.filter(user=visitor).order_by("pk").first()
    booking = Booking.objects.filter(order__user=visitor).order_by("pk").first()
    strs = ["1"]
    if order:
        strs.append(order.reference)
    if booking:
        strs.append(booking.reference)
    return [str(offer.pk)], strs


def _skip(path: str) -> bool:
    # Logging out would end the role's session for the rest of the walk; Wagtail's
    # "failwhale" view raises on purpose (to test error reporting).
    return "/logout/" in path or path.startswith("/admin/failwhale/")


# Values each field of a page's GET form gets alone (the others left empty), so that one
# refused value does not hide what another field does with its own.
ONE_FIELD_VALUES = [NEGATIVE, FAR_DATE, LONG]


def _fuzz(walk, client, role: str, index: int, path: str, seen: set) -> None:
    """GET the path, then send hostile values to the forms it shows (see the docstring)."""
    response = walk.request(client, role, "get", path)
    fields = _form_fields(response)
    if response.status_code == 200:
        params = sorted(fields["get"] | set(KNOWN_PARAMS))
        key = (index, "get", frozenset(fields["get"]))
        if key in seen:
            walk.request(client, role, "get", path, {p: HOSTILE_VALUES[-1] for p in params})
        else:
            seen.add(key)
            values = HOSTILE_VALUES[1:]
            if (index, "nul") not in seen:
                seen.add((index, "nul"))
                values = HOSTILE_VALUES
            for value in values:
                walk.request(client, role, "get", path, {p: value for p in params})
            for param in sorted(fields["get"]):
                for value in ONE_FIELD_VALUES:
                    walk.request(client, role, "get", path, {param: value})
    post_fields = fields["post"] or (KNOWN_POST if response.status_code == 405 else ())
    if post_fields:
        key = (index, "post", frozenset(post_fields))
        values = HOSTILE_VALUES
        if key in seen:
            values = HOSTILE_VALUES[1:2]
        seen.add(key)
        for value in values:
            walk.request(client, role, "post", path, {name: value for name in post_fields})


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLES))
def test_every_url_pattern_resists_hostile_input(demo, role):
    valid_ints, valid_strs = _valid_values()
    endpoints = [chain for chain, _entry in _patterns()]
    assert len(endpoints) > 300, "the walk must see the whole URLconf"
    client = _client(ROLES[role])
    started = time.monotonic()
    seen: set = set()
    with _Walk() as walk:
        for index, chain in enumerate(endpoints):
            for path in _paths(chain, valid_ints, valid_strs):
                if not _skip(path):
                    _fuzz(walk, client, role, index, path, seen)
    print(f"{role}: {walk.count} requests in {time.monotonic() - started:.0f} s")
    assert not walk.failures, f"{len(walk.failures)} server errors:\n" + "\n".join(walk.failures)
