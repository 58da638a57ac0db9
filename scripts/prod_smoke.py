#!/usr/bin/env python3
"""`make prod-smoke`: build and serve the production configuration, then crawl it.

1. A clean checkout of the working tree (tracked and new files, nothing ignored: no
   .mo files, no collected static files, no var/) in a temporary directory.
2. A fresh PostgreSQL database and an emptied Redis database of its own.
3. The release steps of README.md's "Production" section, read from the README itself
   (its first ``sh`` block, the ``python manage.py`` lines): the README is the source of
   truth, the script runs what it says.
4. The demo data (``seed_demo --past-orders 0``) so that every page type has a page.
5. gunicorn (2 workers) and one huey consumer with the production settings on 127.0.0.1.
6. A crawl of every public page type and the admin login, as the proxy would send them
   (``X-Forwarded-Proto: https``): any status outside 2xx/3xx, any static file a page
   names that does not answer 200, any missing security header fails the run.

gunicorn and huey are stopped whatever happens (Ctrl-C, SIGTERM, a failure, the overall
time limit). Settings, all optional:

  SMOKE_DATABASE_URL  postgres://postgres@127.0.0.1:5432/comptoir_smoke (dropped, created)
  SMOKE_REDIS_URL     redis://127.0.0.1:6379/15 (emptied)
  SMOKE_PORT          18180
  SMOKE_TIMEOUT       900 (seconds, for the whole run)
  SMOKE_KEEP          1 keeps the checkout, its logs and the database afterwards
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
README = BASE_DIR / "README.md"

# Every response the site sends must carry these (values: what the header must contain).
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "",
    "Referrer-Policy": "",
    "Cross-Origin-Opener-Policy": "",
    "Content-Security-Policy": "default-src",
}
# src, href and data-* attributes (the maps' marker images are named in data-marker-*).
STATIC_REFERENCE = re.compile(r"""(?:src|href|data-[\w-]+)\s*=\s*["'](/static/[^"'#?\s]+)""")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")
MAX_REDIRECTS = 5
CACHE_HEADER = "X-Comptoir-Cache"  # cms.middleware.HEADER: "hit" when served from the cache
CRAWLER_IP = "198.51.100.80"  # the crawler's address, as the proxy forwards it


class SmokeError(Exception):
    """A step that cannot go on (the build failed, the server did not start)."""


# --- What the README says --------------------------------------------------------------


def release_steps(readme_text: str) -> list[list[str]]:
    """The ``python manage.py ...`` commands of the first ``sh`` block of the README's
    "Production" section, in order: the arguments after ``python manage.py``."""
    match = re.search(r"^## Production\b.*?$(.*?)(?=^## )", readme_text, re.M | re.S)
    if not match:
        raise SmokeError("README.md has no '## Production' section.")
    block = re.search(r"^```sh\n(.*?)^```", match.group(1), re.M | re.S)
    if not block:
        raise SmokeError("README.md's Production section has no ```sh block.")
    steps = []
    for line in block.group(1).splitlines():
        command = line.split(" #", 1)[0].strip()
        if command.startswith("python manage.py "):
            steps.append(shlex.split(command)[2:])
    if not steps:
        raise SmokeError("README.md's Production block lists no `python manage.py` command.")
    return steps


def release_exports(readme_text: str) -> dict[str, str]:
    """The variables the same block ``export``s with a value (not a ``...`` placeholder)."""
    match = re.search(r"^## Production\b.*?$(.*?)(?=^## )", readme_text, re.M | re.S)
    block = re.search(r"^```sh\n(.*?)^```", match.group(1), re.M | re.S) if match else None
    if not block:
        raise SmokeError("README.md's Production section has no ```sh block.")
    exports = re.search(r"^export (.*?)(?<!\\)$", block.group(1), re.M | re.S)
    words = shlex.split(exports.group(1).replace("\\\n", " ")) if exports else []
    return dict(
        word.split("=", 1) for word in words if "=" in word and "..." not in word.split("=", 1)[1]
    )


# --- What a response must be -------------------------------------------------------------


def header_problems(headers: dict[str, str]) -> list[str]:
    """The security headers missing from (or wrong in) a response's headers."""
    lowered = {name.lower(): value for name, value in headers.items()}
    problems = []
    for name, expected in SECURITY_HEADERS.items():
        value = lowered.get(name.lower())
        if value is None:
            problems.append(f"no {name}")
        elif expected and expected not in value:
            problems.append(f"{name}: {value!r} lacks {expected!r}")
    return problems


def static_references(html: str) -> set[str]:
    """The /static/ paths a page's src, href and data-* attributes name."""
    return set(STATIC_REFERENCE.findall(html))


def css_references(css: str, css_path: str) -> set[str]:
    """The files a stylesheet names with url(), as absolute paths (data: URIs skipped)."""
    found = set()
    for reference in CSS_URL.findall(css):
        if reference.startswith(("data:", "#", "http:", "https:")):
            continue
        found.add(urlsplit(urljoin(css_path, reference)).path)
    return found


# --- Running it ----------------------------------------------------------------------


@dataclass
class Report:
    steps: list[tuple[str, float, str]] = field(default_factory=list)
    pages: list[tuple[str, int]] = field(default_factory=list)
    statics: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    cache_hits: int = 0

    def print(self) -> None:
        print("\n==== prod-smoke summary ====")
        for name, seconds, outcome in self.steps:
            print(f"  {outcome:<4} {seconds:6.1f} s  {name}")
        for path, status in self.pages:
            print(f"  {status}  {path}")
        print(
            f"  pages crawled: {len(self.pages)}, static files checked: {len(self.statics)}, "
            f"pages served again from the cache: {self.cache_hits}"
        )
        if self.failures:
            print(f"  FAILED: {len(self.failures)} problem(s)")
            for failure in self.failures:
                print(f"    - {failure}")
        else:
            print("  OK: every page answered, every static file exists, every header is set")


class Smoke:
    def __init__(self):
        self.database_url = os.environ.get(
            "SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/comptoir_smoke"
        )
        self.redis_url = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/15")
        self.port = int(os.environ.get("SMOKE_PORT", "18180"))
        self.deadline = time.monotonic() + float(os.environ.get("SMOKE_TIMEOUT", "900"))
        self.keep = os.environ.get("SMOKE_KEEP", "") not in {"", "0"}
        self.workdir = Path(tempfile.mkdtemp(prefix="comptoir-smoke-"))
        self.checkout = self.workdir / "comptoir"
        self.logs = self.workdir / "logs"
        self.logs.mkdir()
        self.processes: dict[str, subprocess.Popen] = {}
        self.report = Report()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(self.workdir)),
            "LANG": "C.UTF-8",
            "DJANGO_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{self.port}",
            "PUBLIC_URL": f"https://127.0.0.1:{self.port}",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CACHE_PREFIX": "comptoir-smoke",
            "HUEY_NAME": "comptoir-smoke",
            "COMPTOIR_VAR_DIR": str(self.checkout / "var"),
            "EMAIL_URL": f"file://{self.workdir / 'mail'}",
            # Crawling public pages never calls Stripe: fake keys of the right shape.
            "STRIPE_SECRET_KEY": "sk_test_prod_smoke_not_a_key",
            "STRIPE_WEBHOOK_SECRET": "whsec_prod_smoke",
            "STRIPE_CONNECT_WEBHOOK_SECRET": "whsec_prod_smoke_connect",
        }
        # What the README's recipe sets for every deployment (the proxy count...), unless
        # the smoke sets it for its own machine above (hosts, services).
        for name, value in release_exports(README.read_text()).items():
            self.env.setdefault(name, value)

    # -- helpers

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise SmokeError("SMOKE_TIMEOUT reached")
        return left

    def run(self, name: str, args: list[str], *, env: dict | None = None) -> str:
        started = time.monotonic()
        log = self.logs / f"{len(self.report.steps):02d}-{args[1] if len(args) > 1 else 'step'}.log"
        print(f"==> {name}", flush=True)
        try:
            result = subprocess.run(
                args,
                cwd=self.checkout,
                env={**self.env, **(env or {})},
                capture_output=True,
                text=True,
                timeout=self.remaining(),
            )
        except subprocess.TimeoutExpired as error:
            self.report.steps.append((name, time.monotonic() - started, "TIME"))
            raise SmokeError(f"{name}: still running at SMOKE_TIMEOUT") from error
        log.write_text(result.stdout + result.stderr)
        outcome = "ok" if result.returncode == 0 else "FAIL"
        self.report.steps.append((name, time.monotonic() - started, outcome))
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
            raise SmokeError(f"{name} failed (exit {result.returncode}):\n{tail}")
        return result.stdout

    def manage(self, name: str, *args: str, env: dict | None = None) -> str:
        return self.run(name, [sys.executable, "manage.py", *args], env=env)

    # -- steps

    def prepare_checkout(self) -> None:
        files = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=BASE_DIR,
            capture_output=True,
            check=True,
        ).stdout.split(b"\0")
        for name in filter(None, files):
            source = BASE_DIR / os.fsdecode(name)
            if source.is_file():
                target = self.checkout / os.fsdecode(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        print(f"==> Clean checkout of the working tree in {self.checkout}")

    def prepare_services(self) -> None:
        import psycopg
        import redis

        parts = urlsplit(self.database_url)
        name = parts.path.lstrip("/")
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise SmokeError(f"SMOKE_DATABASE_URL: unexpected database name {name!r}")
        admin_url = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        redis.Redis.from_url(self.redis_url, socket_timeout=10).flushdb()
        print(f"==> Fresh database {name}, emptied Redis {self.redis_url}")

    def build(self) -> None:
        for args in release_steps(README.read_text()):
            self.manage("python manage.py " + " ".join(args), *args)
        self.manage(
            "demo data: python manage.py seed_demo --past-orders 0",
            "seed_demo",
            "--past-orders",
            "0",
            env={"HUEY_IMMEDIATE": "1"},
        )

    def start(self, name: str, args: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            args,
            cwd=self.checkout,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with all its workers
        )

    def serve(self) -> None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise SmokeError(f"Port {self.port} is taken: SMOKE_PORT=... make prod-smoke")
        self.start(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
                "--access-logfile",
                "-",
            ],
        )
        self.start("huey", [sys.executable, "manage.py", "run_huey"])
        started = time.monotonic()
        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise SmokeError(f"{name} exited at start:\n{self.log_tail(name)}")
            try:
                status, _, _ = self.get("/")
            except OSError:
                status = None
            if status is not None:
                break
            if time.monotonic() - started > min(60, self.remaining()):
                raise SmokeError("gunicorn did not answer within 60 s")
            time.sleep(0.5)
        self.report.steps.append(
            ("gunicorn (2 workers) and one huey consumer", time.monotonic() - started, "ok")
        )

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text().splitlines()[-lines:]) if path.exists() else ""

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for name, process in self.processes.items():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                print(f"==> {name} did not stop in 15 s: SIGKILL", flush=True)
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=5)

    # -- crawling

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """One GET as the TLS proxy forwards it (no redirect followed)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(
                "GET",
                path,
                headers={
                    "Host": f"127.0.0.1:{self.port}",
                    "X-Forwarded-Proto": "https",
                    # The proxy appends the client's address (ALLAUTH_TRUSTED_PROXY_COUNT).
                    "X-Forwarded-For": CRAWLER_IP,
                    "Accept-Language": "fr",
                },
            )
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def page(self, path: str) -> str:
        """Crawl one page (following redirects on the site): status, headers, statics."""
        self.remaining()
        for _ in range(MAX_REDIRECTS):
            status, headers, body = self.get(path)
            self.report.pages.append((path, status))
            for problem in header_problems(headers):
                self.report.failures.append(f"{path}: {problem}")
            if not 200 <= status < 400:
                self.report.failures.append(f"{path}: status {status}")
                return ""
            if 300 <= status < 400:
                location = urlsplit(headers.get("Location", ""))
                if location.netloc and location.netloc != f"127.0.0.1:{self.port}":
                    self.report.failures.append(f"{path}: redirects off the site to {location}")
                    return ""
                path = location.path + (f"?{location.query}" if location.query else "")
                continue
            text = body.decode("utf-8", "replace")
            if "html" in headers.get("Content-Type", ""):
                for reference in static_references(text):
                    self.static(reference, referrer=path)
            return text
        self.report.failures.append(f"{path}: more than {MAX_REDIRECTS} redirects")
        return ""

    def static(self, path: str, *, referrer: str) -> None:
        if path in self.report.statics:
            return
        self.report.statics.add(path)
        status, headers, body = self.get(path)
        if status != 200:
            self.report.failures.append(f"{referrer} names {path}: status {status}")
            return
        if path.endswith(".css"):
            for reference in css_references(body.decode("utf-8", "replace"), path):
                self.static(reference, referrer=path)

    def targets(self) -> list[str]:
        """One URL of each public page type, read from the seeded database."""
        script = """
