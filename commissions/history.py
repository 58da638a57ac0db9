"""The public history of the commission: every change that went live, in plain words.

Read from Wagtail's audit log (each publication and withdrawal), the published revisions
(each compared with the one published before it, field by field), and the workflow
(who asked for the change, when the council approved it). Generic over the commission
models that keep revisions; each has a describer below.

People appear by their role (their staff group), never by name, unless the territory
publishes names (``show_names``). The number of queries does not depend on the number
of entries: everything is fetched in bulk, then assembled in Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from wagtail.models import ModelLogEntry, Revision, RevisionMixin, TaskState

from commissions.describe import (
    format_rate,
    rule_sentences,
    scope_sentence,
    side_sentence,
    validity_sentence,
)
from commissions.models import Beneficiary, BeneficiaryKind, CommissionRule, DistributionKey

PUBLISH_ACTIONS = ("wagtail.publish", "wagtail.publish.scheduled")
WITHDRAW_ACTIONS = ("wagtail.unpublish", "wagtail.unpublish.scheduled")
HISTORY_LIMIT = 50

# The rule's many-to-many scope: field name, model holding the names.
RULE_SCOPE_MODELS = {
    "categories": "marketplace.ProviderCategory",
    "providers": "marketplace.Provider",
    "labels": "marketplace.Label",
}


@dataclass
class HistoryEntry:
    """One change that went live (or was withdrawn), as the public page shows it."""

    timestamp: dt.datetime
    kind: str
    kind_label: str
    name: str
    changes: list[str]
    submitted_by: str
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    withdrawn: bool = False


def history_models() -> list[type]:
    """The commission models whose changes go live through revisions."""
    return [
        m for m in (CommissionRule, DistributionKey, Beneficiary) if issubclass(m, RevisionMixin)
    ]


class Names:
    """Display names of everything the revisions refer to by primary key, fetched in bulk."""

    def __init__(self, contents: list[dict]):
        wanted: dict[str, set] = {name: set() for name in RULE_SCOPE_MODELS}
        keys, beneficiaries = set(), set()
        for content in contents:
            for name in RULE_SCOPE_MODELS:
                wanted[name].update(content.get(name) or ())
            if content.get("distribution"):
                keys.add(content["distribution"])
            for share in content.get("shares") or ():
                beneficiaries.add(share.get("beneficiary"))
        self.scope = {}
        for name, label in RULE_SCOPE_MODELS.items():
            model = apps.get_model(label)
            self.scope[name] = (
                {obj.pk: obj for obj in model.objects.filter(pk__in=wanted[name])}
                if wanted[name]
                else {}
            )
        self.keys = (
            dict(DistributionKey.objects.filter(pk__in=keys).values_list("pk", "name"))
            if keys
            else {}
        )
        self.beneficiaries = (
            dict(Beneficiary.objects.filter(pk__in=beneficiaries).values_list("pk", "name"))
            if beneficiaries
            else {}
        )
        kind_field = apps.get_model("marketplace", "OfferPage")._meta.get_field("kind")
        self.kinds = {value: str(text) for value, text in kind_field.choices}

    def for_describe(self) -> dict[str, dict[str, str]]:
        """Slug → name per dimension, as :func:`commissions.describe.scope_sentence` reads."""
        names = {
            dimension: {obj.slug: obj.name for obj in objects.values()}
            for dimension, objects in self.scope.items()
        }
        names["kinds"] = self.kinds
        return names


def rule_spec(content: dict, names: Names):
    """The engine's view of a rule as a revision stored it, without a query."""
    data = {k: v for k, v in content.items() if k not in RULE_SCOPE_MODELS}
    rule = CommissionRule.from_serializable_data(data, check_fks=False)
    for dimension in RULE_SCOPE_MODELS:
        objects = names.scope[dimension]
        setattr(
            rule,
            dimension,
            [objects[pk] for pk in content.get(dimension) or () if pk in objects],
        )
    rule.distribution_id = None  # the key is described by name, not by its shares
    return rule.to_spec()


