"""Every SQL statement of a batch's bulk load: premium's NDJSON lines copied as they arrive into a
staging table, parsed and checked there, then numbered and written to ``batch_lines`` in one
``INSERT … SELECT`` — no Python per line. Each expression mirrors a pure rule of ``batches.rules``
(``takes_line``, ``halve_fen``, ``ByPayer.odd_fen_bits``, ``line_numbers``) and is tested against it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy.enums import NO_CATEGORY
from huimin_settlement.batches.rules import BLOCK, BatchKind, ByPayer, LineTotals
from huimin_shared import bulk

# premium's line as text, one per row, numbered in stream order; dropped when the transaction ends
OPEN = (
    "DROP TABLE IF EXISTS pg_temp.premium_lines, pg_temp.premium_parsed",
    "CREATE TEMP TABLE premium_lines (n bigint GENERATED ALWAYS AS IDENTITY, doc text) ON COMMIT DROP",
)
CLOSE = "DROP TABLE IF EXISTS pg_temp.premium_lines, pg_temp.premium_parsed"

# An amount as ``to_fen`` reads it: a JSON string, at most 14 digits and two decimals (huimin_shared.money).
FEN_TEXT = r"^-?[0-9]{1,14}(\.[0-9]{1,2})?$"


def _fen(value: str) -> str:
    return (
        f"CASE WHEN jsonb_typeof({value}) = 'string' AND ({value} #>> '{{}}') ~ '{FEN_TEXT}' "
        f"THEN (({value} #>> '{{}}')::numeric * 100)::bigint END"
    )


# One typed row per streamed line, as ``peers.parse_line`` reads it (a line without a category is
# NO_CATEGORY; no line kind is "regular"); ``valid`` is false where parse_line would refuse the line. Each
# line is parsed once and each field taken out once (MATERIALIZED: otherwise PostgreSQL inlines the
# subquery and parses the text again for every field it reads).
PARSE = f"""
CREATE TEMP TABLE premium_parsed ON COMMIT DROP AS
WITH raw AS MATERIALIZED (
    SELECT n, doc::jsonb AS j FROM premium_lines WHERE doc IS NOT NULL
), fields AS MATERIALIZED (
    SELECT n, j ->> 'id_number' AS id_number, j ->> 'region_code' AS region_code,
        coalesce(nullif(j ->> 'category', ''), '{NO_CATEGORY}') AS category, j ? 'category' AS has_category,
        j ->> 'age_group' AS age_group, coalesce(nullif(j ->> 'line_kind', ''), 'regular') AS line_kind,
        (j ->> 'adjusts_version')::integer AS adjusts_version, coalesce(j ->> 'citation', '') AS citation,
        j -> 'assistance_subsidy' AS s, j -> 'by_payer' -> 'central' AS jc, j -> 'by_payer' -> 'province' AS jp,
        j -> 'by_payer' -> 'city' AS jci, j -> 'by_payer' -> 'district_or_county' AS jd
    FROM raw
), typed AS MATERIALIZED (
    SELECT n, id_number, region_code, category, has_category, age_group, line_kind, adjusts_version, citation,
        {_fen("s")} AS subsidy, {_fen("jc")} AS c, {_fen("jp")} AS p, {_fen("jci")} AS ci, {_fen("jd")} AS d
    FROM fields
)
SELECT n, id_number, region_code, category, age_group, line_kind, adjusts_version, citation, c, p, ci, d,
    (id_number IS NOT NULL AND region_code IS NOT NULL AND has_category AND age_group IS NOT NULL
     AND subsidy IS NOT NULL AND c IS NOT NULL AND p IS NOT NULL AND ci IS NOT NULL AND d IS NOT NULL
     AND c + p + ci + d = subsidy) AS valid
FROM typed
"""


def takes_sql(kind: BatchKind, pays_kind: BatchKind) -> str:
    """``rules.takes_line`` as a condition on a staged line (``:paid_through`` bound by the caller); an
    adjustment batch also keeps only the categories of the kind it adjusts."""
    if kind is BatchKind.adjustment:
        return (
            "(line_kind = 'adjustment' AND adjusts_version IS NOT NULL AND adjusts_version >= :paid_through "
            f"AND {takes_sql(pays_kind, pays_kind)})"
        )
    if kind is BatchKind.dibao_collective:
        return "(category <> 'marginal')"
    if kind is BatchKind.marginal_instalment:
        return "(category = 'marginal')"
    return "TRUE"


def part_sql(column: str, pays_kind: BatchKind, instalment: int) -> str:
    """``rules.line_amounts_fen`` of one payer's part: halved for a marginal instalment (``halve_fen``)."""
    if pays_kind is not BatchKind.marginal_instalment:
        return column
    if instalment == 1:
        return f"sign({column}) * (abs({column}) - abs({column}) / 2)"
    return f"sign({column}) * (abs({column}) / 2)"


