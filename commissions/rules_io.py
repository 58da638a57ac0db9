"""Rules as data: export and import of a territory's beneficiaries, keys and rules.

The documented JSON format of ``manage.py commission_rules export|import`` (and of the
demo's rules). Importing saves drafts and revisions as the admin would; publishing runs
the same go-live guards (:mod:`commissions.golive`). What must not live here: the guards
themselves, the workflow (:mod:`commissions.governance`).
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from commissions.models import (
    SEASON_FIELDS,
    Beneficiary,
    BeneficiaryKind,
    CommissionRule,
    DistributionKey,
    DistributionShare,
    shares_total_error,
)
from commissions.selectors import live_rules_queryset


def rules_export(*, site) -> dict:
    """The territory's live beneficiaries, keys and rules in the documented JSON format."""
    keys = DistributionKey.objects.filter(site=site, live=True).prefetch_related(
        "shares__beneficiary"
    )
    return {
        "beneficiaries": [
            {
                "key": b.key,
                "name": b.name,
                "kind": b.kind,
                "stripe_account": b.stripe_account,
                **({"email": b.email} if b.email else {}),
            }
            for b in Beneficiary.objects.filter(site=site, live=True).order_by("key")
        ],
        "distribution_keys": [
            {
                "key": k.key,
                "name": k.name,
                "shares": {s.beneficiary.key: f"{s.percentage:.2f}" for s in k.shares.all()},
            }
            for k in keys.order_by("key")
        ],
        "rules": [
            {
                "key": r.key,
                "name": r.name,
                "explanation": r.explanation,
                "scope": {
                    "categories": sorted(c.slug for c in r.categories.all()),
                    "kinds": sorted(r.kinds or []),
                    "providers": sorted(p.slug for p in r.providers.all()),
                    "communes": sorted(r.communes or []),
                    "labels": sorted(label.slug for label in r.labels.all()),
                },
                "valid_from": r.valid_from.isoformat() if r.valid_from else None,
                "valid_until": r.valid_until.isoformat() if r.valid_until else None,
                "season": _season_export(r),
                "provider": {
                    "rate": f"{r.provider_rate:.2f}",
                    "fixed": r.provider_fixed,
                    "min": r.provider_min,
                    "max": r.provider_max,
                },
                "visitor": {
                    "rate": f"{r.visitor_rate:.2f}",
                    "fixed": r.visitor_fixed,
                    "min": r.visitor_min,
                    "max": r.visitor_max,
                },
                "distribution": r.distribution.key,
            }
            for r in live_rules_queryset(site_id=site.pk)
        ],
    }


def _season_export(rule) -> dict | None:
    """``{"start": "07-01", "end": "08-31"}`` (month-day of the service), or None."""
    season = rule.season
    if season is None:
        return None
    return {
        "start": f"{season.start_month:02d}-{season.start_day:02d}",
        "end": f"{season.end_month:02d}-{season.end_day:02d}",
    }


class RulesImportError(ValidationError):
    """Invalid import data; the message names the bad field."""


def _fail(path: str, message: str):
    raise RulesImportError(f"{path}: {message}")


def _rate(path: str, value) -> Decimal:
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, TypeError):
        _fail(path, _("not a percentage"))
    if not rate.is_finite() or rate < 0 or rate > 100 or rate != rate.quantize(Decimal("0.01")):
        _fail(path, _("a percentage between 0 and 100 with at most two decimals is expected"))
    return rate


def _cents(path: str, value, *, nullable: bool):
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 10**9:
        _fail(path, _("an amount in cents (a whole number, not negative) is expected"))
    return value


def _date(path: str, value):
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        _fail(path, _("a date YYYY-MM-DD is expected"))


def _month_day(path: str, value) -> tuple[int, int]:
    """ "07-01" as (7, 1); a day that no year has is refused."""
    try:
        month, day = (int(part) for part in str(value).split("-"))
        dt.date(2000, month, day)
    except (TypeError, ValueError):
        _fail(path, _("a day of the year MM-DD is expected"))
    return month, day


