"""Login rate limits behind the production proxy.

allauth counts failed logins per client IP and per account in the default cache. Behind
a reverse proxy every request comes from the proxy's address: unless allauth is told how
many proxies to trust (``ALLAUTH_TRUSTED_PROXY_COUNT``) and reads the client's address in
``X-Forwarded-For``, one attacker's failures would lock every visitor out.
"""

import os
import re
import secrets

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.config.test_settings import manage
from tests.conftest import make_user

PASSWORD = "correct-horse-battery"
PROXY = "10.0.0.1"  # the reverse proxy, REMOTE_ADDR of every request
ATTACKER = "203.0.113.7"
VISITOR = "198.51.100.23"


def client_behind_proxy(ip: str) -> Client:
    """A browser at ``ip``, reaching the site through the proxy (which appends its peer)."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{ip}")


def log_in(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def behind_one_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


@pytest.mark.django_db
def test_an_attackers_failed_logins_do_not_lock_out_other_visitors(behind_one_proxy):
    make_user("visiteur@example.org", password=PASSWORD)
    attacker = client_behind_proxy(ATTACKER)
    # Ten wrong passwords, spread over ten accounts (so that no account's own limit is hit).
    for n in range(10):
        response = log_in(attacker, f"cible{n}@example.org", "wrong-password")
        assert response.status_code == 200 and not signed_in(attacker)
    assert "Trop de tentatives" not in response.content.decode()

    # The attacker's client is limited now, even with a right password ...
    make_user("complice@example.org", password=PASSWORD)
    response = log_in(attacker, "complice@example.org", PASSWORD)
    assert not signed_in(attacker)
    assert "Trop de tentatives de connexion échouées" in response.content.decode()

    # ... while another visitor, through the same proxy, still signs in.
    visitor = client_behind_proxy(VISITOR)
    response = log_in(visitor, "visiteur@example.org", PASSWORD)
    assert response.status_code == 302
    assert signed_in(visitor)


@pytest.mark.django_db
def test_without_the_proxy_count_one_attacker_locks_everyone_out(settings):
    """Why the setting matters: every request would count against the proxy's address."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    make_user("visiteur@example.org", password=PASSWORD)
    attacker = client_behind_proxy(ATTACKER)
    for n in range(10):
        log_in(attacker, f"cible{n}@example.org", "wrong-password")
    visitor = client_behind_proxy(VISITOR)
    log_in(visitor, "visiteur@example.org", PASSWORD)
    assert not signed_in(visitor)


@pytest.mark.django_db
def test_failed_logins_are_limited_per_account_whatever_the_address(behind_one_proxy):
    """Five wrong passwords for one account, from five addresses, stop password guessing on
    that account for five minutes; the other accounts are not affected."""
    make_user("visiteur@example.org", password=PASSWORD)
    make_user("voisine@example.org", password=PASSWORD)
    for n in range(5):
        log_in(client_behind_proxy(f"192.0.2.{n + 1}"), "visiteur@example.org", "wrong")

    response = log_in(client_behind_proxy("192.0.2.99"), "visiteur@example.org", PASSWORD)
    assert "Trop de tentatives de connexion échouées" in response.content.decode()

    neighbour = client_behind_proxy("192.0.2.99")
    assert log_in(neighbour, "voisine@example.org", PASSWORD).status_code == 302
    assert signed_in(neighbour)

    # The account's owner is not shut out: a code sent by e-mail still signs them in.
    owner = client_behind_proxy("192.0.2.100")
    owner.post(reverse("account_request_login_code"), {"email": "visiteur@example.org"})
    code = re.search(r"^\s*([A-Z0-9-]{4,})\s*$", mail.outbox[-1].body, re.MULTILINE).group(1)
    assert owner.post(reverse("account_confirm_login_code"), {"code": code}).status_code == 302
    assert signed_in(owner)


# Ten failed logins from one address in one process, then one more attempt in another.
FAIL_LOGINS = """
from django.test import RequestFactory
from allauth.core import ratelimit
request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="203.0.113.7")
allowed = [
    ratelimit.consume(request, action="login_failed", key=f"cible{{n}}@example.org")
    for n in range({count})
]
print(sum(allowed))
"""


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (the PostgreSQL lane)")
def test_two_processes_share_the_counts_under_redis_url(tmp_path):
    """Gunicorn's workers are separate processes: what one counted, the next one sees."""
    env = {"REDIS_URL": os.environ["REDIS_URL"], "CACHE_PREFIX": f"t{secrets.token_hex(6)}"}

    def attempts(count: int) -> int:
        code = FAIL_LOGINS.format(count=count)
        result = manage("shell", "--verbosity=0", "-c", code, env=env, tmp_path=tmp_path)
        assert result.returncode == 0, result.stderr
        return int(result.stdout.strip())

    assert attempts(10) == 10  # allowed, and counted
    assert attempts(1) == 0  # another process: the address's 10 a minute are spent


def test_the_proxy_count_and_the_shared_cache_come_from_the_environment(tmp_path):
    code = (
        "from django.conf import settings; "
        "print(settings.ALLAUTH_TRUSTED_PROXY_COUNT); "
        "print(settings.CACHES['default']['BACKEND'])"
    )
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        code,
        env={"ALLAUTH_TRUSTED_PROXY_COUNT": "1", "REDIS_URL": "redis://127.0.0.1:6379/6"},
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1", "django.core.cache.backends.redis.RedisCache"]

    result = manage("shell", "--verbosity=0", "-c", code, env={}, tmp_path=tmp_path)
    assert result.stdout.split()[0] == "0"  # no proxy unless told: X-Forwarded-For is ignored


def test_a_proxy_count_that_is_not_a_number_is_refused(tmp_path):
    result = manage("check", env={"ALLAUTH_TRUSTED_PROXY_COUNT": "one"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ALLAUTH_TRUSTED_PROXY_COUNT" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 2])
def test_a_request_without_the_proxys_header_is_no_server_error(client, settings, count):
    """Reached directly (no X-Forwarded-For, or fewer entries than proxies): the address of
    the connection is used, never a 500 (allauth raises ImproperlyConfigured for the short
    header)."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
    make_user("visiteur@example.org", password=PASSWORD)
    for headers in ({}, {"HTTP_X_FORWARDED_FOR": VISITOR}):
        direct = Client(REMOTE_ADDR=PROXY, raise_request_exception=False, **headers)
        assert direct.get("/accounts/login/").status_code == 200
        response = log_in(direct, "visiteur@example.org", "wrong-password")
        assert response.status_code == 200
        assert log_in(direct, "visiteur@example.org", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_client_address_behind_two_proxies(rf, settings):
    from allauth.account.adapter import get_adapter

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{ATTACKER}, 10.0.0.2")
    assert get_adapter(request).get_client_ip(request) == ATTACKER
    short = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert get_adapter(short).get_client_ip(short) == PROXY