# ``ByPayer.odd_fen_bits`` of the assessed parts (PostgreSQL's & | << share one precedence: bracketed)
ODD_FEN_BITS = "((c & 1) | ((p & 1) << 1) | ((ci & 1) << 2) | ((d & 1) << 3))::smallint"

# What the batch pays of each staged line it takes, lines paying nothing left out; ``:people`` (an ID
# number list, or NULL for everyone) narrows who the batch pays.
PAID = """
WITH paid AS (
    SELECT n, id_number, region_code, category, age_group, line_kind, adjusts_version, citation,
        {odd} AS odd_fen, {c} AS c, {p} AS p, {ci} AS ci, {d} AS d
    FROM premium_parsed
    WHERE valid AND {takes} AND (CAST(:people AS text[]) IS NULL OR id_number = ANY(CAST(:people AS text[])))
), kept AS (SELECT * FROM paid WHERE c + p + ci + d <> 0)
"""

# ``rules.line_numbers``: a block of numbers per region and category, in the order each first appears
INSERT_LINES = """
INSERT INTO batch_lines (batch_id, line_no, id_number, region_code, category, age_group, line_kind,
    adjusts_version, amount, central, province, city, district_or_county, citation, odd_fen)
{paid}, blocks AS (
    SELECT region_code, category, (row_number() OVER (ORDER BY min(n)) - 1) * :block AS base
    FROM kept GROUP BY region_code, category
)
SELECT :batch_id, b.base + row_number() OVER (PARTITION BY b.base ORDER BY k.n),
    k.id_number, k.region_code, k.category, k.age_group, k.line_kind, k.adjusts_version,
    (k.c + k.p + k.ci + k.d) * 0.01, k.c * 0.01, k.p * 0.01, k.ci * 0.01, k.d * 0.01,
    coalesce(nullif(left(k.citation, 200), ''), :clause), {odd}
FROM kept AS k JOIN blocks AS b USING (region_code, category)
"""

STREAMED = """
SELECT count(*), coalesce(sum(c), 0), coalesce(sum(p), 0), coalesce(sum(ci), 0), coalesce(sum(d), 0),
    min(n) FILTER (WHERE NOT valid), min(n) FILTER (WHERE valid AND NOT starts_with(region_code, :prefix))
FROM premium_parsed
"""


class StagingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open(self) -> None:
        for statement in OPEN:
            await self.session.execute(text(statement))

    async def close(self) -> None:
        await self.session.execute(text(CLOSE))

    async def copy_ndjson(self, chunks: AsyncIterable[bytes]) -> int:
        """Premium's NDJSON bytes, each line one row, as they arrive."""
        return await bulk.copy_stream(self.session, "premium_lines", chunks, ["doc"], **bulk.WHOLE_LINES)

    async def parse(self) -> None:
        await self.session.execute(text(PARSE))

    async def streamed(self, prefix: str) -> tuple[LineTotals, int | None, int | None]:
        """Every staged line summed (count, each payer in fen), the first that ``parse_line`` refuses and
        the first valid one outside ``prefix``."""
        row = (await self.session.execute(text(STREAMED), {"prefix": prefix})).one()
        return LineTotals(int(row[0]), ByPayer.of_fen(int(v) for v in row[1:5])), row[5], row[6]

    async def doc(self, number: int) -> str | None:
        return (
            await self.session.execute(text("SELECT doc FROM premium_lines WHERE n = :n"), {"n": number})
        ).scalar()

    async def docs(self) -> Sequence[tuple[int, str]]:
        """Every staged line in stream order (only on the rare path that names a malformed line)."""
        result = await self.session.execute(text("SELECT n, doc FROM premium_lines ORDER BY n"))
        return [(int(row[0]), str(row[1])) for row in result.all()]

    async def block_count(self, paid: str, values: dict[str, Any]) -> int:
        statement = paid + "SELECT count(*) FROM (SELECT DISTINCT region_code, category FROM kept) AS k"
        return int((await self.session.execute(text(statement), values)).scalar_one())

    async def insert_lines(self, paid: str, odd: str, values: dict[str, Any]) -> None:
        await self.session.execute(text(INSERT_LINES.format(paid=paid, odd=odd)), values)


def paid_sql(kind: BatchKind, pays_kind: BatchKind, instalment: int) -> str:
    """The ``paid`` and ``kept`` rows of a batch of ``kind`` paying lines as ``pays_kind`` does."""
    return PAID.format(
        odd=ODD_FEN_BITS,
        takes=takes_sql(kind, pays_kind),
        **{column: part_sql(column, pays_kind, instalment) for column in ("c", "p", "ci", "d")},
    )


def line_values(
    batch_id: uuid.UUID, clause: str, paid_through: int, people: Sequence[str] | None
) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "clause": clause,
        "paid_through": paid_through,
        "people": list(people) if people is not None else None,
        "block": BLOCK,
    }
