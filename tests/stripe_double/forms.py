"""Form decoding, fixture templates and Stripe-shaped errors for the Stripe double."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl

# Stripe's published example objects (stripe/openapi fixtures3.json), kept beside the
# double so that a clean clone of the project has them.
FIXTURES = Path(__file__).resolve().parent / "fixtures3.json"

_KEY_PART = re.compile(r"\[([^\]]*)\]")


class StripeError(Exception):
    """An API error answered with Stripe's error shape."""

    def __init__(self, message, *, status=400, code=None, param=None, type="invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type, "code": code, "message": message, "param": param}}
        if code is None:
            del self.body["error"]["code"]
        if param is None:
            del self.body["error"]["param"]


@cache
def _fixtures() -> dict:
    return json.loads(FIXTURES.read_text())["resources"]


def template(resource: str) -> dict:
    """A deep copy of Stripe's published fixture object for ``resource``."""
    return copy.deepcopy(_fixtures()[resource])


def fixture_keys(resource: str) -> set[str]:
    return set(_fixtures()[resource])


def _split_key(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    parts = [head]
    if rest:
        parts += _KEY_PART.findall("[" + rest)
    return parts


def _listify(value):
    if isinstance(value, dict):
        value = {k: _listify(v) for k, v in value.items()}
        if value and all(k.isdigit() for k in value):
            return [value[k] for k in sorted(value, key=int)]
        if value and all(k == "" for k in value):  # a[]=x form
            return list(value.values())
    return value


def decode_form(body: str | bytes | None) -> dict:
    """Decode ``a[b][c]=x&a[d][0]=y`` (stripe-python's encoding) into nested dicts and lists."""
    if not body:
        return {}
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    result: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = _split_key(key)
        node = result
        for i, part in enumerate(parts[:-1]):
            if part == "" and i > 0:
                part = str(len(node))
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise StripeError(f"Invalid parameter: {key}", code="parameter_invalid_string")
        last = parts[-1]
        if last == "":
            last = str(len(node))
        node[last] = value
    return _listify(result)


def check_params(params: dict, allowed: set[str]) -> None:
    for name in params:
        if name not in allowed and name != "expand":
            raise StripeError(
                f"Received unknown parameter: {name}", code="parameter_unknown", param=name
            )


def integer(params: dict, name: str, *, required=False, default=None) -> int | None:
    if name not in params or params[name] == "":
        if required:
            raise StripeError(
                f"Missing required param: {name}.", code="parameter_missing", param=name
            )
        return default
    try:
        value = int(params[name])
    except (TypeError, ValueError):
        raise StripeError(
            f"Invalid integer: {params[name]}", code="parameter_invalid_integer", param=name
        ) from None
    if value < 0:
        raise StripeError(
            "This value must be greater than or equal to 0.",
            code="parameter_invalid_integer",
            param=name,
        )
    return value


def required(params: dict, name: str):
    if name not in params or params[name] in ("", None):
        raise StripeError(f"Missing required param: {name}.", code="parameter_missing", param=name)
    return params[name]


def metadata(params: dict, current: dict | None = None) -> dict:
    result = dict(current or {})
    value = params.get("metadata")
    if value == "":
        return {}
    if isinstance(value, dict):
        for k, v in value.items():
            if v == "":
                result.pop(k, None)
            else:
                result[k] = str(v)
    return result


def truthy(value) -> bool:
    return str(value).lower() in ("true", "1")
