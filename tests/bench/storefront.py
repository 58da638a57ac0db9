#!/usr/bin/env python
"""Storefront benchmark: a real server under load, compared with a floor in the same run.

    .venv/bin/python tests/bench/storefront.py            # make bench
    .venv/bin/python tests/bench/storefront.py --offers 2000 --duration 3 --rounds 1

1. Builds a catalogue (``seed_demo --offers N --providers P``) in a dedicated database:
   ``var/bench/bench.sqlite3``, or, when ``DATABASE_URL`` points at PostgreSQL, a
   database named after it with ``_bench`` appended (created if missing). The seed is
   idempotent, so a second run reuses the catalogue.
2. Counts the SQL queries of one request per endpoint, in-process (test client and
   ``CaptureQueriesContext``, page cache cleared, process warm).
3. Starts gunicorn (``config.wsgi``, 2 sync workers, 127.0.0.1 on a free port, DEBUG
   off, ``COMPTOIR_BENCHMARK=1`` so that ``/__bench__/floor/`` exists) and loads it
   with 8 client threads: a warm-up, then each endpoint for a fixed time, in rounds
   (endpoints interleaved, so drift in the machine's load hits them all alike).
   Every loop is bounded in time and count, and only 127.0.0.1 is ever contacted.
4. Writes ``tests/bench/results/storefront.json`` and prints a table: per endpoint
   ``rps`` (median over rounds), ``p50_ms`` and ``p95_ms`` (over all requests),
   ``queries``, ``ratio`` = rps / floor rps, and ``inprocess_ms`` (median time of one
   request alone, in-process: the page's own cost, apart from load and HTTP). The
   floor is a static page as large as the filtered listing, served by a plain Django
   view through the same middleware.

Targets (issue 2): filtered listing ratio >= 0.30 and p95 <= 100 ms. The script reports
them; it exits non-zero only with ``--strict``.
"""

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

# Run as a script: the project's root on the path, for ``tests.bench.common``.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import (  # noqa: E402
    BENCH_VAR,
    RESULTS_DIR,
    ROOT,
    bench_env,
    catalogue_build,
    django_setup,
    load,
    percentile,
    postgres_database_ensure,
    server_start,
    server_stop,
)

