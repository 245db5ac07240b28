"""The notification outbox: queue a message now, deliver it later with a pluggable sender.

Services queue messages inside their own transaction (:func:`notify`), so a message exists
exactly when the step it reports was recorded. :func:`outbox_deliver` hands pending messages to
the sender named by the setting (or environment variable) ``SOR_NOTIFICATION_SENDER`` — a
dotted path to a callable taking one :class:`~opensor.register.requests.models.Outbox` row and
raising on failure. The default, :func:`log_sender`, writes the message to the log.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from opensor.register.requests.models import ChangeRequest, Outbox

__all__ = [
    "DEFAULT_SENDER",
    "MAX_ATTEMPTS",
    "Delivery",
    "Sender",
    "log_sender",
    "notify",
    "outbox_deliver",
    "sender_configured",
]

logger = logging.getLogger("opensor.notifications")

Sender = Callable[[Outbox], None]
DEFAULT_SENDER = "opensor.register.requests.outbox.log_sender"
MAX_ATTEMPTS = 5
"""A message that failed this many times is left for an operator (``last_error`` says why)."""


def log_sender(message: Outbox) -> None:
    """Deliver a message by logging it (logger ``opensor.notifications``, level INFO)."""
    logger.info(
        "notification to %s%s: %s\n%s",
        message.recipient,
        f" <{message.email}>" if message.email else "",
        message.subject,
        message.body,
    )


def sender_configured() -> Sender:
    """The sender named by ``SOR_NOTIFICATION_SENDER`` (setting, then environment)."""
    path = (
        getattr(settings, "SOR_NOTIFICATION_SENDER", None)
        or os.environ.get("SOR_NOTIFICATION_SENDER")
        or DEFAULT_SENDER
    )
    try:
        sender = import_string(path)
    except ImportError as error:
        raise ImportError(f"SOR_NOTIFICATION_SENDER={path!r} cannot be imported: {error}") from None
    if not callable(sender):
        raise TypeError(f"SOR_NOTIFICATION_SENDER={path!r} is not callable")
    return sender  # type: ignore[no-any-return]


def notify(
    recipient: str, subject: str, body: str, *, email: str = "", request: ChangeRequest | None
) -> Outbox:
    """Queue one message (within the caller's transaction)."""
    return Outbox.objects.create(
        recipient=recipient[:150],
        email=email[:254],
        subject=subject[:200],
        body=body,
        request=request,
    )


@dataclass(frozen=True)
class Delivery:
    """What one delivery run did."""

    sent: int
    failed: int
    pending: int


def _deliver_one(message_id: int, sender: Sender) -> bool:
    with transaction.atomic():
        message = (
            Outbox.objects.select_for_update().filter(id=message_id, sent_at__isnull=True).first()
        )
        if message is None:
            return True  # another run sent it meanwhile
        message.attempts += 1
        try:
            sender(message)
        except Exception as error:  # any sender failure is recorded, not raised
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            message.save(update_fields=["attempts", "last_error"])
            return False
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "last_error", "sent_at"])
        return True


def outbox_deliver(*, limit: int = 500, sender: Sender | None = None) -> Delivery:
    """Send up to ``limit`` pending messages, oldest first; returns the counts.

    A failing message keeps its place with ``attempts`` and ``last_error`` updated; after
    :data:`MAX_ATTEMPTS` failures it is no longer tried.
    """
    sender = sender or sender_configured()
    pending = Outbox.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
    ids = list(pending.order_by("id").values_list("id", flat=True)[:limit])
    sent = failed = 0
    for message_id in ids:
        if _deliver_one(message_id, sender):
            sent += 1
        else:
            failed += 1
    return Delivery(sent=sent, failed=failed, pending=pending.count())
