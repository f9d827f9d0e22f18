"""Keyset pages (never OFFSET): the ``after`` / ``limit`` query parameters list routes share.

A route reads ``after: AfterId = None, limit: PageLimit = DEFAULT_LIMIT``, asks its repository for up
to ``limit`` rows whose key is greater than ``after``, and answers ``next_after`` = the last row's key
when the page came back full (``None`` at the end). A cursor of another kind (an ID number, a UUID)
is declared by the route itself, with the validation that kind needs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000

PageLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page, 1 to {MAX_LIMIT}.")]
"""How many rows a page holds; give it the default ``DEFAULT_LIMIT`` at the route."""

AfterId = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**63 - 1,
        description="Continue after this id: the `next_after` of the previous page (omit for the first page).",
    ),
]
"""A keyset cursor over an integer key (a line id, an entry id, a line number)."""
