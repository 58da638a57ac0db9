"""Admin page forms of the marketplace.

Imported by model modules (``base_form_class``), so it imports no model of ours.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.images import get_image_model


class CollectionScopedPageForm(WagtailAdminPageForm):
    """A page form that takes only images the editing user may choose.

    Wagtail's image chooser shows a provider member only its own collection, but the
    form field would accept any image id posted. A newly chosen image (main form or
    inline panels such as the gallery) must come from a collection the user has
    "choose" permission on; an image already there stays, whoever chose it.
    """

    error_message = _("Choose one of your own images.")

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if self.for_user is None or not self.is_bound:
            # An unbound form (the preview read before anything was posted) is invalid
            # and has no cleaned data to check.
            return valid
        from wagtail.images.permissions import permission_policy

        allowed = permission_policy.instances_user_has_permission_for(self.for_user, "choose")
        forms_to_check = [self] + [
            child
            for formset in getattr(self, "formsets", {}).values()
            for child in formset.forms
            if hasattr(child, "cleaned_data")
        ]
        refused = False
        for form in forms_to_check:
            for name in self._image_fields(form):
                image = form.cleaned_data.get(name)
                if image is None or name not in form.changed_data or form.has_error(name):
                    continue
                if not allowed.filter(pk=image.pk).exists():
                    form.add_error(name, self.error_message)
                    refused = True
        return valid and not refused

    @staticmethod
    def _image_fields(form) -> list[str]:
        image_model = get_image_model()
        return [
            name
            for name, field in form.fields.items()
            if isinstance(field, forms.ModelChoiceField) and field.queryset.model is image_model
        ]
