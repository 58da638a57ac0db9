"""What the benchmarks share: the bench database and environment, a gunicorn server on
127.0.0.1, a bounded load loop and percentiles.

Used by ``tests/bench/storefront.py`` and ``tests/bench/booking.py``. Every loop here is
bounded in time and count, and only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import http.client
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = ROOT / "tests" / "bench" / "results"
BENCH_VAR = ROOT / "var" / "bench"
HOST = "127.0.0.1"  # the only address the benchmarks ever talk to
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


# --- database and environment ----------------------------------------------------------------


def postgres_database_ensure(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name``, created if missing.

    The database is created from the server's maintenance database (``postgres``).
    Raises ``psycopg.OperationalError`` when the server cannot be reached.
    """
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench_env(*, database_url: str, var_dir: Path = BENCH_VAR) -> dict[str, str]:
    """The environment of the bench's server and of the script itself (DEBUG off)."""
    (var_dir / "staticfiles").mkdir(parents=True, exist_ok=True)  # WhiteNoise's root
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_ENV": "benchmark",  # never production: no secrets needed, no HTTPS
            "DEBUG": "0",
            "COMPTOIR_BENCHMARK": "1",
            "COMPTOIR_VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            # Every simulated visitor checks out from 127.0.0.1: no per-address limit.
            "CHECKOUT_RATE_LIMITS": "",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
    )
    return env


def manage(env: dict, *args: str, quiet: bool = False) -> None:
    """``manage.py <args>`` in a child process with the bench environment."""
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


def catalogue_build(env: dict, *, offers: int, providers: int, past_orders: int | None = None):
    """Migrate, then ``seed_demo --offers N --providers P`` (idempotent); seconds taken."""
    started = time.monotonic()
    manage(env, "migrate", "--noinput", "-v0")
    extra = [] if past_orders is None else ["--past-orders", str(past_orders)]
    manage(
        env,
        "seed_demo",
        "--offers",
        str(offers),
        "--providers",
        str(providers),
        *extra,
        quiet=True,
    )
    return time.monotonic() - started


def django_setup(env: dict) -> None:
    """Configure Django in this process like the server (same settings, same database)."""
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_start(
    env: dict,
    *,
    workers: int,
    ready_path: str = "/__bench__/floor/",
    log: Path | None = None,
) -> tuple[subprocess.Popen, int, Path]:
    """gunicorn (``config.wsgi``, sync workers) on a free port; returns once it answers."""
    port = free_port()
    log = log or BENCH_VAR / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "--chdir",
        str(ROOT),
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}); see {log}")
        try:
            if fetch(port, ready_path)[0] == 200:
                return process, port, log
        except OSError:
            pass
        time.sleep(0.25)
    server_stop(process)
    raise RuntimeError(f"gunicorn did not answer within 60 s; see {log}")


def server_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- HTTP and load --------------------------------------------------------------------------


def http_request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request to the bench server, on a new connection: status, headers, body."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Accept-Language": "fr", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def fetch(port: int, path: str) -> tuple[int, int]:
    """GET ``path``: status and body size."""
    status, _headers, body = http_request(port, "GET", path)
    return status, len(body)


def load(port: int, path: str, *, seconds: float, concurrency: int, max_requests: int) -> dict:
    """``concurrency`` threads request ``path`` until ``seconds`` pass or the cap is hit."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    issued = [0]
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            with lock:
                if issued[0] >= max_requests:
                    return
                issued[0] += 1
            began = time.perf_counter()
            try:
                status, _size = fetch(port, path)
            except OSError:
                status = 0
            elapsed = time.perf_counter() - began
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    wall = time.monotonic() - started
    return {"latencies": latencies, "errors": errors[0], "rps": len(latencies) / wall}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def median_or_zero(values) -> float:
    values = list(values)
    return statistics.median(values) if values else 0.0
