"""Pluggable SMS sending. Real gateways (Aliyun, Tencent Cloud) plug in by subclassing.

settings.SMS_BACKEND names the class; the default writes each message to the log so
a developer can read the code off the console. Tests use MemorySmsBackend.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("gongguan.sms")


class BaseSmsBackend:
    def send(self, *, phone: str, message: str) -> None:
        raise NotImplementedError


class LogSmsBackend(BaseSmsBackend):
    def send(self, *, phone: str, message: str) -> None:
        logger.info("SMS to %s: %s", phone, message)


class MemorySmsBackend(BaseSmsBackend):
    """Keeps sent messages in ``outbox`` (a class attribute, like Django's locmem mail)."""

    outbox: list[dict] = []

    def send(self, *, phone: str, message: str) -> None:
        self.outbox.append({"phone": phone, "message": message})


def send_sms(*, phone: str, message: str) -> None:
    backend_class = import_string(settings.SMS_BACKEND)
    backend_class().send(phone=phone, message=message)