import datetime
import json
from django.urls import reverse
from django.utils import translation
from cms.models import (OfferIndexPage, ProviderIndexPage, ProviderPage, StandardPage,
                        TransparencyPage)
from marketplace.models import OfferPage, ProviderCategory

start = datetime.date.today() + datetime.timedelta(days=30)
end = start + datetime.timedelta(days=3)
with translation.override("fr"):
    offers = OfferIndexPage.objects.live().first().url
    category = ProviderCategory.objects.order_by("pk").first()
    urls = ["/", "/en/", offers,
            offers + "?kind=stay&category=" + category.slug,
            offers + "?kind=activity&ordering=price",
            offers + "?q=camping&kind=product&page=1",
            offers + f"?kind=stay&start={start}&end={end}&guests=2",
            ProviderIndexPage.objects.live().first().url,
            ProviderPage.objects.live().first().url,
            TransparencyPage.objects.live().first().url]
    urls += [page.url for page in StandardPage.objects.live()]
    for kind in ("stay", "activity", "product"):
        offer = OfferPage.objects.live().filter(kind=kind).first()
        urls.append(offer.specific.url)
    urls += [reverse("cart"), reverse("account_login"), reverse("account_signup"),
             reverse("account_reset_password"), reverse("provider_apply"),
             "/api/offers/", "/api/offers/?kind=stay", "/api/providers/",
             "/admin/login/", "/admin/"]
