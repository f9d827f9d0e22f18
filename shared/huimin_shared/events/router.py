"""``/v1/subscriptions``: the webhooks a service sends its events to, managed by the admin role.

Subscriptions receive the events of the whole city, so only a city-wide (region-less) token manages them.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam

from huimin_shared.app import SessionDep
from huimin_shared.auth import Principal, Role, require_roles
from huimin_shared.errors import FieldProblem, Forbidden, NotFound, ValidationFailed, problem_responses
from huimin_shared.events import store
from huimin_shared.events.schemas import (
    DeadLetterList,
    DeadLetterOut,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionOut,
)
from huimin_shared.settings import Environment, SharedSettings

TAG = {
    "name": "events",
    "description": "Webhook subscriptions to this service's events (CloudEvents, HMAC-signed, retried, "
    "replayable) for the other systems: docs/events.md.",
}

SubscriptionId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="Subscription id.")]


def _refuse(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {reason}", errors=[FieldProblem(field=field, reason=reason)])


def _city_wide(principal: Principal) -> Principal:
    if principal.region is not None:
        raise Forbidden("a subscription receives the events of the whole city; use a token without a region")
    return principal


def _check_url(url: str, settings: SharedSettings) -> None:
    allowed = ("https",) if settings.environment is Environment.production else ("https", "http")
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError as exc:  # an unclosed IPv6 bracket, a port past 65535 …
        raise _refuse("body.url", f"is not a URL: {exc}") from exc
    if parts.scheme not in allowed or not host or any(ch.isspace() for ch in url):
        raise _refuse("body.url", f"must be an absolute {' or '.join(allowed)} URL with a host")
    if parts.username or parts.password:
        raise _refuse("body.url", "must not carry credentials; events are authenticated by their signature")


def _check_types(types: list[str] | None, known: Sequence[str]) -> None:
    for index, name in enumerate(types or []):
        if name not in known:
            raise _refuse(
                f"body.types[{index}]", f"{name!r} is not an event of this service: {', '.join(known)}"
            )


def subscriptions_router(event_types: Sequence[str], *roles: Role) -> APIRouter:
    """The subscriptions API of a service publishing ``event_types``, for ``roles`` (the admin role)."""
    router = APIRouter(prefix="/v1/subscriptions", tags=["events"])
    admin = Depends(require_roles(*roles))
    listed = ", ".join(f"`{name}`" for name in event_types)

    async def found(session: SessionDep, subscription_id: int) -> SubscriptionOut:
        row = await store.read(session, subscription_id)
        if row is None:
            raise NotFound(f"no subscription {subscription_id}")
        return SubscriptionOut.of(row)

    @router.post(
        "",
        status_code=201,
        summary="Subscribe a webhook to this service's events (事件订阅)",
        description=f"事件订阅: events ({listed}) are POSTed to `url` as CloudEvents 1.0 in structured JSON mode, signed "
        "with HMAC-SHA256 of the body in the `Huimin-Signature` header, from the next event on (replay reaches "
        "back). The secret is in this answer only. A region-limited token is refused.",
        response_model=SubscriptionCreated,
        responses=problem_responses(401, 403, 422),
    )
    async def create_subscription(
        body: SubscriptionCreate, request: Request, session: SessionDep, principal: Principal = admin
    ) -> SubscriptionCreated:
        _city_wide(principal)
        _check_url(body.url, request.app.state.settings)
        _check_types(body.types, event_types)
        secret = body.secret or secrets.token_urlsafe(32)
        subscription_id = await store.create(
            session,
            url=body.url,
            secret=secret,
            types=sorted(set(body.types)) if body.types else None,
            description=body.description,
            by=principal.subject,
        )
        created = await found(session, subscription_id)
        return SubscriptionCreated(**created.model_dump(), secret=secret)

    @router.get(
        "",
        summary="List the webhook subscriptions (订阅列表)",
        description="订阅列表: every subscription with how far its delivery got; secrets are never shown.",
        response_model=SubscriptionList,
        responses=problem_responses(401, 403),
    )
    async def list_subscriptions(session: SessionDep, principal: Principal = admin) -> SubscriptionList:
        _city_wide(principal)
        return SubscriptionList(items=[SubscriptionOut.of(row) for row in await store.read_all(session)])

    @router.get(
        "/{subscription_id}",
        summary="Read one subscription and its delivery state (订阅详情)",
        description="订阅详情: where delivery got to, its retries and dead letters; never the secret.",
        response_model=SubscriptionOut,
        responses=problem_responses(401, 403, 404, 422),
    )
    async def get_subscription(
        subscription_id: SubscriptionId, session: SessionDep, principal: Principal = admin
    ) -> SubscriptionOut:
        _city_wide(principal)
        return await found(session, subscription_id)

    @router.delete(
        "/{subscription_id}",
        status_code=204,
        summary="Unsubscribe a webhook (取消订阅)",
        description="取消订阅: stops delivery to it; its dead letters go with it.",
        response_class=Response,
        responses=problem_responses(401, 403, 404, 422),
    )
    async def delete_subscription(
        subscription_id: SubscriptionId, session: SessionDep, principal: Principal = admin
    ) -> Response:
        _city_wide(principal)
        if not await store.delete(session, subscription_id):
            raise NotFound(f"no subscription {subscription_id}")
        return Response(status_code=204)

    @router.post(
        "/{subscription_id}/replay",
        status_code=202,
        summary="Send a subscription's events again from a position (重放)",
        description="重放: delivery goes back to the event at position `from` (an event's `huiminsequence`) and "
        "sends it and every later one again, in order — dead-lettered ones included. Receivers recognise "
        "events they already have by their `id`.",
        response_model=SubscriptionOut,
        responses=problem_responses(401, 403, 404, 422),
    )
    async def replay_subscription(
        subscription_id: SubscriptionId,
        session: SessionDep,
        start: Annotated[
            int, Query(alias="from", ge=1, le=2**63 - 1, description="The first position to send again.")
        ],
        principal: Principal = admin,
    ) -> SubscriptionOut:
        _city_wide(principal)
        await found(session, subscription_id)
        latest = await store.latest_position(session)
        if start > latest + 1:
            raise _refuse("query.from", f"{start} is past the newest event (position {latest})")
        await store.ask_replay(session, subscription_id, start)
        return await found(session, subscription_id)

    @router.get(
        "/{subscription_id}/dead-letters",
        summary="List the events a subscription gave up on (死信)",
        description="死信: events that failed the attempt limit, in position order; replay from a position to send "
        "them again.",
        response_model=DeadLetterList,
        responses=problem_responses(401, 403, 404, 422),
    )
    async def list_dead_letters(
        subscription_id: SubscriptionId,
        session: SessionDep,
        after: Annotated[int, Query(ge=0, le=2**63 - 1, description="Only positions after this.")] = 0,
        limit: Annotated[int, Query(ge=1, le=500, description="At most this many.")] = 100,
        principal: Principal = admin,
    ) -> DeadLetterList:
        _city_wide(principal)
        await found(session, subscription_id)
        rows = await store.dead_letters(session, subscription_id, after, limit)
        return DeadLetterList(items=[DeadLetterOut(**row._mapping) for row in rows])

    return router
