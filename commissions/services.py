"""Writes of the commission module: publishing guards, import and export of rules."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from wagtail.signals import published, unpublished

from commissions.dates import territory_today
from commissions.engine import RuleSpec, find_ties
from commissions.models import (
    SEASON_FIELDS,
    Beneficiary,
    BeneficiaryKind,
    CommissionRule,
    DistributionKey,
    DistributionShare,
    shares_total_error,
)
from commissions.selectors import live_rules_invalidate, live_rules_queryset


class RuleTieError(ValidationError):
    """Publishing this rule would make two rules equally specific for a booking."""


# The state of the other rule a tie is found with (``tie_state`` on the rule returned).
TIE_LIVE = "live"
TIE_SCHEDULED = "scheduled"
TIE_IN_REVIEW = "in_review"


def rule_versions_to_compare(*, site_id: int, exclude_pk: int | None = None) -> list:
    """Every version of the territory's other rules that is or may become live.

    Live rules (their live content), scheduled revisions (approved, with a future
    go-live) and the submitted revision of each rule in review, each a
    :class:`CommissionRule` with ``tie_state`` (``TIE_LIVE``, ``TIE_SCHEDULED``,
    ``TIE_IN_REVIEW``) and ``tie_go_live_at``. The rule ``exclude_pk`` is left out
    whole: its draft replaces its live and scheduled versions.
    """
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Revision, WorkflowState

    versions = []
    for rule in live_rules_queryset(site_id=site_id):
        if rule.pk != exclude_pk:
            rule.tie_state, rule.tie_go_live_at = TIE_LIVE, None
            versions.append(rule)
    content_type = ContentType.objects.get_for_model(CommissionRule)
    excluded = str(exclude_pk) if exclude_pk is not None else None
    scheduled = Revision.objects.filter(
        base_content_type=content_type, approved_go_live_at__isnull=False
    ).order_by("approved_go_live_at", "pk")
    pending = [(revision, TIE_SCHEDULED, revision.approved_go_live_at) for revision in scheduled]
    states = (
        WorkflowState.objects.filter(
            base_content_type=content_type, status=WorkflowState.STATUS_IN_PROGRESS
        )
        .select_related("current_task_state__revision")
        .order_by("created_at", "pk")
    )
    pending += [
        (state.current_task_state.revision, TIE_IN_REVIEW, None)
        for state in states
        if state.current_task_state_id and state.current_task_state.revision_id
    ]
    for revision, tie_state, go_live_at in pending:
        if revision.object_id == excluded:
            continue
        rule = revision.as_object()
        if rule.site_id != site_id:
            continue
        rule.tie_state, rule.tie_go_live_at = tie_state, go_live_at
        versions.append(rule)
    return versions


def rule_ties(
    *, site_id: int, spec: RuleSpec, exclude_pk: int | None = None
) -> list[CommissionRule]:
    """The territory's rules that would tie with ``spec`` for some booking made from
    today on: live ones, scheduled revisions and drafts in review (see
    :func:`rule_versions_to_compare`). A rule that ended before today ties with none."""
    today = territory_today()
    return [
        other
        for other in rule_versions_to_compare(site_id=site_id, exclude_pk=exclude_pk)
        if find_ties(spec, [other.to_spec()], since=today)
    ]


def tie_state_words(rule) -> str:
    """ "live", "scheduled to go live on …", "awaiting approval" (the other rule's state)."""
    state = getattr(rule, "tie_state", TIE_LIVE)
    if state == TIE_SCHEDULED:
        go_live_at = rule.tie_go_live_at
        return _("scheduled to go live on %(date)s") % {
            "date": date_format(timezone.localtime(go_live_at), "j F Y H:i") if go_live_at else "?"
        }
    if state == TIE_IN_REVIEW:
        return pgettext("commission rule state", "awaiting approval")
    return pgettext("commission rule state", "live")


def rule_tie_error(ties: list[CommissionRule]) -> RuleTieError:
    """The error naming the other rules and their state (live, scheduled, in review)."""
    if len(ties) == 1 and getattr(ties[0], "tie_state", TIE_LIVE) == TIE_LIVE:
        return RuleTieError(
            _(
                "This rule would apply to the same bookings as the live rule “%(other)s” "
                "with the same precision. Narrow its scope or validity, or change the "
                "other rule first."
            )
            % {"other": ties[0].name},
            code="rule_tie",
        )
    others = ", ".join(
        _("“%(name)s” (%(state)s)") % {"name": r.name, "state": tie_state_words(r)} for r in ties
    )
    return RuleTieError(
        _(
            "This rule would apply to the same bookings as another rule with the same "
            "precision: %(others)s. Narrow its scope, validity or season, or change or "
            "withdraw the other rule first."
        )
        % {"others": others},
        code="rule_tie",
    )


def rule_distribution_error(*, distribution: DistributionKey | None) -> ValidationError | None:
    """The error when a rule would go live sharing by a key the council has not approved."""
    if distribution is None or distribution.live:
        return None
    return ValidationError(
        _(
            "The distribution key “%(key)s” is not approved yet: a rule can only go live "
            "with a live key. Submit the key for approval first."
        )
        % {"key": distribution.name},
        code="distribution_not_live",
    )


def rule_ties_check(*, rule: CommissionRule) -> None:
    """Raise :class:`RuleTieError` naming the other rule when ``rule`` would tie with a
    live rule, a scheduled revision or a draft in review."""
    ties = rule_ties(site_id=rule.site_id, spec=rule.to_spec(), exclude_pk=rule.pk)
    if ties:
        raise rule_tie_error(ties)


def distribution_key_beneficiaries_error(*, site_id, beneficiaries) -> ValidationError | None:
    """The error when a key of territory ``site_id`` would share with a beneficiary of
    another territory, or one that is inactive or not live.

    ``beneficiaries`` are the key's beneficiaries (instances or primary keys); their
    database rows are read, which hold the approved values of live beneficiaries.
    (Payouts and the public page look beneficiaries up in the key's territory.)
    """
    ids = {getattr(b, "pk", b) for b in beneficiaries}
    rows = list(Beneficiary.objects.filter(pk__in=ids))
    foreign = sorted(b.name for b in rows if b.site_id != site_id)
    if foreign:
        return ValidationError(
            _(
                "This distribution key shares with “%(names)s”, which belongs to another "
                "territory. A key shares only among the beneficiaries of its own territory."
            )
            % {"names": "”, “".join(foreign)},
            code="beneficiary_elsewhere",
        )
    refused = sorted(b.name for b in rows if not (b.live and b.active))
    if not refused:
        return None
    return ValidationError(
        _(
            "This distribution key shares with “%(names)s”, which is inactive or not yet "
            "approved by the council. A key can only go live sharing among active, "
            "approved beneficiaries: approve or reactivate the beneficiary first, or "
            "give its share to another one."
        )
        % {"names": "”, “".join(refused)},
        code="beneficiary_inactive",
    )


def distribution_key_go_live_check(*, key: DistributionKey) -> None:
    """Raise a ValidationError when ``key`` (as it would go live) names a beneficiary
    that is inactive or not live."""
    error = distribution_key_beneficiaries_error(
        site_id=key.site_id, beneficiaries=[share.beneficiary_id for share in key.shares.all()]
    )
    if error:
        raise error


def live_keys_sharing_with(*, beneficiary: Beneficiary):
    """The live distribution keys that give ``beneficiary`` a share, by name."""
    return (
        DistributionKey.objects.filter(
            live=True, shares__beneficiary_id=beneficiary.pk, shares__percentage__gt=0
        )
        .distinct()
        .order_by("name")
    )


def beneficiary_deactivation_error(*, beneficiary: Beneficiary) -> ValidationError | None:
    """The error when ``beneficiary`` would go live inactive while a live distribution key
    still allocates it a share, else None."""
    if beneficiary.active or beneficiary.pk is None:
        return None
    names = [k.name for k in live_keys_sharing_with(beneficiary=beneficiary)]
    if not names:
        return None
    return ValidationError(
        _(
            "“%(beneficiary)s” cannot be deactivated: the live distribution key "
            "“%(keys)s” still gives it a share. Submit a change of that key first, "
            "then deactivate the beneficiary."
        )
        % {"beneficiary": beneficiary.name, "keys": "”, “".join(names)},
        code="beneficiary_allocated",
    )


def beneficiary_move_error(*, beneficiary: Beneficiary) -> ValidationError | None:
    """The error when ``beneficiary`` would go live in another territory while a live
    distribution key of its territory still allocates it a share (payouts look a key's
    beneficiaries up in the key's territory), else None."""
    if beneficiary.pk is None:
        return None
    keys = live_keys_sharing_with(beneficiary=beneficiary).exclude(site_id=beneficiary.site_id)
    names = [k.name for k in keys]
    if not names:
        return None
    return ValidationError(
        _(
            "“%(beneficiary)s” cannot move to another territory: the live distribution "
            "key “%(keys)s” still gives it a share. Submit a change of that key first."
        )
        % {"beneficiary": beneficiary.name, "keys": "”, “".join(names)},
        code="beneficiary_allocated_elsewhere",
    )


def beneficiary_go_live_error(*, beneficiary: Beneficiary) -> ValidationError | None:
    """Why ``beneficiary`` cannot go live as it is (deactivated or moved while a live key
    allocates it a share), else None."""
    return beneficiary_deactivation_error(beneficiary=beneficiary) or beneficiary_move_error(
        beneficiary=beneficiary
    )


def beneficiary_go_live_check(*, beneficiary: Beneficiary) -> None:
    """Raise a ValidationError when ``beneficiary`` cannot go live as it is."""
    error = beneficiary_go_live_error(beneficiary=beneficiary)
    if error:
        raise error


@receiver(published)
@receiver(unpublished)
def _rules_changed(sender, instance, **kwargs):
    if isinstance(instance, CommissionRule | DistributionKey):
        live_rules_invalidate(site_id=instance.site_id)


# --- Rules as data ---------------------------------------------------------------------


def rules_export(*, site) -> dict:
    """The territory's live beneficiaries, keys and rules in the documented JSON format."""
    keys = DistributionKey.objects.filter(site=site, live=True).prefetch_related(
        "shares__beneficiary"
    )
    return {
        "beneficiaries": [
            {"key": b.key, "name": b.name, "kind": b.kind, "stripe_account": b.stripe_account}
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


# --- Who may do what ---------------------------------------------------------------------

COMMISSION_WORKFLOW_NAME = "Approbation des commissions"
COMMISSION_TASK_NAME = "Approbation par le conseil"


@transaction.atomic
def commission_permissions_ensure(*, finance, council) -> None:
    """Finance officers edit rules, keys and beneficiaries; the council approves changes.

    Finance has no publish permission on rules, keys and beneficiaries, so every change
    goes through the "Approbation des commissions" workflow, whose only task is the
    council's :class:`~commissions.models.CommissionApprovalTask` (a plain group
    approval task of that name, from before, is converted in place). Idempotent.
    """
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Task, Workflow, WorkflowContentType, WorkflowTask

    from commissions.models import CommissionApprovalTask

    finance.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="commissions",
            codename__in=[
                f"{action}_{model}"
                for model in ("commissionrule", "distributionkey", "beneficiary")
                for action in ("add", "change", "delete", "view")
            ]
            + [
                "lock_commissionrule",
                "unlock_commissionrule",
                "lock_distributionkey",
                "unlock_distributionkey",
                "lock_beneficiary",
                "unlock_beneficiary",
            ],
        )
    )
    # The council reads what it approves: the listings stay open to it once a workflow
    # is over (view only; it never edits).
    council.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="commissions",
            codename__in=["view_commissionrule", "view_distributionkey", "view_beneficiary"],
        )
    )
    task = CommissionApprovalTask.objects.filter(name=COMMISSION_TASK_NAME).first()
    if task is None:
        old = Task.objects.filter(name=COMMISSION_TASK_NAME).first()
        if old is not None:
            _council_task_convert(old)
            task = CommissionApprovalTask.objects.get(pk=old.pk)
        else:
            task = CommissionApprovalTask.objects.create(name=COMMISSION_TASK_NAME)
    task.groups.add(council)
    workflow, _created = Workflow.objects.get_or_create(name=COMMISSION_WORKFLOW_NAME)
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    for model in (CommissionRule, DistributionKey, Beneficiary):
        WorkflowContentType.objects.get_or_create(
            content_type=ContentType.objects.get_for_model(model), defaults={"workflow": workflow}
        )


def _council_task_convert(task) -> None:
    """Make a plain group approval task a CommissionApprovalTask, keeping its id, groups
    and task states (see migration commissions 0002, which does the same)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from wagtail.models import GroupApprovalTask, Task

    from commissions.models import CommissionApprovalTask

    specific = task.specific
    group_ids = (
        list(specific.groups.values_list("pk", flat=True))
        if isinstance(specific, GroupApprovalTask)
        else []
    )
    if isinstance(specific, GroupApprovalTask):
        specific.groups.clear()
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM wagtailcore_groupapprovaltask WHERE task_ptr_id = %s", [task.pk]
            )
    CommissionApprovalTask(task_ptr_id=task.pk).save_base(raw=True)
    CommissionApprovalTask.objects.get(pk=task.pk).groups.set(group_ids)
    Task.objects.filter(pk=task.pk).update(
        content_type=ContentType.objects.get_for_model(CommissionApprovalTask)
    )
