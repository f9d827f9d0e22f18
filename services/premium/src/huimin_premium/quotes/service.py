"""The quote use case: facts (or eligibility's status) → the pure calculator → a quote with its working."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from huimin_policy.ages import reference_date
from huimin_policy.enums import PAYERS, Category
from huimin_premium import parameters, rules
from huimin_premium.packs import service as packs
from huimin_premium.peers import EligibilityClient
from huimin_premium.quotes.schemas import (
    Considered,
    PayerAmounts,
    Quote,
    QuotedResident,
    QuoteRequest,
    Working,
)
from huimin_premium.reads.service import log_reads
from huimin_shared.auth import Principal
from huimin_shared.errors import NotFound, Unprocessable
from huimin_shared.http import PeerResponseError


def _working(cited: parameters.Cited[Decimal]) -> Working:
    return Working(
        amount=cited.value,
        rule=cited.rule,
        parameters=dict(cited.parameters),
        citation=cited.citation,
        illustrative=cited.illustrative,
    )


def not_in_region(principal: Principal) -> NotFound:
    """The one answer a region-limited token gets for an ID number it may not see: the same whether
    eligibility does not know the resident or knows them elsewhere, so the answer reveals neither."""
    return NotFound(f"no resident with this ID number is known in region {principal.region}")


async def quote(
    session: AsyncSession, eligibility: EligibilityClient, request: QuoteRequest, principal: Principal
) -> Quote:
    on = request.on or reference_date(request.year)
    eligible: bool | None = None
    excluded_reason: str | None = None
    if request.facts is not None:
        principal.ensure_covers(request.facts.region_code)  # the caller's own facts: a plain 403
        birth_date, region_code = request.facts.birth_date, request.facts.region_code
        categories = set(request.facts.categories)
    else:
        if request.id_number is None:
            raise RuntimeError("request.id_number is missing")
        try:
            status = await eligibility.status(request.id_number, on, on_behalf_of=principal)
        except PeerResponseError as exc:
            # 403: eligibility applied the user's region limit (on behalf of) — the same answer as unknown.
            if exc.status in (403, 404) and principal.region is not None:
                raise not_in_region(principal) from None
            raise
        if not principal.covers(status.region_code):
            # Checked before anything about the resident is used or shown (region, categories, amounts).
            raise not_in_region(principal)
        birth_date, region_code = status.birth_date, status.region_code
        eligible, excluded_reason = status.eligible, status.excluded_reason
        known = {c.value for c in Category}
        # Only an eligible status is subsidised (E3: employee insurance and others excluded by eligibility).
        categories = {Category(c) for c in status.categories if c in known} if status.eligible else set()
    params = await packs.parameters(session, region_code, request.year, request.pack)
    if birth_date > on:
        raise Unprocessable(f"the resident is born after {on.isoformat()}")
    outcome = rules.calculate(
        birth_date, region_code, categories, params, supplementary=request.supplementary
    )
    figures = {
        "financing_standard": outcome.financing_standard,
        "general_subsidy": outcome.general_subsidy,
        "individual_contribution": outcome.individual_contribution,
        "assistance_subsidy": outcome.assistance_subsidy,
        "resident_pays": outcome.resident_pays,
        "total_resident_pays": outcome.total_resident_pays,
        **{f"by_payer.{payer.value}": outcome.by_payer[payer] for payer in PAYERS},
    }
    if outcome.supplementary_premium is not None:
        figures["supplementary_premium"] = outcome.supplementary_premium
    working = {name: _working(cited) for name, cited in figures.items()}
    if request.id_number is not None:  # a quote by ID number shows a person's figures (DRS-8)
        await log_reads(session, [request.id_number], principal, "quote")
    return Quote(
        year=request.year,
        reference_date=reference_date(request.year),
        pack=params.pack,
        national_pack=params.national_pack,
        resident=QuotedResident(
            id_number=request.id_number,
            birth_date=birth_date,
            region_code=region_code,
            region_class=outcome.region_class,
            categories=sorted(categories, key=lambda c: c.value),
            age_group=outcome.age_group,
            eligible=eligible,
            excluded_reason=excluded_reason,
        ),
        category=outcome.category,
        financing_standard=outcome.financing_standard.value,
        general_subsidy=outcome.general_subsidy.value,
        individual_contribution=outcome.individual_contribution.value,
        assistance_subsidy=outcome.assistance_subsidy.value,
        resident_pays=outcome.resident_pays.value,
        by_payer=PayerAmounts(**{payer.value: outcome.by_payer[payer].value for payer in PAYERS}),
        supplementary_premium=outcome.supplementary_premium.value if outcome.supplementary_premium else None,
        total_resident_pays=outcome.total_resident_pays.value,
        citation=outcome.citation,
        working=working,
        considered=[
            Considered(
                category=c.category,
                rule=c.rule,
                amount=c.amount,
                citation=c.citation,
                parameters=dict(c.parameters),
            )
            for c in outcome.considered
        ],
        illustrative=any(w.illustrative for w in working.values()),
    )