def describe_rule(old: dict | None, new: dict, names: Names) -> list[str]:
    lookup = names.for_describe()
    spec = rule_spec(new, names)
    key_name = names.keys.get(new.get("distribution"), "")
    if old is None:
        sentences = rule_sentences(spec, lookup)[:-1]  # the last one is about taxes
        return [
            _("New rule “%(name)s”.") % {"name": spec.name},
            *sentences,
            _("Shared according to the key “%(key)s”.") % {"key": key_name},
        ]
    before = rule_spec(old, names)
    changes = []
    if before.name != spec.name:
        changes.append(_("Name: %(old)s → %(new)s") % {"old": before.name, "new": spec.name})
    old_scope, new_scope = scope_sentence(before, lookup), scope_sentence(spec, lookup)
    if old_scope != new_scope:
        changes.append(_("Scope: %(old)s → %(new)s") % {"old": old_scope, "new": new_scope})
    old_validity, new_validity = validity_sentence(before), validity_sentence(spec)
    if before.valid_until is None and spec.valid_until is not None:
        # Ending a rule: a dated end, approved like any change.
        changes.append(
            _("Ends on %(date)s: for bookings made until that day.")
            % {"date": date_format(spec.valid_until)}
        )
        if before.valid_from != spec.valid_from:
            changes.append(
                _("Validity: %(old)s → %(new)s") % {"old": old_validity, "new": new_validity}
            )
    elif old_validity != new_validity:
        changes.append(
            _("Validity: %(old)s → %(new)s") % {"old": old_validity, "new": new_validity}
        )
    for label, old_side, new_side in (
        (_("Provider commission"), before.provider_side, spec.provider_side),
        (_("Service fee paid by the visitor"), before.visitor_side, spec.visitor_side),
    ):
        if old_side != new_side:
            changes.append(
                _("%(what)s: %(old)s → %(new)s")
                % {"what": label, "old": side_sentence(old_side), "new": side_sentence(new_side)}
            )
    if old.get("distribution") != new.get("distribution"):
        changes.append(
            _("Distribution key: %(old)s → %(new)s")
            % {"old": names.keys.get(old.get("distribution"), ""), "new": key_name}
        )
    if (old.get("explanation") or "") != (new.get("explanation") or ""):
        changes.append(_("Explanation rewritten."))
    return changes or [_("Published again, unchanged.")]


def key_shares(content: dict, names: Names) -> dict[str, Decimal]:
    return {
        names.beneficiaries.get(share.get("beneficiary"), "?"): Decimal(str(share["percentage"]))
        for share in content.get("shares") or ()
    }


def describe_key(old: dict | None, new: dict, names: Names) -> list[str]:
    shares = key_shares(new, names)
    if old is None:
        return [
            _("New distribution key “%(name)s”.") % {"name": new.get("name")},
            *(
                _("%(beneficiary)s: %(share)s") % {"beneficiary": name, "share": format_rate(p)}
                for name, p in shares.items()
            ),
        ]
    changes = []
    if old.get("name") != new.get("name"):
        changes.append(
            _("Name: %(old)s → %(new)s") % {"old": old.get("name"), "new": new.get("name")}
        )
    before = key_shares(old, names)
    for name in [*before, *(n for n in shares if n not in before)]:
        old_share, new_share = before.get(name, Decimal(0)), shares.get(name, Decimal(0))
        if old_share != new_share:
            changes.append(
                _("%(beneficiary)s: %(old)s → %(new)s")
                % {
                    "beneficiary": name,
                    "old": format_rate(old_share),
                    "new": format_rate(new_share),
                }
            )
    return changes or [_("Published again, unchanged.")]


def describe_beneficiary(old: dict | None, new: dict, names: Names) -> list[str]:
    kinds = dict(BeneficiaryKind.choices)
    if old is None:
        return [
            _("New beneficiary “%(name)s” (%(kind)s).")
            % {"name": new.get("name"), "kind": kinds.get(new.get("kind"), new.get("kind"))}
        ]
    changes = []
    if old.get("name") != new.get("name"):
        changes.append(
            _("Name: %(old)s → %(new)s") % {"old": old.get("name"), "new": new.get("name")}
        )
    if old.get("kind") != new.get("kind"):
        changes.append(
            _("Kind: %(old)s → %(new)s")
            % {"old": kinds.get(old.get("kind")), "new": kinds.get(new.get("kind"))}
        )
    if (old.get("stripe_account") or "") != (new.get("stripe_account") or ""):
        # The account itself is not public: say that the money goes elsewhere.
        changes.append(_("Payout destination changed."))
    if old.get("active", True) and not new.get("active", True):
        changes.append(_("Deactivated: receives no share any more."))
    elif not old.get("active", True) and new.get("active", True):
        changes.append(_("Reactivated."))
    return changes or [_("Published again, unchanged.")]


