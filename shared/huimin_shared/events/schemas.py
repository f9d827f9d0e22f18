"""Request and response models of the subscriptions API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

EXAMPLE_TYPE = "cn.huimin.eligibility.certified.v1"


class SubscriptionCreate(BaseModel):
    """A webhook to send this service's events to."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://si.example.gov.cn/huimin/events",
                    "types": [EXAMPLE_TYPE],
                    "description": "社保局 参保登记 (social-insurance enrolment)",
                }
            ]
        },
    )

    url: str = Field(
        min_length=8,
        max_length=2000,
        description="Where events are POSTed: https (http only outside production).",
    )
    types: list[str] | None = Field(
        default=None, min_length=1, max_length=50, description="The event types to send; omitted for all."
    )
    description: str | None = Field(default=None, max_length=500, description="Who receives them and why.")
    secret: str | None = Field(
        default=None,
        min_length=32,
        max_length=256,
        description="The HMAC-SHA256 key of the signature header, at least 32 characters; omitted, one is "
        "generated. Returned only in this call's answer, never again.",
    )


class SubscriptionOut(BaseModel):
    """A subscription and how far its delivery got (its secret is never shown)."""

    id: int
    url: str
    types: list[str] | None = Field(description="The event types it takes; null for every type.")
    description: str | None
    created_at: datetime
    created_by: str
    delivered_through: int = Field(description="The last position handled (delivered or dead-lettered).")
    latest_position: int = Field(description="The newest position in this service's outbox.")
    replay_from: int | None = Field(description="A replay asked for that delivery has not begun yet.")
    attempts: int = Field(description="Failed attempts at the next event so far.")
    next_attempt_at: datetime | None = Field(
        description="When the next event is tried again after a failure."
    )
    last_error: str | None
    last_delivered_at: datetime | None
    dead_letters: int = Field(description="Events given up on after the attempt limit.")

    @classmethod
    def of(cls, row: Any) -> SubscriptionOut:
        return cls(**{name: getattr(row, name) for name in cls.model_fields})


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="The signing secret: keep it now, it is not shown again.")


class SubscriptionList(BaseModel):
    items: list[SubscriptionOut]


class DeadLetterOut(BaseModel):
    """An event a subscription gave up on; replay from its position to send it again."""

    position: int
    event_id: uuid.UUID
    attempts: int
    error: str
    dead_at: datetime


class DeadLetterList(BaseModel):
    items: list[DeadLetterOut]
