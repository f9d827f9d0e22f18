"""A read session that lives until a streamed response has been sent.

``SessionDep`` commits and closes before the response starts (scope="function"), which is right for
writes but would close a server-side cursor under a StreamingResponse. This one has the default
scope: FastAPI closes it after the last chunk is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_shared.app import runtime_of


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with runtime_of(request).sessions() as session:
        # One snapshot for the whole stream, read-only.
        await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        try:
            yield session
        finally:
            await session.rollback()


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]
