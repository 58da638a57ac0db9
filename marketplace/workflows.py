"""What happens when a Wagtail workflow approves (``WAGTAIL_FINISH_WORKFLOW_ACTION``).

Kept free of model imports at module level: Wagtail imports it while loading its models.
"""


def workflow_state_publish(workflow_state, user=None):
    """Publish the approved revision: the workflow's approval is the permission.

    The revision published is the one the last task approved (its task state's
    revision: what the reviewers read), never the object's latest revision, which may
    have been saved after the submission. For an offer whose task passes on its own the
    two are the same.

    Wagtail's default action publishes as ``user`` and checks that this user may
    publish. The user who finishes a workflow is not always a publisher: a provider
    member whose submission passes the offer task on its own (the territory does not
    require approval, or the offer is already live) has no publish permission; that is
    the whole point of submitting to the workflow.
    """
    task_state = workflow_state.current_task_state
    revision = task_state.revision if task_state is not None else None
    if revision is None:
        revision = workflow_state.content_object.get_latest_revision()
    revision.publish(user=user, skip_permission_checks=True)