print(json.dumps(urls))
"""
        output = self.manage("list the pages to crawl", "shell", "-c", script)
        return json.loads(output.strip().splitlines()[-1])

    def crawl(self) -> None:
        started = time.monotonic()
        for path in self.targets():
            try:
                self.page(path)
            except OSError as error:
                self.report.failures.append(f"{path}: {error}")
        self.cache_hits()
        for name, process in self.processes.items():
            if process.poll() is not None:
                self.report.failures.append(f"{name} stopped during the crawl")
        if "Traceback" in self.log_tail("huey", 200):
            self.report.failures.append("the huey consumer logged a traceback")
        outcome = "FAIL" if self.report.failures else "ok"
        self.report.steps.append(("crawl", time.monotonic() - started, outcome))

    def cache_hits(self) -> None:
        """The pages answered 200 once, again: anonymous pages now come from the page
        cache, which must send the same security headers as the page it stored."""
        hits = 0
        for path in [path for path, status in self.report.pages if status == 200]:
            status, headers, _body = self.get(path)
            hits += headers.get(CACHE_HEADER) == "hit"
            for problem in header_problems(headers):
                self.report.failures.append(
                    f"{path} (again, {CACHE_HEADER}: {headers.get(CACHE_HEADER)}): {problem}"
                )
        if not hits:
            self.report.failures.append(f"no page came from the cache ({CACHE_HEADER}: hit)")
        self.report.cache_hits = hits

    def cleanup(self) -> None:
        self.stop()
        if self.keep:
            print(f"==> SMOKE_KEEP: checkout and logs kept in {self.workdir}")
            return
        if self.report.failures:
            for name in ("gunicorn", "huey"):
                tail = self.log_tail(name, 40)
                if tail:
                    print(f"---- last lines of {name} ----\n{tail}")
        shutil.rmtree(self.workdir, ignore_errors=True)
        try:
            import psycopg

            parts = urlsplit(self.database_url)
            admin_url = parts._replace(path="/postgres").geturl()
            with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
                connection.execute(
                    f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)'
                )
        except Exception as error:  # noqa: BLE001  (a leftover database is not a failure)
            print(f"==> could not drop the smoke database: {error}")


def _stop_on_signal(signum, frame):
    raise SmokeError(f"stopped by signal {signal.Signals(signum).name}")


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    smoke = Smoke()
    try:
        smoke.prepare_checkout()
        smoke.prepare_services()
        smoke.build()
        smoke.serve()
        smoke.crawl()
    except (SmokeError, KeyboardInterrupt) as error:
        smoke.report.failures.append(str(error) or "interrupted")
    finally:
        smoke.cleanup()
    smoke.report.print()
    return 1 if smoke.report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
