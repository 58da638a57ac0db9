"""Admin page forms of the marketplace.

Imported by model modules (``base_form_class``), so it imports no model of ours.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.blocks.base import BlockField
from wagtail.documents import get_document_model
from wagtail.images import get_image_model


def _file_policies() -> dict:
    """Each file model and the permission policy that says who may choose it."""
    from wagtail.permissions import policy_registry

    return {model: policy_registry.get_by_type(model) for model in _file_models()}


def _file_models() -> tuple[type, type]:
    return get_image_model(), get_document_model()


def _stream_files(field: BlockField, value) -> set[tuple[type, str]]:
    """The images and documents a StreamField value uses, wherever they are nested
    (image blocks, chooser blocks in structs and lists, rich text)."""
    if value is None:
        return set()
    file_models = _file_models()
    return {
        (model, str(object_id))
        for model, object_id, _path, _content_path in field.block.extract_references(value)
        if model in file_models
    }


class CollectionScopedPageForm(WagtailAdminPageForm):
    """A page form that takes only images and documents the editing user may choose.

    Wagtail's choosers show a provider member only its own collection, but the form
    would accept any id posted. A newly chosen image or document (chooser fields of
    the main form, inline panels such as the gallery, and any block of a StreamField,
    however nested) must come from a collection the user has "choose" permission on;
    one already there stays, whoever chose it.
    """

    error_message = _("Choose one of your own images.")
    document_error_message = _("Choose one of your own documents.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The files the page already uses, before the posted data replaces them.
        self._initial_stream_files = {
            name: _stream_files(field, self.initial.get(name))
            for name, field in self.fields.items()
            if isinstance(field, BlockField)
        }

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if self.for_user is None or not self.is_bound:
            # An unbound form (the preview's GET) has nothing posted to check.
            return valid
        policies = _file_policies()
        allowed = {
            model: policy.instances_user_has_permission_for(self.for_user, "choose")
            for model, policy in policies.items()
        }
        forms_to_check = [self] + [
            child
            for formset in getattr(self, "formsets", {}).values()
            for child in formset.forms
            if hasattr(child, "cleaned_data")
        ]
        refused = False
        for form in forms_to_check:
            for name in self._file_fields(form):
                chosen = form.cleaned_data.get(name)
                if chosen is None or name not in form.changed_data or form.has_error(name):
                    continue
                if not allowed[type(chosen)].filter(pk=chosen.pk).exists():
                    form.add_error(name, self._message(type(chosen)))
                    refused = True
        for name, before in self._initial_stream_files.items():
            if name not in self.cleaned_data or self.has_error(name):
                continue
            added = _stream_files(self.fields[name], self.cleaned_data[name]) - before
            for model in {model for model, _pk in added}:
                ids = {pk for m, pk in added if m is model}
                permitted = allowed[model].filter(pk__in=ids).count()
                if permitted < len(ids):
                    self.add_error(name, self._message(model))
                    refused = True
        return valid and not refused

    def _message(self, model) -> str:
        return self.error_message if model is get_image_model() else self.document_error_message

    @staticmethod
    def _file_fields(form) -> list[str]:
        file_models = _file_models()
        return [
            name
            for name, field in form.fields.items()
            if isinstance(field, forms.ModelChoiceField) and field.queryset.model in file_models
        ]
