"""The admin API's image and document endpoints, limited to what the user may choose.

Wagtail's own endpoints (``/admin/api/main/images/`` and ``.../documents/``) list every
file with its URL to anyone who may enter the admin, provider members, finance and
council included. These list only the files of the collections the user may choose
from or change, as the admin's choosers and listings do.
"""

from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet
from wagtail.permissions import policy_registry

FILE_ACTIONS = ["choose", "change"]


def permitted(queryset, user):
    """``queryset`` limited to the files ``user`` may choose or change."""
    policy = policy_registry.get_by_type(queryset.model)
    allowed = policy.instances_user_has_any_permission_for(user, FILE_ACTIONS)
    return queryset.filter(pk__in=allowed.values("pk"))


class PermittedImagesAdminAPIViewSet(ImagesAdminAPIViewSet):
    def get_queryset(self):
        return permitted(super().get_queryset(), self.request.user)


class PermittedDocumentsAdminAPIViewSet(DocumentsAdminAPIViewSet):
    def get_queryset(self):
        return permitted(super().get_queryset(), self.request.user)
