#!/usr/bin/env python
"""Booking benchmark: real visitors over HTTP racing for the last units, then booking freely.

    .venv/bin/python tests/bench/booking.py                  # make bench
    .venv/bin/python tests/bench/booking.py --duration 5 --floor-seconds 2

Needs PostgreSQL (row locks are what is measured): ``DATABASE_URL`` when it points at
PostgreSQL, else ``postgres://postgres@127.0.0.1:5432/``. The script works in its own
database, ``comptoir_bench_booking`` (created if missing); when the server cannot be
reached it says so and exits 0 (skipped).

1. Builds the catalogue (``seed_demo --offers 1000 --providers 50 --past-orders 0``,
   idempotent), publishes a fresh stay with ``--capacity`` (10) units for this run, and
   prepares ``--clients`` (32) visitors: accounts with a verified e-mail, each with a
   session created server-side whose cookie, with a CSRF cookie, is handed to its
   client (no login round trip in the measurement). One booking goes through the same
   views in-process first, to count the SQL queries of each step.
2. Starts gunicorn (2 sync workers, DEBUG off, ``COMPTOIR_BENCHMARK=1``; no Redis, and
   a huey queue of its own that no consumer reads: e-mails stay queued).
3. The race: every client adds one unit of the fresh stay for the same two nights to its
   cart, reads its cart page for the checkout form; then, all at once (a barrier), posts
   the checkout and, when it gets an order, pays it on the dev gateway's test page.
4. Free booking for ``--duration`` (30) seconds: each client in a loop picks one of the
   1,000 offers at random (a stay's dates, an activity's slot, a product's quantity),
   adds it, reads the cart, checks out and pays: four requests per booking, like a
   visitor (a refused line is removed from the cart).
5. The floor, before, between and after: ``/__bench__/write/``, a view that commits
   one INSERT, loaded by as many clients. ``ratio`` = checkouts per second / floor rps.
6. Audits the database: ``overbooked`` is the number of units, places or items sold
   beyond capacity, counted from the bookings themselves (held, confirmed, completed)
   plus what was taken before the run without a booking; it must be 0. The counters
   (StayNight, ActivitySlot, ProductStock) must agree with the bookings too.

Writes ``tests/bench/results/booking.json`` (``attempts``, ``confirmed``, ``capacity``
and ``overbooked`` for the race and the audit; ``checkouts_per_second``, ``p50_ms``,
``p95_ms`` of a whole booking, ``floor_rps`` and ``ratio`` for the free booking; the
details beside them) and prints a summary. Exits 1 when anything was overbooked. The
machine may be shared: compare medians, and the ratio rather than raw rates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# Run as a script: the project's root on the path, for ``tests.bench.common``.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import (  # noqa: E402
    BENCH_VAR,
    DEFAULT_POSTGRES,
    RESULTS_DIR,
    ROOT,
    bench_env,
    catalogue_build,
    django_setup,
    load,
    median_or_zero,
    percentile,
    postgres_database_ensure,
    server_start,
    server_stop,
)
from tests.bench.visitor import (  # noqa: E402
    Attempt,
    Choice,
    Paths,
    Visitor,
    django_transport,
    http_transport,
)

RESULTS = RESULTS_DIR / "booking.json"
DATABASE = "comptoir_bench_booking"
VAR = BENCH_VAR / "booking"
FLOOR = "/__bench__/write/"
CONTESTED_NIGHTS = 2
ACTIVE = ("held", "confirmed", "completed")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=1000)
    parser.add_argument("--providers", type=int, default=50)
    parser.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--capacity", type=int, default=10, help="units left in the race")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of free booking")
    parser.add_argument("--floor-seconds", type=float, default=5.0, help="per floor round")
    parser.add_argument("--seed", type=int, default=None, help="random choices of offers")
    return parser.parse_args(argv)


# --- database --------------------------------------------------------------------------------


def database_url() -> str | None:
    """The bench database on PostgreSQL, created if missing; ``None`` when unreachable."""
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_POSTGRES
    try:
        return postgres_database_ensure(url, DATABASE)
    except psycopg.OperationalError as exc:
        host = urlsplit(url).hostname
        print(f"PostgreSQL is unreachable at {host} ({str(exc).strip()}).")
        return None


# --- what the clients book (prepared in this process) -----------------------------------------


def choices_build(
    *, site, rng: random.Random, today: dt.date, limit: int, exclude: int | None = None
) -> list[Choice]:
    """Up to ``limit`` offers of ``site`` (not ``exclude``), each with a random choice that
    may well fit."""
    from django.db.models import F
    from django.utils import timezone

    from marketplace.models import (
        ActivitySlot,
        OfferPage,
        ProductOfferPage,
        StayOfferPage,
    )

    live = OfferPage.objects.live().filter(provider__site=site).values_list("pk", flat=True)
    ids = set(live) - {exclude}
    choices: list[Choice] = []
    for offer_id, min_nights in StayOfferPage.objects.filter(pk__in=ids, units__gt=0).values_list(
        "pk", "min_nights"
    ):
        start = today + dt.timedelta(days=rng.randint(7, 300))
        nights = max(min_nights or 1, rng.randint(1, 4))
        params = {
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=nights)).isoformat(),
            "units": "1",
        }
        choices.append(Choice(offer_id, params))
    slots = defaultdict(list)
    for slot_id, offer_id in ActivitySlot.objects.filter(
        offer_id__in=ids,
        cancelled=False,
        starts_at__gt=timezone.now() + dt.timedelta(days=1),
        places__gt=F("places_taken"),
    ).values_list("pk", "offer_id"):
        slots[offer_id].append(slot_id)
    for offer_id, offer_slots in slots.items():
        choices.append(Choice(offer_id, {"slot": str(rng.choice(offer_slots)), "persons": "1"}))
    for offer_id in ProductOfferPage.objects.filter(pk__in=ids, stock__gt=0).values_list(
        "pk", flat=True
    ):
        choices.append(Choice(offer_id, {"quantity": "1"}))
    rng.shuffle(choices)
    return choices[:limit]


def contested_stay(*, site, capacity: int, today: dt.date) -> tuple[int, dict]:
    """A stay published for this run with ``capacity`` units: nobody has booked it yet."""
    from marketplace.models import Provider, StayOfferPage
    from tests import factories

    provider = (
        Provider.objects.approved()
        .for_site(site)
        .filter(page__isnull=False, category__slug="camping")
        .order_by("pk")
        .first()
    ) or Provider.objects.approved().for_site(site).filter(page__isnull=False).first()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    offer = factories.stay(
        provider,
        title=f"Banc d'essai {stamp}",
        units=capacity,
        guests_per_unit=4,
        price_per_night=4200,
    )
    assert StayOfferPage.objects.get(pk=offer.pk).units == capacity
    start = today + dt.timedelta(days=30)
    params = {
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=CONTESTED_NIGHTS)).isoformat(),
        "units": "1",
    }
    return offer.pk, params


def visitors_prepare(*, count: int) -> list[tuple[str, str]]:
    """``count`` visitors with a verified e-mail and an empty cart, each with a new
    session (signed in) and a CSRF secret: ``[(session_key, csrf_secret)]``."""
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils.crypto import get_random_string

    from marketplace.models import CartLine

    user_model = get_user_model()
    handed = []
    for index in range(count):
        email = f"banc{index:03d}@example.org"
        user = user_model.objects.filter(email=email).first()
        if user is None:
            user = user_model.objects.create_user(username=f"banc{index:03d}", email=email)
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        CartLine.objects.filter(cart__user=user).delete()  # leftovers of an earlier run
        session = SessionStore()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        handed.append((session.session_key, get_random_string(32)))
    return handed


def queries_per_step(*, paths: Paths, choices: list[Choice], handed: tuple[str, str]) -> dict:
    """SQL queries of each step of one booking, in-process (the first choice that books)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts: list[int] = []
    inner = django_transport(Client(enforce_csrf_checks=True))

    def counting(*args):
        with CaptureQueriesContext(connection) as ctx:
            result = inner(*args)
        counts.append(len(ctx.captured_queries))
        return result

    key, csrf = handed
    visitor = Visitor(send=counting, paths=paths, session_key=key, csrf_secret=csrf)
    for choice in choices[:20]:
        counts.clear()
        attempt = visitor.book(choice)
        if attempt.booked:
            return dict(zip(attempt.steps, counts, strict=False))
    return {}


