"""Commission rules, distribution keys and beneficiaries: what the territory edits.

Rules, keys and beneficiaries are Wagtail snippets with drafts and revisions; they go
through the council's approval workflow (:class:`CommissionApprovalTask`), can be locked
and scheduled; rules also preview their effect. The database row of a snippet with
``DraftStateMixin`` holds its *live* content (for an object never published, its first
draft, with ``live=False``); later drafts live in revisions.

Governance, as the territory's council needs it to be airtight:

- **Locked under review, for everyone.** While a change awaits the council, nobody saves
  a new revision of it, reviewers included: they approve or request changes on the text
  as submitted. To change a submitted text, finance withdraws the submission ("cancel
  workflow") and submits again, or the council requests changes. (We chose the lock over
  "an edit restarts the review": with the lock, the revision the council reads is the
  only one that can exist until it decides.) Only the submitter or finance withdraws a
  submission; the council approves or requests changes
  (:func:`user_may_withdraw`).
- **Approval publishes exactly the submitted revision**: the task state's revision (see
  :func:`marketplace.workflows.workflow_state_publish`), never "the latest".
- **No one approves their own submission**: the task offers no approval to whoever
  started the workflow or wrote the submitted revision.
- **A change that cannot go live is refused, not half-done**: publishing checks ties
  (rules), inactive or unapproved beneficiaries (keys) and shares still allocated
  (beneficiaries); an approval refused this way publishes nothing, the task stays in
  review and the reviewer reads why (:mod:`commissions.views`).
- **What has been live is ended, never deleted**: a rule ends with a dated
  ``valid_until``, submitted and approved; only drafts never published can be deleted.

The maths is in :mod:`commissions.engine`; :func:`CommissionRule.to_spec` turns a row
into the engine's plain data.

This module imports nothing above it in the app (no services, views, simulation): what
Wagtail calls on a model and needs more is reached through two signals sent here, whose
receivers live above and are connected at app ready (``commissions/apps.py``):
:data:`going_live` (the go-live guards of :mod:`commissions.golive` raise to refuse) and
:data:`rule_preview_wanted` (the preview's figures, :mod:`commissions.preview_views`).

Scope references the marketplace's taxonomy by lazy model references (never by a
Python import), so this app still imports no other app of ours.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.locks import WorkflowLock
from wagtail.models import (
    AbstractGroupApprovalTask,
    DraftStateMixin,
    LockableMixin,
    Orderable,
    PreviewableMixin,
    RevisionMixin,
    WorkflowMixin,
)
from wagtail.permissions import policy_registry
from wagtail.search import index

from commissions.engine import RuleSpec, Scope, Season, Side
from commissions.fields import CentsField

RATE_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]
DAY_VALIDATORS = [MinValueValidator(1), MaxValueValidator(31)]
SEASON_FIELDS = ("season_start_day", "season_start_month", "season_end_day", "season_end_month")


# Sent by publish() with ``instance``: the object as it would go live. A receiver raises a
# ValidationError to refuse (commissions.golive); nothing is published then.
going_live = Signal()
# Sent by CommissionRule.get_preview_context with ``rule`` and ``request``; each receiver
# returns a dict added to the preview's context (commissions.preview_views).
rule_preview_wanted = Signal()


def _going_live(obj) -> None:
    going_live.send(sender=type(obj), instance=obj)


def user_may_withdraw(obj, user) -> bool:
    """Whether ``user`` may withdraw (cancel) the submission of ``obj`` under review.

    Wagtail lets anyone who may approve cancel a workflow; here the council approves or
    requests changes, and withdrawing a submission is for its submitter or for finance
    (whoever may change the object), never for a reviewer who may only review it.
    """
    state = obj.current_workflow_state
    if state is None or not state.user_can_cancel(user):
        return False
    if user.pk == state.requested_by_id:
        return True
    policy = policy_registry.get_by_type(type(obj))
    return policy.user_has_permission_for_instance(user, "change", obj)


class Month(models.IntegerChoices):
    JANUARY = 1, _("January")
    FEBRUARY = 2, _("February")
    MARCH = 3, _("March")
    APRIL = 4, _("April")
    MAY = 5, _("May")
    JUNE = 6, _("June")
    JULY = 7, _("July")
    AUGUST = 8, _("August")
    SEPTEMBER = 9, _("September")
    OCTOBER = 10, _("October")
    NOVEMBER = 11, _("November")
    DECEMBER = 12, _("December")


class BeneficiaryKind(models.TextChoices):
    LOCAL_FUND = "local_fund", _("Local fund")
    TOURISM_OFFICE = "tourism_office", _("Tourism office")
    RUNNING_COSTS = "running_costs", _("Platform running costs")
    PROVIDER_REBATES = "provider_rebates", _("Provider rebates")
    ASSOCIATION = "association", _("Association")
    OTHER = "other", _("Other")


class Beneficiary(
    WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, index.Indexed, models.Model
):
    """Who receives a share of the commission.

    Its payout destination (``stripe_account``) and ``active`` decide who receives money,
    so changes go through the council's approval like rules and keys: readers use the
    row of a *live* beneficiary (``live=True``), which holds the approved values.
    """

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("territory"),
        on_delete=models.CASCADE,
        related_name="beneficiaries",
    )
    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=30, choices=BeneficiaryKind.choices)
    description = models.TextField(_("public description"), blank=True)
    link = models.URLField(_("link"), blank=True)
    stripe_account = models.CharField(
        _("Stripe connected account"),
        max_length=64,
        blank=True,
        help_text=_(
            "Leave empty when the operator keeps this share, or when it is paid by bank "
            "transfer (its bank details, in payout runs)."
        ),
    )
    # Where its statements go when it is paid by bank transfer (issue 13 §3).
    email = models.EmailField(
        _("e-mail for statements"),
        blank=True,
        help_text=_(
            "Its statement is e-mailed here each time a payout run pays it by bank "
            "transfer. Not published."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("beneficiary")
        verbose_name_plural = _("beneficiaries")
        constraints = [
            models.UniqueConstraint(fields=["site", "key"], name="unique_beneficiary_key")
        ]

    def __str__(self):
        return self.name

    @property
    def payout_label(self) -> str:
        return self.stripe_account or str(_("kept by the operator"))

    def publish(self, revision, *args, **kwargs):
        """Refuse to go live inactive while a live key still allocates it a share."""
        _going_live(revision.as_object())
        return super().publish(revision, *args, **kwargs)

    @property
    def ever_published(self) -> bool:
        return object_ever_published(self)


def object_ever_published(obj) -> bool:
    """Whether a draft-state snippet has ever been live (then it is ended, not deleted)."""
    return bool(obj.live or obj.live_revision_id or obj.first_published_at)


class DistributionKey(
    WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, index.Indexed, ClusterableModel
):
    """How a commission is shared among beneficiaries (shares total exactly 100.00 %).

    It decides who gets the money, so it goes through the same approval as rules.
    """

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("territory"),
        on_delete=models.CASCADE,
        related_name="distribution_keys",
    )
    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("public description"), blank=True)

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("distribution key")
        verbose_name_plural = _("distribution keys")
        constraints = [
            models.UniqueConstraint(fields=["site", "key"], name="unique_distribution_key")
        ]

    def __str__(self):
        return self.name

    def as_distribution(self) -> tuple[tuple[str, Decimal], ...]:
        return tuple((share.beneficiary.key, share.percentage) for share in self.shares.all())

    def publish(self, revision, *args, **kwargs):
        """Refuse to go live sharing with an inactive or not yet approved beneficiary."""
        _going_live(revision.as_object())
        return super().publish(revision, *args, **kwargs)

    @property
    def ever_published(self) -> bool:
        return object_ever_published(self)


class DistributionShare(Orderable):
    distribution_key = ParentalKey(DistributionKey, on_delete=models.CASCADE, related_name="shares")
    beneficiary = models.ForeignKey(
        Beneficiary, verbose_name=_("beneficiary"), on_delete=models.PROTECT, related_name="+"
    )
    percentage = models.DecimalField(
        _("share (%)"), max_digits=5, decimal_places=2, validators=RATE_VALIDATORS
    )

    class Meta(Orderable.Meta):
        verbose_name = _("share")
        verbose_name_plural = _("shares")


def shares_total_error(percentages) -> ValidationError | None:
    """The error to show when shares do not total exactly 100.00 %, else None."""
    total = sum((Decimal(p) for p in percentages), Decimal(0))
    if total != Decimal(100):
        return ValidationError(
            _("The shares must total exactly 100.00 %% (they total %(total)s %%).")
            % {"total": f"{total:.2f}"},
            code="shares_total",
        )
    return None


def offer_kind_choices():
    from django.apps import apps

    return apps.get_model("marketplace", "OfferPage")._meta.get_field("kind").choices


class CommissionRule(
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    PreviewableMixin,
    index.Indexed,
    ClusterableModel,
):
    """A commission rule of one territory: scope, validity, both sides, distribution."""

    site = models.ForeignKey(
        "wagtailcore.Site",
        verbose_name=_("territory"),
        on_delete=models.CASCADE,
        related_name="commission_rules",
    )
    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=150)
    explanation = models.TextField(
        _("explanation"),
        blank=True,
        help_text=_("Why this rule exists, in plain words, for the public transparency page."),
    )

    # Scope: every field is optional; an empty one means "any".
    categories = ParentalManyToManyField(
        "marketplace.ProviderCategory",
        verbose_name=_("provider categories"),
        blank=True,
        related_name="+",
    )
    providers = ParentalManyToManyField(
        "marketplace.Provider", verbose_name=_("providers"), blank=True, related_name="+"
    )
    labels = ParentalManyToManyField(
        "marketplace.Label", verbose_name=_("labels"), blank=True, related_name="+"
    )
    kinds = models.JSONField(_("offer kinds"), default=list, blank=True)
    communes = models.JSONField(_("communes"), default=list, blank=True)
    valid_from = models.DateField(
        _("valid from"), null=True, blank=True, help_text=_("Bookings made from this day on.")
    )
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("Bookings made until this day.")
    )
    # Season: the dates of the service (arrival, slot, sale of a product), every year,
    # whatever the booking date; all four empty means all year round.
    season_start_day = models.PositiveSmallIntegerField(
        _("season starts on day"), null=True, blank=True, validators=DAY_VALIDATORS
    )
    season_start_month = models.PositiveSmallIntegerField(
        _("season start month"), null=True, blank=True, choices=Month.choices
    )
    season_end_day = models.PositiveSmallIntegerField(
        _("season ends on day"),
        null=True,
        blank=True,
        validators=DAY_VALIDATORS,
        help_text=_(
            "Stays are priced by their arrival date, activities by their slot's date, "
            "products by their booking date. The end may come before the start "
            "(1 November to 31 March)."
        ),
    )
    season_end_month = models.PositiveSmallIntegerField(
        _("season end month"), null=True, blank=True, choices=Month.choices
    )

    provider_rate = models.DecimalField(
        _("provider-side rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=RATE_VALIDATORS,
    )
    provider_fixed = CentsField(_("provider-side fixed amount (€)"), default=0)
    provider_min = CentsField(_("provider-side minimum (€)"), null=True, blank=True)
    provider_max = CentsField(_("provider-side maximum (€)"), null=True, blank=True)
    visitor_rate = models.DecimalField(
        _("service fee rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=RATE_VALIDATORS,
    )
    visitor_fixed = CentsField(_("service fee fixed amount (€)"), default=0)
    visitor_min = CentsField(_("service fee minimum (€)"), null=True, blank=True)
    visitor_max = CentsField(_("service fee maximum (€)"), null=True, blank=True)

    distribution = models.ForeignKey(
        DistributionKey,
        verbose_name=_("distribution key"),
        on_delete=models.PROTECT,
        related_name="rules",
    )

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("commission rule")
        verbose_name_plural = _("commission rules")
        constraints = [
            models.UniqueConstraint(fields=["site", "key"], name="unique_commission_rule_key")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The end of validity is before its start.")
        for side in ("provider", "visitor"):
            low, high = getattr(self, f"{side}_min"), getattr(self, f"{side}_max")
            if low is not None and high is not None and high < low:
                errors[f"{side}_max"] = _("The maximum is below the minimum.")
        season_values = [getattr(self, name) for name in SEASON_FIELDS]
        if any(v is not None for v in season_values):
            missing = [n for n, v in zip(SEASON_FIELDS, season_values, strict=True) if v is None]
            for name in missing:
                errors[name] = _("A season needs a start and an end day and month.")
            if not missing:
                for name_day, name_month in (SEASON_FIELDS[:2], SEASON_FIELDS[2:]):
                    try:
                        Season(getattr(self, name_month), getattr(self, name_day), 1, 1)
                    except (ValueError, TypeError):
                        errors[name_day] = _("This day does not exist in this month.")
        if self.distribution_id and self.site_id and self.distribution.site_id != self.site_id:
            errors["distribution"] = _("This distribution key belongs to another territory.")
        if errors:
            raise ValidationError(errors)

    @property
    def season(self) -> Season | None:
        """The rule's season as the engine reads it, None when it has none (or a bad one)."""
        values = [getattr(self, name) for name in SEASON_FIELDS]
        if any(v is None for v in values):
            return None
        start_day, start_month, end_day, end_month = values
        try:
            return Season(start_month, start_day, end_month, end_day)
        except ValueError:
            return None

    def to_spec(self) -> RuleSpec:
        """The engine's view of this rule (as stored in this instance)."""
        return RuleSpec(
            key=self.key,
            name=self.name,
            scope=Scope(
                providers=frozenset(p.slug for p in self.providers.all()),
                categories=frozenset(c.slug for c in self.categories.all()),
                labels=frozenset(label.slug for label in self.labels.all()),
                communes=frozenset(self.communes or ()),
                kinds=frozenset(self.kinds or ()),
                season=self.season,
            ),
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            provider_side=Side(
                self.provider_rate, self.provider_fixed or 0, self.provider_min, self.provider_max
            ),
            visitor_side=Side(
                self.visitor_rate, self.visitor_fixed or 0, self.visitor_min, self.visitor_max
            ),
            distribution=self.distribution.as_distribution() if self.distribution_id else (),
            revision_id=self.live_revision_id,
        )

    # Preview: the rule in plain words and its effect (see commissions.simulation).
    def get_preview_template(self, request, mode_name, extra_context=None):
        return "commissions/rule_preview.html"

    def get_preview_context(self, request, mode_name):
        context = super().get_preview_context(request, mode_name)
        for _receiver, extra in rule_preview_wanted.send(
            sender=type(self), rule=self, request=request
        ):
            context.update(extra)
        return context

    def publish(self, revision, *args, **kwargs):
        """Refuse to publish a rule that would tie with another rule (live, scheduled or
        awaiting approval; also when a scheduled revision comes to go live), or that
        shares by a distribution key not live."""
        _going_live(revision.as_object())
        return super().publish(revision, *args, **kwargs)

    @property
    def ever_published(self) -> bool:
        return object_ever_published(self)


