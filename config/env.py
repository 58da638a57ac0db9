"""Small readers for environment variables, so settings stay declarative."""

import os
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def email_settings(url: str) -> dict:
    """Translate EMAIL_URL into Django e-mail settings.

    Supported: ``console://``, ``locmem://``, ``file:///path/to/dir`` and
    ``smtp://user:password@host:port`` (``smtps://`` for implicit TLS,
    ``?tls=1`` for STARTTLS).
    """
    parsed = urlparse(url)
    scheme = parsed.scheme
    if scheme == "console":
        return {"EMAIL_BACKEND": "config.console_mail.EmailBackend"}
    if scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parsed.path,
        }
    if scheme in {"smtp", "smtps"}:
        query = parse_qs(parsed.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parsed.hostname or "localhost",
            "EMAIL_PORT": parsed.port or (465 if scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parsed.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_USE_TLS": query.get("tls", ["0"])[0] in {"1", "true"},
        }
    raise ImproperlyConfigured(f"EMAIL_URL: unsupported scheme {scheme!r}")


def env_int(name: str, default: int = 0, *, minimum: int | None = None) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def public_url_parse(name: str, value: str, *, https: bool) -> str:
    """``value``, the address people reach the site at, checked and without its trailing
    slash: a scheme (``https`` when ``https`` is set) and a host, an optional port, no
    path, query or fragment (links add their own path)."""
    parsed = urlparse(value.strip())
    schemes = {"https"} if https else {"http", "https"}
    try:
        parsed.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        parsed = parsed._replace(netloc="")
    if (
        parsed.scheme not in schemes
        or not parsed.hostname
        or parsed.path not in {"", "/"}
        or parsed.params
        or parsed.query
        or parsed.fragment
        or parsed.username
        or parsed.password
    ):
        raise ImproperlyConfigured(
            f"{name} must be the site's public address, such as "
            f"{'https://comptoir.example.org' if https else 'http://127.0.0.1:8000'} "
            f"(scheme {' or '.join(sorted(schemes))}, host, optional port, no path), "
            f"not {value!r}"
        )
    return f"{parsed.scheme}://{parsed.netloc}"
