"""The e-mail backend of ``EMAIL_URL=console://`` (``make run``): each e-mail as a person
reads it, not as MIME.

Django's console backend prints the raw message: the subject encoded
(``=?utf-8?q?Votre_r=C3=A9servation…``), the text quoted-printable, the HTML and the
attachments in base64, which bury the console. This one prints, between two rules, the
sender, the recipients, the subject and the text body as they are, then one line per HTML
alternative and per attachment (name, type, size).
"""

from __future__ import annotations

from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend

RULE = "-" * 79


def readable(message) -> str:
    lines = [
        RULE,
        f"From: {message.from_email}",
        f"To: {', '.join(message.to)}",
    ]
    if message.cc:
        lines.append(f"Cc: {', '.join(message.cc)}")
    lines += [f"Subject: {message.subject}", "", message.body.rstrip()]
    for _content, mimetype in getattr(message, "alternatives", ()) or ():
        lines.append(f"[alternative: {mimetype}]")
    for attachment in message.attachments:
        if isinstance(attachment, tuple):
            name, content, mimetype = attachment
        else:  # a MIMEBase part
            name = attachment.get_filename() or "attachment"
            content, mimetype = (
                attachment.get_payload(decode=True) or b"",
                attachment.get_content_type(),
            )
        lines.append(f"[attachment: {name}, {mimetype}, {len(content)} bytes]")
    lines.append(RULE)
    return "\n".join(lines) + "\n"


class EmailBackend(DjangoConsoleBackend):
    def write_message(self, message):
        self.stream.write(readable(message))
