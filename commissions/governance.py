"""Who may do what with commissions: finance edits, the council approves.

The "Approbation des commissions" workflow and its council task, and the permissions of
the finance and council groups (:func:`commission_permissions_ensure`, called when a
territory is set up). Who may withdraw a submission is
:func:`commissions.models.user_may_withdraw` (the review lock needs it). What must not
live here: the go-live guards (:mod:`commissions.golive`).
"""

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from wagtail.models import GroupApprovalTask, Task, Workflow, WorkflowContentType, WorkflowTask

from commissions.models import (
    Beneficiary,
    CommissionApprovalTask,
    CommissionRule,
    DistributionKey,
)

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
