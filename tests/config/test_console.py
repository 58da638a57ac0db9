"""The console of ``make run`` (issue 14): e-mails readable, huey's lines once and quiet."""

import io
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from config.console_mail import EmailBackend
from config.env import email_settings


def test_console_e_mails_read_as_a_person_reads_them():
    assert email_settings("console://")["EMAIL_BACKEND"] == "config.console_mail.EmailBackend"
    stream = io.StringIO()
    message = EmailMultiAlternatives(
        "Votre réservation R-ABC est confirmée",
        "Bonjour,\n\nVotre séjour à l'Arvière est réservé : 120,00 €.",
        "comptoir@example.org",
        ["visiteuse@example.org"],
    )
    message.attach_alternative("<p>Bonjour</p>", "text/html")
    message.attach("releve.pdf", b"%PDF-1.7 ...", "application/pdf")
    EmailBackend(stream=stream).send_messages([message])
    printed = stream.getvalue()
    assert "Subject: Votre réservation R-ABC est confirmée" in printed
    assert "Votre séjour à l'Arvière est réservé : 120,00 €." in printed
    assert "=?utf-8?" not in printed and "=C3=A9" not in printed
    assert "[alternative: text/html]" in printed
    assert "[attachment: releve.pdf, application/pdf, 12 bytes]" in printed
    assert "JVBERi0" not in printed  # no base64 of the attachment


def test_huey_logs_once_and_quietly_by_default():
    """run_huey adds its own handler only to a 'huey' logger without one: the settings
    give it the console's, so each line is printed once, WARNING and above by default."""
    config = settings.LOGGING["loggers"]["huey"]
    assert config["handlers"] == ["console"] and config["propagate"] is False
    assert config["level"] == "WARNING"
    logger = logging.getLogger("huey")
    assert logger.handlers and not logger.propagate
    assert not logger.isEnabledFor(logging.INFO)