RESULTS = RESULTS_DIR / "storefront.json"
TARGET_RATIO, TARGET_P95_MS = 0.30, 100.0
FILTERED = "listing_filtered"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--providers", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per endpoint")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per endpoint")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per endpoint")
    parser.add_argument(
        "--max-requests", type=int, default=50_000, help="cap per endpoint and round"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    return parser.parse_args(argv)


# --- environment and database ---------------------------------------------------------------


def bench_database_url() -> str:
    """SQLite under var/bench, or ``<DATABASE_URL's database>_bench`` on PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url or url.startswith("sqlite"):
        return f"sqlite:///{BENCH_VAR / 'bench.sqlite3'}"
    name = urlsplit(url).path.lstrip("/") or "comptoir"
    return postgres_database_ensure(url, name if name.endswith("_bench") else f"{name}_bench")


# --- endpoints and their queries (in-process) --------------------------------------------------


def endpoints_pick() -> dict[str, str]:
    from django.db.models import Count
    from django.utils import timezone

    from marketplace.models import OfferPage

    live = OfferPage.objects.live()
    stays = live.filter(kind="stay").order_by("pk")
    busiest = (
        stays.values("listing_category__slug")
        .annotate(n=Count("pk"))
        .order_by("-n", "listing_category__slug")
        .first()
    )
    offer = stays[stays.count() // 2]
    start = timezone.localdate() + dt.timedelta(days=30)
    query = urlencode(
        {
            "category": busiest["listing_category__slug"],
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=3)).isoformat(),
            "guests": 2,
        }
    )
    return {
        "home": "/",
        "listing": "/offres/",
        FILTERED: f"/offres/?{query}",
        "offer": urlsplit(offer.get_url()).path,
        "api_offers": "/api/offers/",
    }


def queries_count(paths: dict[str, str]) -> dict[str, dict]:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    measured = {}
    for name, path in paths.items():
        client.get(path)  # warm the process (content types, site, templates)
        cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        queries = len(ctx.captured_queries)  # now: the next request resets the log
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            client.get(path)
            timings.append(time.perf_counter() - began)
        measured[name] = {
            "status": response.status_code,
            "queries": queries,
            "bytes": len(response.content),
            # One request at a time, no HTTP: the page's own cost, apart from the load.
            "inprocess_ms": round(statistics.median(timings) * 1000, 1),
        }
    return measured


# --- report ------------------------------------------------------------------------------------


def table(results: dict) -> str:
    head = (
        f"{'endpoint':<18}{'rps':>9}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'ratio':>8}"
        f"{'1-req ms':>10}"
    )
    lines = [head, "-" * len(head)]
    for name, row in results["endpoints"].items():
        lines.append(
            f"{name:<18}{row['rps']:>9.1f}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}"
            f"{row['queries']:>9}{row['ratio']:>8.2f}{row['inprocess_ms']:>10.1f}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    env = bench_env(database_url=bench_database_url())
    print(f"Catalogue: {args.offers} offers, {args.providers} providers ({env['DATABASE_URL']})")
    seed_seconds = catalogue_build(env, offers=args.offers, providers=args.providers)
    print(f"  ready in {seed_seconds:.1f} s")

    django_setup(env)
    from django.db import connection

    from marketplace.models import OfferPage, Provider

    paths = endpoints_pick()
    queries = queries_count(paths)
    broken = {name: q["status"] for name, q in queries.items() if q["status"] != 200}
    if broken:
        print(f"Warning: endpoints not answering 200 in-process: {broken}")
    floor_bytes = queries[FILTERED]["bytes"]
    paths = {"floor": f"/__bench__/floor/?bytes={floor_bytes}", **paths}
    queries.update(queries_count({"floor": paths["floor"]}))
    meta = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "database_version": ".".join(map(str, connection.Database.sqlite_version_info))
        if connection.vendor == "sqlite"
        else str(connection.cursor().connection.info.server_version),
        "offers": OfferPage.objects.live().count(),
        "providers": Provider.objects.filter(status="approved").count(),
        "workers": args.workers,
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "warmup_s": args.warmup,
        "server": "gunicorn (sync workers), DEBUG off, 127.0.0.1",
        "cpu_count": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "python": platform.python_version(),
        "seed_s": round(seed_seconds, 1),
        "paths": paths,
    }
    connection.close()

    process, port, log = server_start(env, workers=args.workers)
    samples: dict[str, list[dict]] = {name: [] for name in paths}
    try:
        for path in paths.values():
            load(port, path, seconds=args.warmup, concurrency=args.concurrency, max_requests=10_000)
        for round_number in range(args.rounds):
            for name, path in paths.items():
                sample = load(
                    port,
                    path,
                    seconds=args.duration,
                    concurrency=args.concurrency,
                    max_requests=args.max_requests,
                )
                samples[name].append(sample)
                print(f"  round {round_number + 1} {name:<18} {sample['rps']:8.1f} rps")
    finally:
        server_stop(process)

    floor_rps = statistics.median(s["rps"] for s in samples["floor"])
    endpoints = {}
    for name, runs in samples.items():
        latencies = [x for run in runs for x in run["latencies"]]
        rps = statistics.median(run["rps"] for run in runs)
        endpoints[name] = {
            "path": paths[name],
            "rps": round(rps, 1),
            "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
            "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
            "queries": queries[name]["queries"],
            "ratio": round(rps / floor_rps, 3) if floor_rps else 0.0,
            "requests": len(latencies),
            "errors": sum(run["errors"] for run in runs),
            "bytes": queries[name]["bytes"],
            "inprocess_ms": queries[name]["inprocess_ms"],
            "rps_rounds": [round(run["rps"], 1) for run in runs],
        }
    filtered = endpoints[FILTERED]
    targets = {
        "endpoint": FILTERED,
        "ratio_min": TARGET_RATIO,
        "p95_max_ms": TARGET_P95_MS,
        "ratio_met": filtered["ratio"] >= TARGET_RATIO,
        "p95_met": filtered["p95_ms"] <= TARGET_P95_MS,
    }
    meta["load_average_after"] = os.getloadavg()
    results = {"meta": meta, "endpoints": endpoints, "targets": targets}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")

    print()
    print(table(results))
    print()
    print(
        f"Filtered listing: ratio {filtered['ratio']:.2f} (target >= {TARGET_RATIO}) "
        f"{'ok' if targets['ratio_met'] else 'MISSED'}, p95 {filtered['p95_ms']:.1f} ms "
        f"(target <= {TARGET_P95_MS:.0f}) {'ok' if targets['p95_met'] else 'MISSED'}"
    )
    errors = {name: row["errors"] for name, row in endpoints.items() if row["errors"]}
    if errors:
        print(f"Errors (non-200 or connection failures): {errors}; server log: {log}")
    print(f"Results: {RESULTS.relative_to(ROOT)}")
    if args.strict and not (targets["ratio_met"] and targets["p95_met"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
