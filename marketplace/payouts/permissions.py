"""Who may do what with bank details.

- **Approvers**: users with ``payouts.review_bankaccount``: the territory's finance group
  (given it, with ``add`` and ``view``, by :func:`bank_account_permissions_ensure`, which
  the territory's setup calls) and superusers. They see every recipient's details of
  their territory, submit for any of them, approve or reject, but never approve what they
  submitted themselves, nor the details of a provider they are a member of.
- **A provider's members** see their own providers' details (masked) and submit new ones
  for them; never another provider's, and they approve nothing.
- **Payout runs**: finance (given ``view_payoutrun`` and ``manage_payoutrun``, and the
  payout settings' ``change_payoutsettings``, by the same function) and superusers list
  runs, prepare, send and cancel them. Providers never see runs.
"""

from django.contrib.auth.models import Permission

from marketplace.members import active_user, member_provider_ids

REVIEW_PERMISSION = "payouts.review_bankaccount"
VIEW_RUNS_PERMISSION = "payouts.view_payoutrun"
MANAGE_RUNS_PERMISSION = "payouts.manage_payoutrun"
FINANCE_CODENAMES = (
    "add_bankaccount",
    "view_bankaccount",
    "review_bankaccount",
    "view_payoutrun",
    "manage_payoutrun",
    "change_payoutsettings",
)


def bank_account_permissions_ensure(*, finance) -> None:
    """Let the finance group list, submit, approve and reject bank details, prepare, send
    and cancel payout runs and edit the payout settings. Idempotent."""
    finance.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="payouts", codename__in=FINANCE_CODENAMES
        )
    )


def can_review(user) -> bool:
    """May approve or reject bank details (of others' submissions)."""
    return active_user(user) and user.has_perm(REVIEW_PERMISSION)


def manages_provider(user, provider_id: int | None) -> bool:
    return provider_id is not None and provider_id in member_provider_ids(user=user)


def can_view_runs(user) -> bool:
    return active_user(user) and user.has_perm(VIEW_RUNS_PERMISSION)


def can_manage_runs(user) -> bool:
    """May prepare a payout run, mark it as sent, cancel it."""
    return active_user(user) and user.has_perm(MANAGE_RUNS_PERMISSION)
