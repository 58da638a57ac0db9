"""Where a person's data lives: the map the export and the erasure of an account follow.

:data:`USER_RELATIONS` names every relation from a model to the user model and the part
of the export (:func:`marketplace.accounts.account_data_export`) that shows it: a section
of its own for what the person gave or did as a visitor or applicant, or ``records`` for
the traces of work done in the admin (revisions, log entries, uploads...), counted.
``tests/marketplace/test_personal_data.py`` walks every installed model and fails on a relation that
is not in the map, so a new model that points to a person cannot be forgotten.

Apps the marketplace may not import keep personal data too (``payments`` keeps what
Stripe sent about a payment). They register a :class:`PersonalDataSource`: its ``export``
adds to the export, its ``erase`` runs inside the erasure's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model

RECORDS = "records"

USER_RELATIONS: dict[str, str] = {
    # What the person gave or did: a section of the export each.
    "account.EmailAddress.user": "email_addresses",
    "marketplace.Cart.user": "carts",
    "marketplace.Order.user": "orders",
    "marketplace.Provider.applied_by": "provider_applications",
    "marketplace.ProviderMembership.user": "provider_memberships",
    "marketplace.Provider.members": "provider_memberships",
    "wagtailusers.UserProfile.user": "admin_profile",
    "mfa.Authenticator.user": "mfa_authenticators",
    "usersessions.UserSession.user": "sessions",
    # Traces of work in the admin, kept for the history (the erasure of a team member
    # keeps them, pointing to an emptied account): counted under "records".
    "marketplace.Provider.reviewed_by": RECORDS,
    "commissions.Beneficiary.locked_by": RECORDS,
    "commissions.CommissionRule.locked_by": RECORDS,
    "commissions.DistributionKey.locked_by": RECORDS,
    "books.LedgerTransaction.created_by": RECORDS,
    "invoices.Invoice.issued_by": RECORDS,
    "payouts.BankAccount.submitted_by": RECORDS,
    "payouts.BankAccount.decided_by": RECORDS,
    "payouts.PayoutRun.prepared_by": RECORDS,
    "payouts.PayoutRun.sent_by": RECORDS,
    "payouts.PayoutRun.cancelled_by": RECORDS,
    "wagtailcore.Page.owner": RECORDS,
    "wagtailcore.Page.locked_by": RECORDS,
    "wagtailcore.Revision.user": RECORDS,
    "wagtailcore.PageLogEntry.user": RECORDS,
    "wagtailcore.ModelLogEntry.user": RECORDS,
    "wagtailcore.WorkflowState.requested_by": RECORDS,
    "wagtailcore.TaskState.finished_by": RECORDS,
    "wagtailcore.Comment.user": RECORDS,
    "wagtailcore.Comment.resolved_by": RECORDS,
    "wagtailcore.CommentReply.user": RECORDS,
    "wagtailcore.PageSubscription.user": RECORDS,
    "wagtailcore.UploadedFile.uploaded_by_user": RECORDS,
    "wagtailcore.APIToken.user": RECORDS,
    "wagtailimages.Image.uploaded_by_user": RECORDS,
    "wagtaildocs.Document.uploaded_by_user": RECORDS,
    # Who last edited a translation's string (wagtail-localize; the link is cleared).
    "wagtail_localize.StringTranslation.last_translated_by": RECORDS,
    "wagtail_localize.SegmentOverride.last_translated_by": RECORDS,
    "wagtailadmin.EditingSession.user": RECORDS,
    "wagtailadmin.FormState.user": RECORDS,
}

# What belongs to the person alone and goes with them even when their account row stays
# (a team member is emptied, not deleted): sessions of editing, API tokens, subscriptions.
OWN_ROWS = (
    "wagtailcore.APIToken.user",
    "wagtailcore.PageSubscription.user",
    "wagtailadmin.EditingSession.user",
    "wagtailadmin.FormState.user",
    "mfa.Authenticator.user",
    "usersessions.UserSession.user",
)


def user_relations() -> list[str]:
    """Every installed relation to the user model, as ``app_label.Model.field``.

    Fields are named on the model that declares them (``wagtailcore.Page.owner``, not
    once per page type); Django's own many-to-many tables are left out.
    """
    user_model = get_user_model()
    found = []
    for model in apps.get_models():
        fields = list(model._meta.local_fields) + list(model._meta.local_many_to_many)
        for field in fields:
            if field.is_relation and field.related_model is user_model:
                found.append(f"{model._meta.label}.{field.name}")
    return sorted(found)


def relation_queryset(label: str, *, user):
    """The rows of relation ``label`` that point to ``user``, or ``None`` if not installed."""
    app_label, model_name, field = label.split(".")
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        return None
    return model._default_manager.filter(**{field: user})


def records_of(*, user) -> list[dict]:
    """How many admin records of each kind name ``user`` (author, uploader, reviewer...)."""
    records = []
    for label, section in USER_RELATIONS.items():
        if section != RECORDS:
            continue
        rows = relation_queryset(label, user=user)
        if rows is None:
            continue
        count = rows.count()
        if count:
            model = rows.model
            records.append(
                {
                    "relation": label,
                    "kind": str(model._meta.verbose_name_plural),
                    "as": str(model._meta.get_field(label.rsplit(".", 1)[1]).verbose_name),
                    "count": count,
                }
            )
    return records


def own_rows_delete(*, user) -> None:
    """Delete what is the person's alone (:data:`OWN_ROWS`) when their row stays."""
    for label in OWN_ROWS:
        rows = relation_queryset(label, user=user)
        if rows is not None:
            rows.delete()


@dataclass(frozen=True)
class PersonalDataSource:
    """Personal data an app keeps about a person's orders.

    ``export(user=, order_ids=)`` returns sections of the export (lists, appended to the
    section of that name); ``erase(user=, order_ids=)`` erases them, inside the erasure's
    transaction, before the orders are detached from the account.
    """

    name: str
    export: Callable[..., dict[str, list]]
    erase: Callable[..., None]


_sources: dict[str, PersonalDataSource] = {}


def register_personal_data_source(source: PersonalDataSource) -> PersonalDataSource:
    _sources[source.name] = source
    return source


def personal_data_sources() -> list[PersonalDataSource]:
    return list(_sources.values())
