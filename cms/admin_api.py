"""The admin API's image and document endpoints, limited to what the user may choose.

Wagtail's own endpoints (``/admin/api/main/images/`` and ``.../documents/``) list every
file with its URL to anyone who may enter the admin, provider members, finance and
council included. These list only the files of the collections the user may choose
from or change, as the admin's choosers and listings do.
"""

from wagtail.documents.api.admin.views import DocumentsAdminAPIViewSet
from wagtail.documents.permissions import permission_policy as document_permission_policy
from wagtail.images.api.admin.views import ImagesAdminAPIViewSet
from wagtail.images.permissions import permission_policy as image_permission_policy

FILE_ACTIONS = ["choose", "change"]


class PermittedImagesAdminAPIViewSet(ImagesAdminAPIViewSet):
    def get_queryset(self):
        permitted = image_permission_policy.instances_user_has_any_permission_for(
            self.request.user, FILE_ACTIONS
        )
        return super().get_queryset().filter(pk__in=permitted.values("pk"))


class PermittedDocumentsAdminAPIViewSet(DocumentsAdminAPIViewSet):
    def get_queryset(self):
        permitted = document_permission_policy.instances_user_has_any_permission_for(
            self.request.user, FILE_ACTIONS
        )
        return super().get_queryset().filter(pk__in=permitted.values("pk"))