# --- the two phases --------------------------------------------------------------------------


def race(visitors: list[Visitor], choice: Choice) -> list[Attempt]:
    """Every visitor books the same thing; their checkouts start together."""
    barrier = threading.Barrier(len(visitors))
    attempts: list[Attempt | None] = [None] * len(visitors)

    def run(index: int):
        try:
            attempts[index] = visitors[index].book(choice, barrier=barrier)
        except threading.BrokenBarrierError:
            attempts[index] = Attempt(errors=["barrier broken"])

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(visitors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return [a or Attempt(errors=["did not finish"]) for a in attempts]


def book_freely(visitors: list[Visitor], choices: list[Choice], *, seconds: float, seed: int):
    """Every visitor books random choices until ``seconds`` pass; returns the attempts."""
    lock = threading.Lock()
    attempts: list[Attempt] = []
    deadline = time.monotonic() + seconds

    def run(index: int):
        rng = random.Random(seed * 1000 + index)
        while time.monotonic() < deadline:
            attempt = visitors[index].book(rng.choice(choices))
            with lock:
                attempts.append(attempt)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(visitors))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return attempts, time.monotonic() - started


# --- audit -----------------------------------------------------------------------------------


@dataclass
class Capacity:
    """Per row of capacity (a night of a stay, a slot, a product): its size, its counter,
    and what the active bookings claim. ``outside`` is what the counter held that no
    booking explains (units taken before the run by hand or by a seed)."""

    size: dict = field(default_factory=dict)
    counter: dict = field(default_factory=dict)
    claims: dict = field(default_factory=Counter)

    def outside(self) -> dict:
        return {key: self.counter[key] - self.claims.get(key, 0) for key in self.counter}