class UnderReviewLock(WorkflowLock):
    """The lock of a change awaiting the council: nobody edits it, reviewers included."""

    def for_user(self, user):
        return True

    def get_message(self, user):
        if not user_may_withdraw(self.object, user):
            # A reviewer: withdrawing is for the submitter or finance.
            return _(
                "Under review: the council approves or requests changes on the text as "
                "it was submitted; no one can edit it meanwhile."
            )
        return _(
            "Under review: the council approves or requests changes on the text as it "
            "was submitted; no one can edit it meanwhile. To change it, withdraw the "
            "submission (cancel the workflow) or wait for the council's answer."
        )

    def get_description(self, user, can_lock=False):
        return self.get_message(user)

    def get_locked_by(self, user, can_lock=False):
        return _("Locked during review")


class CommissionApprovalTask(AbstractGroupApprovalTask):
    """The council's approval of a change to commissions (rules, keys, beneficiaries).

    Like a group approval task, with the governance the territory needs: the object is
    locked for everyone while in review (:class:`UnderReviewLock`), and whoever started
    the workflow or wrote the submitted revision is offered no action on it (they may
    still withdraw it), so no one approves their own submission.
    """

    lock_class = UnderReviewLock

    @staticmethod
    def submitter_ids(task_state) -> set[int]:
        ids = {task_state.workflow_state.requested_by_id}
        if task_state.revision_id:
            ids.add(task_state.revision.user_id)
        return ids - {None}

    def _submitted_by(self, obj, user) -> bool:
        task_state = getattr(obj, "current_workflow_task_state", None)
        return task_state is not None and user.pk in self.submitter_ids(task_state)

    def start(self, workflow_state, user=None):
        """Review the revision just submitted.

        When finance submits again after the council requested changes, Wagtail resumes
        the workflow with the object it loaded before saving the new revision, and would
        give the new task state the rejected text: read the latest revision afresh.
        """
        workflow_state.content_object.refresh_from_db(fields=["latest_revision"])
        return super().start(workflow_state, user=user)

    def locked_for_user(self, obj, user):
        return True

    def user_can_lock(self, obj, user):
        return False

    def get_actions(self, obj, user):
        if self._submitted_by(obj, user):
            return []
        return super().get_actions(obj, user)

    def on_action(self, task_state, user, action_name, **kwargs):
        from django.core.exceptions import PermissionDenied

        if user is not None and user.pk in self.submitter_ids(task_state):
            raise PermissionDenied
        return super().on_action(task_state, user, action_name, **kwargs)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        return (
            super()
            .get_task_states_user_can_moderate(user, **kwargs)
            .exclude(workflow_state__requested_by=user)
            .exclude(revision__user=user)
        )

    @classmethod
    def get_description(cls):
        return _(
            "Members of the chosen groups approve or request changes on a commission "
            "change as submitted; no one edits it under review or approves their own."
        )

    class Meta:
        verbose_name = _("commission approval task")
        verbose_name_plural = _("commission approval tasks")
