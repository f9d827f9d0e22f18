"""Finance's pages (财政): batches and their variance, approval and execution by a second person,
reconciliation, the R1 report and a dashboard of charts."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from huimin_portal import charts, i18n
from huimin_portal.apis import ApiProblem, Outcome, Service, ServiceDown, attempt
from huimin_portal.session import SignedIn
from huimin_portal.web import (
    ApisDep,
    Form,
    failure,
    failure_status,
    language,
    optional,
    render,
    require,
    today,
)
from huimin_shared import areas
from huimin_shared.auth import Role

router = APIRouter(include_in_schema=False)

BatchReader = Annotated[
    SignedIn,
    Depends(require(Role.finance, Role.auditor, Role.social_insurance, Role.civil_affairs)),
]
Finance = Annotated[SignedIn, Depends(require(Role.finance))]
LedgerReader = Annotated[SignedIn, Depends(require(Role.finance, Role.auditor))]
Reporter = Annotated[
    SignedIn,
    Depends(require(Role.finance, Role.auditor, Role.social_insurance, Role.civil_affairs)),
]
PAYERS = ("central", "province", "city", "district_or_county")
City = Annotated[str, Query(pattern=r"^[1-9]\d{3}00$")]
CoverYear = Annotated[int | None, Query(ge=2000, le=2100)]


@router.get("/batches")
async def batches(
    request: Request, user: BatchReader, apis: ApisDep, city: City = areas.BENXI_CITY, year: CoverYear = None
) -> Response:
    year = year or today().year
    listed = await attempt(apis.get(Service.settlement, "/v1/batches", city=city, year=year))
    return render(request, "batches.html", {"batches": listed, "city": city, "year": year})


async def _batch_page(
    request: Request, apis: ApisDep, batch_id: uuid.UUID, status_code: int = 200, **extra: Any
) -> Response:
    batch, variance = await asyncio.gather(
        attempt(apis.get(Service.settlement, f"/v1/batches/{batch_id}")),
        attempt(apis.get(Service.settlement, f"/v1/batches/{batch_id}/variance", limit=100)),
    )
    context: dict[str, Any] = {
        "batch": batch,
        "variance": variance,
        "variance_totals": variance_totals(variance.value) if variance.ok and variance.value else {},
        "done": request.query_params.get("done"),
        "problem": None,
        "down": None,
        "today": today(),
    }
    context.update(extra)
    return render(request, "batch.html", context, status_code)


def variance_totals(variance: dict[str, Any]) -> dict[str, Decimal]:
    """Each of current, previous and difference: its paying levels added up (the API gives the parts)."""
    return {
        name: sum((Decimal(amount) for amount in by_payer.values()), Decimal("0.00"))
        for name, by_payer in variance["totals"].items()
    }


@router.get("/batches/{batch_id}")
async def batch(request: Request, batch_id: uuid.UUID, user: BatchReader, apis: ApisDep) -> Response:
    return await _batch_page(request, apis, batch_id)


async def _act(
    request: Request, apis: ApisDep, batch_id: uuid.UUID, verb: str, body: dict[str, Any]
) -> Response:
    try:
        await apis.post(Service.settlement, f"/v1/batches/{batch_id}/{verb}", body)
    except (ApiProblem, ServiceDown) as error:
        return await _batch_page(request, apis, batch_id, failure_status(error), **failure(error))
    return RedirectResponse(f"/batches/{batch_id}?done={verb}", status_code=303)


@router.post("/batches/{batch_id}/approve")
async def approve(
    request: Request, batch_id: uuid.UUID, user: Finance, apis: ApisDep, form: Form
) -> Response:
    return await _act(request, apis, batch_id, "approve", {})


@router.post("/batches/{batch_id}/execute")
async def execute(
    request: Request, batch_id: uuid.UUID, user: Finance, apis: ApisDep, form: Form
) -> Response:
    body: dict[str, Any] = {"settle": "bank" if form.get("settle") == "bank" else "ledger"}
    if value_date := optional(form, "value_date"):
        body["value_date"] = value_date
    return await _act(request, apis, batch_id, "execute", body)


@router.get("/reconciliation")
async def reconciliation(
    request: Request, user: LedgerReader, apis: ApisDep, city: City = areas.BENXI_CITY, year: CoverYear = None
) -> Response:
    year = year or today().year
    answer = await attempt(apis.get(Service.settlement, "/v1/reconciliation", city=city, year=year))
    return render(request, "reconciliation.html", {"reconciliation": answer, "city": city, "year": year})


@router.get("/r1")
async def r1(
    request: Request,
    user: Reporter,
    apis: ApisDep,
    region: Annotated[str, Query(pattern=r"^[1-9]\d{5}$")] = areas.BENXI_CITY,
    year: CoverYear = None,
) -> Response:
    year = year or today().year
    answer = await attempt(apis.get(Service.premium, "/v1/reports/r1", region=region, year=year))
    return render(request, "r1.html", {"report": answer, "region": region, "year": year})


@router.get("/r1.xlsx")
async def r1_workbook(
    request: Request,
    user: Reporter,
    apis: ApisDep,
    region: Annotated[str, Query(pattern=r"^[1-9]\d{5}$")] = areas.BENXI_CITY,
    year: CoverYear = None,
) -> Response:
    year = year or today().year
    try:
        answer = await apis.request(
            Service.premium,
            "GET",
            "/v1/reports/r1",
            params={"region": region, "year": year, "format": "xlsx"},
        )
    except (ApiProblem, ServiceDown) as error:
        failed: Outcome[Any] = (
            Outcome(problem=error) if isinstance(error, ApiProblem) else Outcome(down=error)
        )
        return render(
            request, "r1.html", {"report": failed, "region": region, "year": year}, failure_status(error)
        )
    return Response(
        answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="r1-{region}-{year}.xlsx"'},
    )


def subsidy_chart(rows: list[dict[str, Any]], lang: str) -> charts.BarChart:
    """Due into the insurance fund per district/county, stacked by paying level."""
    due: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(PAYERS, Decimal(0)))
    for row in rows:
        if row["flow"] == "resident_insurance_fund" and row["payer_level"] in PAYERS:
            due[row["region_code"]][row["payer_level"]] += Decimal(row["due"])
    return charts.bar_chart(
        [charts.Row(_area(code), tuple(due[code][p] for p in PAYERS)) for code in sorted(due)],
        [i18n.translate(lang, f"payer.{p}") for p in PAYERS],
        stacked=True,
    )


def moved_chart(rows: list[dict[str, Any]], lang: str) -> charts.BarChart:
    """Due against moved per district/county, every flow and payer together."""
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        totals[row["region_code"]][0] += Decimal(row["due"])
        totals[row["region_code"]][1] += Decimal(row["moved"])
    return charts.bar_chart(
        [charts.Row(_area(code), tuple(totals[code])) for code in sorted(totals)],
        [i18n.translate(lang, "recon.due"), i18n.translate(lang, "recon.moved")],
        stacked=False,
    )


def monthly_chart(months: list[tuple[str, dict[str, Any]]], lang: str) -> charts.BarChart:
    """People new to and exited from the scheme, month by month (the monthly change reports)."""
    rows = []
    for month, report in months:
        changes = [item["change"] for item in report["items"]]
        rows.append(charts.Row(month, (Decimal(changes.count("new")), Decimal(changes.count("exited")))))
    return charts.bar_chart(
        rows,
        [i18n.translate(lang, "change.new"), i18n.translate(lang, "change.exited")],
        stacked=False,
        whole_numbers=True,
    )


def _area(code: str) -> str:
    area = areas.AREAS.get(code)
    return area.name if area else code


MonthlyReaders = (Role.civil_affairs, Role.social_insurance)


@router.get("/dashboard")
async def dashboard(
    request: Request, user: Reporter, apis: ApisDep, city: City = areas.BENXI_CITY, year: CoverYear = None
) -> Response:
    year = year or today().year
    lang = language(request)
    context: dict[str, Any] = {"city": city, "year": year, "money": None, "monthly": None}
    if user.has(Role.finance, Role.auditor):
        answer = await attempt(apis.get(Service.settlement, "/v1/reconciliation", city=city, year=year))
        context["money"] = answer
        if answer.ok and answer.value is not None:
            context["subsidy_chart"] = subsidy_chart(answer.value["rows"], lang)
            context["moved_chart"] = moved_chart(answer.value["rows"], lang)
    if user.has(*MonthlyReaders):
        months = [f"{year:04d}-{m:02d}" for m in range(1, 13)]

        async def all_months() -> list[tuple[str, Any]]:
            reports = await asyncio.gather(
                *(apis.get(Service.eligibility, "/v1/monthly-changes", region=city, month=m) for m in months)
            )
            return list(zip(months, reports, strict=True))

        monthly = await attempt(all_months())
        context["monthly"] = monthly
        if monthly.ok and monthly.value is not None:
            context["monthly_chart"] = monthly_chart(monthly.value, lang)
    return render(request, "dashboard.html", context)
