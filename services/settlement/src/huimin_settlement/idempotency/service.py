"""Idempotency-Key handling (Stripe's model), written in the same transaction as the effect.

A request with a key takes a transaction-scoped advisory lock on the key's hash: a duplicate that
arrives while the first is still running cannot take it and gets a 409 problem. The stored answer
(status and body, refusals included) is inserted next to the effect, so a retry after a client
time-out replays it, and a refused request stays refused the same way. The UNIQUE key column is
the last word if two ever raced past the lock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_settlement.idempotency.models import IdempotencyKey
from huimin_shared.auth import Principal
from huimin_shared.errors import PROBLEM_MEDIA_TYPE, Conflict, ServiceError
from huimin_shared.idnumber import mask_in_text

REPLAYED_HEADER = "Idempotent-Replayed"
KEY_HEADER = "Idempotency-Key"

Effect = Callable[[], Awaitable[tuple[int, Any]]]


class KeyInFlight(Conflict):
    slug = "idempotency-key-in-flight"
    title = "A request with this Idempotency-Key is still being processed"


class KeyReused(Conflict):
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was used for a different request"


def fingerprint(method: str, path: str, subject: str, body: Any) -> str:
    """sha256 of method, path, caller and the canonical JSON body (sorted keys, no spaces)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256("\n".join((method.upper(), path, subject, canonical)).encode()).hexdigest()


def lock_id(key: str) -> int:
    """A signed 64-bit advisory lock id from the key."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


async def run_idempotent(
    session: AsyncSession, request: Request, principal: Principal, key: str, body: Any, effect: Effect
) -> JSONResponse:
    """Run ``effect`` once per key; replay its stored answer to any retry with the same request."""
    path = request.url.path
    request_print = fingerprint(request.method, path, principal.subject, body)
    got_lock = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": lock_id(key)})
    if not got_lock:
        raise KeyInFlight(
            f"a request with Idempotency-Key {key!r} is still in flight; retry after it finishes"
        )
    stored = await session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key))
    if stored is not None:
        if stored.fingerprint != request_print:
            raise KeyReused(
                f"Idempotency-Key {key!r} was first used for {stored.method} {mask_in_text(stored.path)} with another "
                "body; use a new key for a new request"
            )
        return _response(stored.status_code, stored.response_body, replayed=True)
    try:
        async with session.begin_nested():
            status, payload = await effect()
    except ServiceError as error:
        if error.status >= 500:
            raise  # transient: nothing is stored, so a retry can still succeed
        status = error.status
        payload = error.to_problem(
            instance=mask_in_text(path), request_id=getattr(request.state, "request_id", None)
        )
    await session.execute(
        insert(IdempotencyKey).values(
            key=key,
            fingerprint=request_print,
            method=request.method,
            path=path,
            subject=principal.subject,
            status_code=status,
            response_body=payload,
        )
    )
    return _response(status, payload, replayed=False)


def _response(status: int, payload: Any, *, replayed: bool) -> JSONResponse:
    headers = {REPLAYED_HEADER: "true" if replayed else "false"}
    media_type = PROBLEM_MEDIA_TYPE if status >= 400 else "application/json"
    return JSONResponse(payload, status_code=status, headers=headers, media_type=media_type)
