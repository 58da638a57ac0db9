"""The admin's rich text editor, refusing a posted value that is not Draftail's JSON.

Draftail posts its content as a JSON object (``null`` when empty); Wagtail's widget
converts it without checking it is one, so a hand-made post of a number or a list raised
``AttributeError`` deep in the converter (``'int' object has no attribute 'get'``). Here
any such value raises ``ValueError``, as text that is not JSON already did, and
``config.middleware.AdminMalformedRequestMiddleware`` answers it with a 400 Bad Request.
(A form error is not possible: the page editor reads the posted value again, through
this widget, to show the form back.) Installed as the default editor by
``WAGTAILADMIN_RICH_TEXT_EDITORS`` in the settings.
"""

import json

from wagtail.admin.rich_text import DraftailRichTextArea


class CheckedDraftailRichTextArea(DraftailRichTextArea):
    def value_from_datadict(self, data, files, name):
        original_value = data.get(name)
        if original_value is not None:
            content = json.loads(original_value)  # ValueError when it is no JSON
            if content is not None and not isinstance(content, dict):
                raise ValueError(f"rich text {name!r} is not a Draftail content state")
        return super().value_from_datadict(data, files, name)