DESCRIBERS = {
    "commissionrule": describe_rule,
    "distributionkey": describe_key,
    "beneficiary": describe_beneficiary,
}


def person_label(user, groups: dict[int, list[str]], *, show_names: bool) -> str:
    """A user's role (staff groups; "Administrator" for a superuser), and name if public."""
    if user is None:
        return _("The platform operator")
    if user.is_superuser:
        role = _("Administrator")
    else:
        role = ", ".join(sorted(groups.get(user.pk, []))) or _("Staff")
    name = user.get_full_name().strip() if show_names else ""
    return f"{name} ({role})" if name else role


def history_entries(*, site, show_names: bool = False, limit: int = HISTORY_LIMIT) -> list:
    """The last ``limit`` changes of ``site``'s commission that went live, newest first."""
    models = history_models()
    content_types = ContentType.objects.get_for_models(*models)
    condition = Q(pk__in=[])
    for model in models:
        ids = [str(pk) for pk in model.objects.filter(site=site).values_list("pk", flat=True)]
        if ids:
            condition |= Q(content_type=content_types[model], object_id__in=ids)
    log = list(
        ModelLogEntry.objects.filter(condition, action__in=PUBLISH_ACTIONS + WITHDRAW_ACTIONS)
        .order_by("timestamp", "pk")
        .values(
            "content_type_id", "object_id", "timestamp", "action", "revision_id", "label", "user_id"
        )
    )
    model_of = {content_types[m].pk: m for m in models}

    # Pair each publication with the one before it, object by object.
    previous: dict[tuple, int | None] = {}
    pairs = []
    for entry in log:
        key = (entry["content_type_id"], entry["object_id"])
        if entry["action"] in WITHDRAW_ACTIONS:
            pairs.append((entry, None, None))
            continue
        pairs.append((entry, previous.get(key), entry["revision_id"]))
        previous[key] = entry["revision_id"]
    pairs = pairs[-limit:][::-1]

    revision_ids = {r for _entry, old, new in pairs for r in (old, new) if r}
    revisions = Revision.objects.filter(pk__in=revision_ids).in_bulk()
    approvals = {}
    for task_state in (
        TaskState.objects.filter(revision_id__in=revision_ids, status=TaskState.STATUS_APPROVED)
        .select_related("workflow_state")
        .order_by("finished_at")
    ):
        approvals[task_state.revision_id] = task_state
    user_ids = {r.user_id for r in revisions.values() if r.user_id}
    user_ids.update(entry["user_id"] for entry, _old, _new in pairs if entry["user_id"])
    for task_state in approvals.values():
        user_ids.update(
            {task_state.finished_by_id, task_state.workflow_state.requested_by_id} - {None}
        )
    users = get_user_model().objects.filter(pk__in=user_ids).in_bulk()
    groups: dict[int, list[str]] = {}
    for user_id, name in (
        get_user_model()
        .groups.through.objects.filter(user_id__in=user_ids)
        .values_list("user_id", "group__name")
    ):
        groups.setdefault(user_id, []).append(name)
    names = Names([revisions[r].content for r in revision_ids if r in revisions])

    entries = []
    for entry, old_id, new_id in pairs:
        model = model_of[entry["content_type_id"]]
        kind = model._meta.model_name
        new = revisions.get(new_id)
        if new_id is None:
            changes = [_("Withdrawn: no longer in force.")]
            submitter = entry["user_id"]
        elif new is None:
            continue  # a revision purged since: nothing to compare
        else:
            old = revisions.get(old_id)
            changes = DESCRIBERS[kind](old.content if old else None, new.content, names)
            submitter = new.user_id or entry["user_id"]
        approval = approvals.get(new_id)
        approved_by = approved_at = None
        if approval is not None:
            submitter = approval.workflow_state.requested_by_id or submitter
            approved_by = person_label(
                users.get(approval.finished_by_id), groups, show_names=show_names
            )
            approved_at = approval.finished_at
        entries.append(
            HistoryEntry(
                timestamp=entry["timestamp"],
                kind=kind,
                kind_label=capfirst(model._meta.verbose_name),
                name=entry["label"],
                changes=changes,
                submitted_by=person_label(users.get(submitter), groups, show_names=show_names),
                approved_by=approved_by,
                approved_at=approved_at,
                withdrawn=new_id is None,
            )
        )
    return entries
