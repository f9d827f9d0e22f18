"""The CloudEvents 1.0 envelope (structured JSON mode) and its HMAC-SHA256 signature.

Built here rather than with the ``cloudevents`` SDK: the envelope is eight attributes, the signature must
cover the exact bytes sent (so this module makes them), and the SDK would be a dependency for that alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
SIGNATURE_HEADER = "Huimin-Signature"
SPEC_VERSION = "1.0"


@dataclass(frozen=True)
class Event:
    """One outbox row as delivered."""

    position: int
    event_id: str
    type: str
    subject: str
    data: dict[str, Any]
    occurred_at: datetime


def envelope(event: Event, source: str) -> dict[str, Any]:
    """The structured-mode event: the required attributes, ``subject``, ``time``, and the extension
    ``huiminsequence`` — the event's position, which ``replay?from=`` takes."""
    return {
        "specversion": SPEC_VERSION,
        "id": event.event_id,
        "source": source,
        "type": event.type,
        "subject": event.subject,
        "time": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "huiminsequence": event.position,
        "data": event.data,
    }


def body(event: Event, source: str) -> bytes:
    return json.dumps(envelope(event, source), ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, content: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the body with the secret."""
    return "sha256=" + hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()


def verify(secret: str, content: bytes, signature: str) -> bool:
    """What a receiver does: recompute over the raw body and compare in constant time."""
    return hmac.compare_digest(sign(secret, content), signature)