def capacity_read() -> Capacity:
    """Every capacity row and every active booking's claim (a handful of queries)."""
    from marketplace.models import (
        ActivitySlot,
        Booking,
        ProductOfferPage,
        ProductStock,
        StayNight,
        StayOfferPage,
    )

    state = Capacity()
    units = dict(StayOfferPage.objects.values_list("pk", "units"))
    for offer_id, day, taken in StayNight.objects.values_list("offer_id", "date", "units_taken"):
        state.counter[("night", offer_id, day)] = taken
        state.size[("night", offer_id, day)] = units.get(offer_id, 0)
    for slot_id, places, taken in ActivitySlot.objects.values_list("pk", "places", "places_taken"):
        state.counter[("slot", slot_id)] = taken
        state.size[("slot", slot_id)] = places
    stock = dict(ProductOfferPage.objects.values_list("pk", "stock"))
    for offer_id, taken in ProductStock.objects.values_list("offer_id", "taken"):
        state.counter[("item", offer_id)] = taken
        state.size[("item", offer_id)] = stock.get(offer_id, 0)
    rows = Booking.objects.filter(status__in=ACTIVE).values_list(
        "kind", "offer_id", "start", "end", "slot_id", "quantity"
    )
    for kind, offer_id, start, end, slot_id, quantity in rows:
        if kind == "stay":
            day = start
            while day < end:
                state.claims[("night", offer_id, day)] += quantity
                state.size.setdefault(("night", offer_id, day), units.get(offer_id, 0))
                day += dt.timedelta(days=1)
        elif kind == "activity":
            state.claims[("slot", slot_id)] += quantity
        else:
            state.claims[("item", offer_id)] += quantity
            state.size.setdefault(("item", offer_id), stock.get(offer_id, 0))
    return state


