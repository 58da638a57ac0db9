"""The admin's rich text editor, with a form error for a value that is not Draftail's.

Draftail posts its content as a JSON object; Wagtail's widget converts it without
checking it is one, so a hand-made post of a number, a list or text that is not JSON
raised deep in the converter (``'int' object has no attribute 'get'``) and the editor
saw a server error. Here such a value is a validation error of the field: the page
editor shows it beside the field and saves nothing. Installed as the default editor by
``WAGTAILADMIN_RICH_TEXT_EDITORS`` in the settings.
"""

import json

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from wagtail.admin.rich_text import DraftailRichTextArea


class CheckedDraftailRichTextArea(DraftailRichTextArea):
    def value_from_datadict(self, data, files, name):
        original_value = data.get(name)
        if original_value is not None:
            try:
                content = json.loads(original_value)
            except ValueError:
                content = ""
            if content is not None and not isinstance(content, dict):
                raise ValidationError(_("This rich text is malformed."), code="malformed")
        return super().value_from_datadict(data, files, name)
