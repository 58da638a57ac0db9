"""The go-live guards: what refuses a rule, key or beneficiary as it would go live.

A rule that would tie with another (live, scheduled or in review), a rule sharing by a
key not yet live, a key naming an inactive, unapproved or foreign beneficiary, a
beneficiary deactivated or moved while a live key still gives it a share. The ``*_error``
functions return the refusal (the admin's forms show it), the ``*_check`` ones raise it;
the receivers of :data:`commissions.models.going_live` call the checks when Wagtail
publishes (an approval, a scheduled revision, an import), and the live rules' cache is
dropped when rules or keys are published or unpublished.

What must not live here: import/export of rules (:mod:`commissions.rules_io`), the
workflow and permissions (:mod:`commissions.governance`), anything of the admin's views.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from wagtail.models import Revision, WorkflowState
from wagtail.signals import published, unpublished

from commissions.dates import territory_today
from commissions.engine import RuleSpec, find_ties
from commissions.models import Beneficiary, CommissionRule, DistributionKey, going_live
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


@receiver(going_live, sender=CommissionRule)
def _rule_going_live(sender, instance: CommissionRule, **kwargs):
    """Refuse a rule that would tie with another rule (live, scheduled or awaiting
    approval; also when a scheduled revision comes to go live), or that shares by a
    distribution key not live."""
    rule_ties_check(rule=instance)
    error = rule_distribution_error(
        distribution=DistributionKey.objects.filter(pk=instance.distribution_id).first()
    )
    if error:
        raise error


@receiver(going_live, sender=DistributionKey)
def _key_going_live(sender, instance: DistributionKey, **kwargs):
    """Refuse a key sharing with an inactive or not yet approved beneficiary."""
    distribution_key_go_live_check(key=instance)


@receiver(going_live, sender=Beneficiary)
def _beneficiary_going_live(sender, instance: Beneficiary, **kwargs):
    """Refuse a beneficiary going live inactive (or moved) while a live key gives it a share."""
    beneficiary_go_live_check(beneficiary=instance)