def audit(*, before: Capacity, after: Capacity) -> dict:
    """Units sold beyond capacity, and counters that disagree with the bookings."""
    outside = before.outside()
    overbooked = 0
    worst = []
    mismatched = 0
    for key in set(after.claims) | set(after.counter):
        expected = outside.get(key, 0) + after.claims.get(key, 0)
        excess = expected - after.size.get(key, 0)
        if excess > 0:
            overbooked += excess
            worst.append((excess, key))
        counter = after.counter.get(key, 0)
        if counter != expected or counter < 0 or counter > after.size.get(key, 0):
            mismatched += 1
    worst.sort(reverse=True)
    return {
        "overbooked": overbooked,
        "counters_mismatched": mismatched,
        "worst": [[excess, *map(str, key)] for excess, key in worst[:5]],
    }


# --- report ----------------------------------------------------------------------------------


def steps_summary(attempts: list[Attempt]) -> dict:
    per_step = defaultdict(list)
    for attempt in attempts:
        for step, seconds in attempt.steps.items():
            per_step[step].append(seconds)
    return {
        step: {
            "n": len(values),
            "p50_ms": round(percentile(values, 0.50) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        }
        for step, values in per_step.items()
    }


def floor_round(port: int, *, seconds: float, concurrency: int) -> dict:
    sample = load(port, FLOOR, seconds=seconds, concurrency=concurrency, max_requests=200_000)
    return {"rps": round(sample["rps"], 1), "errors": sample["errors"]}


def main(argv=None) -> int:
    args = parse_args(argv)
    url = database_url()
    if url is None:
        print("Booking benchmark SKIPPED: it measures PostgreSQL's row locks and needs a server")
        print("(set DATABASE_URL=postgres://user@host:port/any, or start PostgreSQL locally).")
        return 0
    env = bench_env(database_url=url, var_dir=VAR)
    # No shared Redis (its cache keys would mix with another database's), and a huey
    # queue of its own: the e-mails of the bench's bookings are queued, never sent.
    env.pop("REDIS_URL", None)
    env["HUEY_NAME"] = "comptoir-bench-booking"
    print(f"Catalogue: {args.offers} offers, {args.providers} providers ({url})")
    seed_seconds = catalogue_build(env, offers=args.offers, providers=args.providers, past_orders=0)
    print(f"  ready in {seed_seconds:.1f} s")

    django_setup(env)
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.utils import timezone
    from wagtail.models import Site

    from marketplace.models import Booking

    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    today = timezone.localdate()
    site = Site.objects.get(is_default_site=True)
    paths = Paths.build()
    contested_id, contested_params = contested_stay(site=site, capacity=args.capacity, today=today)
    # The race's stay is left out of the free booking: its figures stay its own.
    choices = choices_build(
        site=site, rng=rng, today=today, limit=args.offers, exclude=contested_id
    )
    handed = visitors_prepare(count=args.clients + 1)
    queries = queries_per_step(paths=paths, choices=choices, handed=handed.pop())
    before = capacity_read()
    started_at = timezone.now()
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "database_version": str(connection.cursor().connection.info.server_version),
        "offers_booked_from": len(choices),
        "offers_by_kind": dict(Counter(choice_kind(c) for c in choices)),
        "clients": args.clients,
        "workers": args.workers,
        "duration_s": args.duration,
        "floor_seconds": args.floor_seconds,
        "seed": seed,
        "server": "gunicorn (sync workers), DEBUG off, 127.0.0.1, no Redis",
        "cpu_count": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "python": platform.python_version(),
        "seed_s": round(seed_seconds, 1),
        "floor_path": FLOOR,
        "contested_offer": contested_id,
    }
    connection.close()

    process, port, log = server_start(env, workers=args.workers, log=VAR / "gunicorn.log")
    floors = []
    try:
        visitors = [
            Visitor(send=http_transport(port), paths=paths, session_key=key, csrf_secret=csrf)
            for key, csrf in handed
        ]
        floors.append(floor_round(port, seconds=args.floor_seconds, concurrency=args.clients))
        print(f"  floor {floors[-1]['rps']:8.1f} rps")
        raced = race(visitors, Choice(contested_id, contested_params))
        print(f"  race: {sum(a.booked for a in raced)} booked of {len(raced)} tries")
        floors.append(floor_round(port, seconds=args.floor_seconds, concurrency=args.clients))
        print(f"  floor {floors[-1]['rps']:8.1f} rps")
        free, wall = book_freely(visitors, choices, seconds=args.duration, seed=seed)
        print(f"  free booking: {sum(a.booked for a in free)} booked in {wall:.1f} s")
        floors.append(floor_round(port, seconds=args.floor_seconds, concurrency=args.clients))
        print(f"  floor {floors[-1]['rps']:8.1f} rps")
    finally:
        server_stop(process)

    after = capacity_read()
    checked = audit(before=before, after=after)
    contested = Booking.objects.filter(
        offer_id=contested_id, start=contested_params["start"], created_at__gte=started_at
    )
    confirmed = contested.filter(status="confirmed").count()
    held_or_sold = contested.filter(status__in=ACTIVE).count()
    Session.objects.filter(session_key__startswith="bench", session_data="").delete()

    booked = [a for a in free if a.booked]
    latencies = [a.seconds for a in booked]
    floor_rps = median_or_zero(f["rps"] for f in floors)
    checkouts_per_second = len(booked) / wall if wall else 0.0
    results = {
        "attempts": len(raced),
        "confirmed": confirmed,
        "capacity": args.capacity,
        "overbooked": checked["overbooked"],
        "checkouts_per_second": round(checkouts_per_second, 2),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "floor_rps": round(floor_rps, 1),
        "ratio": round(checkouts_per_second / floor_rps, 4) if floor_rps else 0.0,
        "race": {
            "booked": sum(a.booked for a in raced),
            "held_or_sold": held_or_sold,
            "refused_at_checkout": sum(a.stage == "checkout" for a in raced),
            "stages": dict(Counter(a.stage for a in raced)),
            "errors": [e for a in raced for e in a.errors],
            "steps": steps_summary(raced),
        },
        "free": {
            "attempts": len(free),
            "booked": len(booked),
            "seconds": round(wall, 1),
            "stages": dict(Counter(a.stage for a in free)),
            "errors": dict(Counter(e for a in free for e in a.errors)),
            "requests_per_booking": 4,
            "queries_per_step": queries,
            "steps": steps_summary(free),
        },
        "floors_rps": [f["rps"] for f in floors],
        "floor_errors": sum(f["errors"] for f in floors),
        "audit": checked,
        "meta": {**meta, "load_average_after": os.getloadavg()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")

    print()
    print(
        f"Race for the last {args.capacity} units: {results['attempts']} checkouts, "
        f"{confirmed} confirmed, overbooked {results['overbooked']}"
    )
    print(
        f"Free booking: {checkouts_per_second:.2f} checkouts/s (4 requests each), "
        f"p50 {results['p50_ms']:.0f} ms, p95 {results['p95_ms']:.0f} ms"
    )
    print(f"Queries per step (one booking, in-process): {queries}")
    print(
        f"Floor (one committed INSERT): {floor_rps:.1f} rps (median of "
        f"{', '.join(str(f['rps']) for f in floors)}); ratio {results['ratio']:.3f}"
    )
    if checked["counters_mismatched"]:
        print(
            f"Capacity counters that disagree with the bookings: {checked['counters_mismatched']}"
        )
    errors = results["free"]["errors"] or results["race"]["errors"]
    if errors:
        print(f"Errors (5xx or connection failures): {errors}; server log: {log}")
    print(f"Results: {RESULTS.relative_to(ROOT)}")
    return 1 if results["overbooked"] else 0


def choice_kind(choice: Choice) -> str:
    if "slot" in choice.params:
        return "activity"
    if "quantity" in choice.params:
        return "product"
    return "stay"


if __name__ == "__main__":
    sys.exit(main())