def _season(path: str, value) -> tuple[int | None, ...]:
    """(start day, start month, end day, end month), all None when there is no season."""
    if value in (None, {}):
        return (None, None, None, None)
    if not isinstance(value, dict) or "start" not in value or "end" not in value:
        _fail(path, _("an object with start and end (MM-DD) is expected"))
    start_month, start_day = _month_day(f"{path}.start", value["start"])
    end_month, end_day = _month_day(f"{path}.end", value["end"])
    return (start_day, start_month, end_day, end_month)


def _slugs(path: str, model_label: str, slugs, *, site=None):
    if not isinstance(slugs, list):
        _fail(path, _("a list is expected"))
    model = apps.get_model(*model_label.split("."))
    queryset = model.objects.filter(slug__in=slugs)
    if site is not None and hasattr(model, "site"):
        queryset = queryset.filter(site=site)
    found = {obj.slug: obj for obj in queryset}
    missing = [s for s in slugs if s not in found]
    if missing:
        _fail(path, _("unknown: %(list)s") % {"list": ", ".join(map(str, missing))})
    return [found[s] for s in slugs]


@transaction.atomic
def rules_import(*, site, data: dict, publish: bool = False, user=None) -> dict:
    """Load beneficiaries, keys and rules for ``site``: all of it, or nothing.

    Existing objects with the same key are updated. Beneficiaries, keys and rules are
    saved as draft revisions unless ``publish`` (the live values stay until the council
    approves them, or the import publishes); publishing runs the same go-live checks as
    the admin (ties, beneficiaries inactive or not live, keys not live).
    """
    if not isinstance(data, dict):
        _fail("$", _("a JSON object is expected"))
    counts = {"beneficiaries": 0, "distribution_keys": 0, "rules": 0}
    beneficiaries = {b.key: b for b in Beneficiary.objects.filter(site=site)}
    for i, item in enumerate(data.get("beneficiaries", [])):
        path = f"beneficiaries[{i}]"
        try:
            key, name = item["key"], item["name"]
        except (KeyError, TypeError):
            _fail(path, _("key and name are required"))
        kind = item.get("kind", BeneficiaryKind.OTHER)
        if kind not in BeneficiaryKind.values:
            _fail(f"{path}.kind", _("unknown kind %(kind)s") % {"kind": kind})
        existing = beneficiaries.get(key)
        obj = (
            existing.get_latest_revision_as_object()
            if existing is not None
            else Beneficiary(site=site, key=key)
        )
        obj.name, obj.kind = name, kind
        obj.stripe_account = item.get("stripe_account") or ""
        if "email" in item:  # optional: a file without it keeps the address known
            obj.email = item.get("email") or ""
        _full_clean(path, obj, exclude=["site"])
        _save_versioned(path, obj, publish=publish, user=user)
        beneficiaries[key] = obj
        counts["beneficiaries"] += 1

    keys = {k.key: k for k in DistributionKey.objects.filter(site=site)}
    for i, item in enumerate(data.get("distribution_keys", [])):
        path = f"distribution_keys[{i}]"
        try:
            key, name, shares = item["key"], item["name"], item["shares"]
        except (KeyError, TypeError):
            _fail(path, _("key, name and shares are required"))
        if not isinstance(shares, dict) or not shares:
            _fail(f"{path}.shares", _("an object of beneficiary key to percentage is expected"))
        obj = keys.get(key) or DistributionKey(site=site, key=key)
        obj.name = name
        share_objs = []
        for j, (beneficiary_key, percentage) in enumerate(shares.items()):
            if beneficiary_key not in beneficiaries:
                _fail(f"{path}.shares.{beneficiary_key}", _("unknown beneficiary"))
            share_objs.append(
                DistributionShare(
                    beneficiary=beneficiaries[beneficiary_key],
                    percentage=_rate(f"{path}.shares.{beneficiary_key}", percentage),
                    sort_order=j,
                )
            )
        error = shares_total_error([s.percentage for s in share_objs])
        if error:
            _fail(f"{path}.shares", error.messages[0])
        obj.shares = share_objs
        _full_clean(path, obj, exclude=["site"])
        _save_versioned(path, obj, publish=publish, user=user)
        keys[key] = obj
        counts["distribution_keys"] += 1

    rules = {r.key: r for r in CommissionRule.objects.filter(site=site)}
    kind_values = {
        value
        for value, _label in apps.get_model("marketplace", "OfferPage")
        ._meta.get_field("kind")
        .choices
    }
    for i, item in enumerate(data.get("rules", [])):
        path = f"rules[{i}]"
        if not isinstance(item, dict) or "key" not in item or "name" not in item:
            _fail(path, _("key and name are required"))
        obj = rules.get(item["key"]) or CommissionRule(site=site, key=item["key"])
        obj.name = item["name"]
        obj.explanation = item.get("explanation") or ""
        scope = item.get("scope") or {}
        kinds = scope.get("kinds") or []
        bad = [k for k in kinds if k not in kind_values]
        if bad:
            _fail(f"{path}.scope.kinds", _("unknown: %(list)s") % {"list": ", ".join(bad)})
        obj.kinds = list(kinds)
        obj.communes = [str(c) for c in scope.get("communes") or []]
        obj.categories = _slugs(
            f"{path}.scope.categories",
            "marketplace.ProviderCategory",
            scope.get("categories") or [],
        )
        obj.providers = _slugs(
            f"{path}.scope.providers",
            "marketplace.Provider",
            scope.get("providers") or [],
            site=site,
        )
        obj.labels = _slugs(f"{path}.scope.labels", "marketplace.Label", scope.get("labels") or [])
        obj.valid_from = _date(f"{path}.valid_from", item.get("valid_from"))
        obj.valid_until = _date(f"{path}.valid_until", item.get("valid_until"))
        for name, value in zip(
            SEASON_FIELDS, _season(f"{path}.season", item.get("season")), strict=True
        ):
            setattr(obj, name, value)
        for side in ("provider", "visitor"):
            values = item.get(side) or {}
            if not isinstance(values, dict):
                _fail(f"{path}.{side}", _("an object is expected"))
            setattr(obj, f"{side}_rate", _rate(f"{path}.{side}.rate", values.get("rate", "0")))
            setattr(
                obj,
                f"{side}_fixed",
                _cents(f"{path}.{side}.fixed", values.get("fixed", 0), nullable=False),
            )
            setattr(
                obj, f"{side}_min", _cents(f"{path}.{side}.min", values.get("min"), nullable=True)
            )
            setattr(
                obj, f"{side}_max", _cents(f"{path}.{side}.max", values.get("max"), nullable=True)
            )
        distribution = keys.get(item.get("distribution"))
        if distribution is None:
            _fail(f"{path}.distribution", _("unknown distribution key"))
        obj.distribution = distribution
        _full_clean(path, obj, exclude=["site", "distribution"])
        _save_versioned(path, obj, publish=publish, user=user)
        rules[obj.key] = obj
        counts["rules"] += 1
    return counts


def _full_clean(path: str, obj, *, exclude):
    try:
        obj.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        if hasattr(exc, "message_dict"):
            field, messages = next(iter(exc.message_dict.items()))
            _fail(f"{path}.{field}", "; ".join(messages))
        _fail(path, "; ".join(exc.messages))


def _save_versioned(path: str, obj, *, publish: bool, user) -> None:
    """Save a draft-state snippet as a new revision, published when asked; a refusal
    (validation, go-live checks) fails the import at ``path``."""
    try:
        if obj.pk is None:
            obj.live = False
            obj.save()
        revision = obj.save_revision(user=user)
        if publish:
            revision.publish(user=user)
    except ValidationError as exc:
        _fail(path, exc.messages[0])
