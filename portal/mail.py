"""E-mail in the embedded mode (``make run``): every message on the console and in a file.

The console shows at once that a notification went out; the file under
``var/mail/`` (``EMAIL_FILE_PATH``) keeps it, as a ``.eml`` that any mail
client opens with its HTML part, for a demo or a check after the fact.
``portal/settings.py`` makes this the backend when ``DEBUG`` is on and
``EMAIL_URL`` is not set.
"""

import re
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.utils import timezone


class ConsoleAndFileBackend(BaseEmailBackend):
    """Print each message (Django's console backend) and save it as ``var/mail/<time>-<message-id>.eml``."""

    def __init__(self, *, fail_silently: bool = False, file_path: str | None = None, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self.console = ConsoleBackend(fail_silently=fail_silently, **kwargs)
        self.folder = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        self.console.send_messages(email_messages)
        self.folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            self._save(message)
        return len(email_messages)

    def _save(self, email_message) -> Path:
        message = email_message.message()
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        # The Message-ID names the file, minus what a file name cannot hold.
        name = re.sub(r"[^A-Za-z0-9._-]", "", message["Message-ID"] or "")[:80] or "message"
        path = self.folder / f"{stamp}-{name}.eml"
        path.write_bytes(message.as_bytes(linesep="\n"))
        return path
