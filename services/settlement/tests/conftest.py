"""Fixtures for the settlement service's tests, on a PostgreSQL database of this worker's own."""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import httpx
import pytest
import respx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from huimin_settlement.app import MIGRATIONS, create_app
from huimin_settlement.settings import SettlementSettings
from huimin_shared.auth import Role
from huimin_shared.db import create_engine
from huimin_shared.idnumber import check_character
from huimin_shared.testing import (
    READY_TIMEOUT_SECONDS,
    RoundRobinTransport,
    api_client,
    bearer,
    forwarding_servers,
    replicas,
    rolled_back_session,
    service_database,
)


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    async with service_database("settlement", MIGRATIONS) as url:
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose work is rolled back after the test."""
    async with rolled_back_session(engine) as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> SettlementSettings:
    return SettlementSettings(
        database_url=database_url,
        environment="test",
        premium_url=PREMIUM_URL,
        eligibility_url=ELIGIBILITY_URL,
    )


@pytest.fixture
async def client(settings: SettlementSettings, session: AsyncSession) -> AsyncIterator[httpx.AsyncClient]:
    """The app over ASGI; every request shares the test's rolled-back session."""
    async with api_client(create_app(settings), session) as client:
        yield client


# --- helpers shared by the settlement tests ------------------------------------------------------

FINANCE = bearer(Role.finance, subject="finance-clerk")
FINANCE_CHECKER = bearer(Role.finance, subject="finance-checker")
SOCIAL_INSURANCE = bearer(Role.social_insurance, subject="si-clerk")
AUDITOR = bearer(Role.auditor, subject="auditor")
SERVICE = bearer(Role.service, subject="service:premium")


class Ledger:
    """Calls the ledger API the way a client would; ``accounts`` maps account code → id."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.accounts: dict[str, int] = {}
        self._keys = itertools.count(1)

    async def open(self, city: str = "210500", districts: list[str] | None = None) -> dict[str, int]:
        body: dict[str, object] = {"city": city}
        if districts is not None:
            body["districts"] = districts
        response = await self.client.post("/v1/ledger/charts", json=body, headers=FINANCE)
        assert response.status_code == 201, response.text
        self.accounts.update({item["code"]: item["id"] for item in response.json()["items"]})
        return self.accounts

    def key(self) -> dict[str, str]:
        return {**FINANCE, "Idempotency-Key": f"test-{uuid.uuid4()}-{next(self._keys)}"}

    async def transfer(
        self,
        debit: str,
        credit: str,
        amount: str,
        *,
        expect: int | None = 201,
        headers: dict[str, str] | None = None,
        **extra: object,
    ) -> httpx.Response:
        body = {
            "transfers": [
                {
                    "debit_account_id": self.accounts[debit],
                    "credit_account_id": self.accounts[credit],
                    "amount": amount,
                    **extra,
                }
            ]
        }
        response = await self.client.post("/v1/transfers", json=body, headers=headers or self.key())
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    async def balance(self, code: str) -> dict[str, str]:
        response = await self.client.get(f"/v1/accounts/{self.accounts[code]}", headers=FINANCE)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["entries_total"] == body["balance"]["posted"]
        return dict(body["balance"])

    async def fund(
        self, code: str, amount: str, district: str = "210502", value_date: str | None = None
    ) -> None:
        """Money into a guarded account along B§三's path: city → district finance → civil affairs → …"""
        extra: dict[str, object] = {"value_date": value_date} if value_date else {}
        city = code.split(":")[1][:4] + "00"
        await self.transfer(f"city_finance:{city}", f"district_finance:{district}", amount, **extra)
        await self.transfer(f"district_finance:{district}", f"civil_affairs:{district}", amount, **extra)
        if code != f"civil_affairs:{district}":
            await self.transfer(f"civil_affairs:{district}", code, amount, **extra)


@pytest.fixture
def ledger_class() -> type[Ledger]:
    return Ledger


@pytest.fixture
async def ledger(client: httpx.AsyncClient) -> Ledger:
    ledger = Ledger(client)
    await ledger.open()
    return ledger


# --- a database with real commits, for concurrency ----------------------------------------------


@pytest.fixture(scope="session")
async def live_database_url() -> AsyncIterator[str]:
    """A second database whose tests commit for real: the rolled-back session cannot show concurrency."""
    async with service_database("settlement_live", MIGRATIONS) as url:
        yield url


_cities = itertools.count(60)


@pytest.fixture
def live_city() -> str:
    """A city code of this test's own in the live database (fictional, under Liaoning)."""
    return f"21{next(_cities):02d}00"


@pytest.fixture(scope="session")
def settlement_replicas(
    live_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[str]]:
    """Two uvicorn processes of settlement on the live database, started once; their peers are the respx
    fakes of this test process, reached through forwarding servers."""
    with forwarding_servers([PREMIUM_URL, ELIGIBILITY_URL]) as (premium, eligibility):
        env = dict(os.environ)
        env.update(
            SETTLEMENT_DATABASE_URL=live_database_url,
            SETTLEMENT_ENVIRONMENT="test",
            SETTLEMENT_DATABASE_POOL_SIZE="12",
            SETTLEMENT_PENDING_SWEEP_SECONDS="0",
            SETTLEMENT_PREMIUM_URL=premium,
            SETTLEMENT_ELIGIBILITY_URL=eligibility,
            SETTLEMENT_PEER_RETRY_ATTEMPTS="1",
        )
        logs = tmp_path_factory.mktemp("settlement-replicas")
        with replicas("huimin_settlement.app:create_app", env, logs) as started:
            yield [url for url, _process in started]


ONE_PROCESS, TWO_REPLICAS = "one process", "two replicas"


@pytest.fixture(params=[ONE_PROCESS])
async def live_client(
    request: pytest.FixtureRequest, live_database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the live database: in this process over ASGI, or — parametrised with ``TWO_REPLICAS`` —
    two uvicorn processes with the requests spread across both in turn (both must serve some)."""
    if request.param == TWO_REPLICAS:
        urls: list[str] = request.getfixturevalue("settlement_replicas")
        transport = RoundRobinTransport(urls)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://settlement.replicas", timeout=READY_TIMEOUT_SECONDS
        ) as client:
            yield client
        assert min(transport.served) > 0, transport.served
        return
    settings = SettlementSettings(
        database_url=live_database_url,
        environment="test",
        database_pool_size=12,
        pending_sweep_seconds=0,
        premium_url=PREMIUM_URL,
        eligibility_url=ELIGIBILITY_URL,
    )
    async with api_client(create_app(settings)) as client:
        yield client


@pytest.fixture
async def live_engine(live_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(live_database_url, pool_size=2)
    yield engine
    await engine.dispose()


# --- a premium service answering over respx, with hand-worked assessments -------------------------

PREMIUM_URL = "http://premium.test"
ELIGIBILITY_URL = "http://eligibility.test"


def id_number(area: str, born: str, sequence: int) -> str:
    """A valid GB 11643 number: area, birth date YYYYMMDD, sequence, check character."""
    first_17 = f"{area}{born}{sequence:03d}"
    return first_17 + check_character(first_17)


def line(
    number: str,
    region: str,
    category: str,
    age_group: str,
    by_payer: tuple[str, str, str, str],
    *,
    line_kind: str = "regular",
    adjusts_version: int | None = None,
) -> dict[str, object]:
    """One premium assessment line; by_payer is (central, province, city, district_or_county)."""
    payers = dict(zip(("central", "province", "city", "district_or_county"), by_payer, strict=True))
    subsidy = sum((Decimal(v) for v in by_payer), Decimal("0.00"))
    return {
        "id_number": number,
        "region_code": region,
        "category": category,
        "age_group": age_group,
        "line_kind": line_kind,
        "adjusts_version": adjusts_version,
        "individual_contribution": str(subsidy),
        "assistance_subsidy": str(subsidy),
        "resident_pays": "0.00",
        "by_payer": payers,
        "citation": "本政办发〔2009〕130号 B§一(二)",
    }


class PremiumFake:
    """Publishes assessment versions on respx routes shaped like the agreed premium contract."""

    current: PremiumFake | None = None  # the test's own fake (tests in a worker run one at a time)

    def __init__(self, router: respx.Router) -> None:
        PremiumFake.current = self
        self.router = router
        self.assessments: dict[str, dict[str, object]] = {}
        self.versions: dict[tuple[str, int], tuple[dict[str, object], list[dict[str, object]]]] = {}

    @staticmethod
    def _lines(request: httpx.Request, lines: list[dict[str, object]]) -> httpx.Response:
        """The NDJSON stream, honouring premium's `category` (repeatable, `none` = no category) and `line_kind`."""
        categories = request.url.params.get_list("category")
        line_kind = request.url.params.get("line_kind")
        kept = [
            item
            for item in lines
            if (not categories or (item["category"] or "none") in categories)
            and (line_kind is None or (item.get("line_kind") or "regular") == line_kind)
        ]
        body = "".join(json.dumps(item) + "\n" for item in kept)
        return httpx.Response(200, text=body, headers={"Content-Type": "application/x-ndjson"})

    def publish(
        self,
        assessment_id: str,
        lines: list[dict[str, object]],
        *,
        region: str = "210500",
        year: int = 2010,
        kind: str = "annual",
    ) -> int:
        """Publish the next version of an assessment, as premium writes it.

        Version 1 is ``lines`` (regular lines). A later version carries every line of the version before
        it unchanged (regular and earlier adjustment lines keep their kind) followed by ``lines``, which
        must be the adjustment lines of what changed against that version (new +, exited −, reversal −,
        replacement +, each ``adjusts_version`` = the previous version)."""
        version = sum(1 for key in self.versions if key[0] == assessment_id) + 1
        if version > 1:
            previous = version - 1
            for item in lines:
                assert item["line_kind"] == "adjustment", "a later version adds adjustment lines only"
                assert item["adjusts_version"] == previous, f"adjustments of v{version} adjust v{previous}"
            lines = [*self.versions[(assessment_id, previous)][1], *lines]
        totals = {p: Decimal("0.00") for p in ("central", "province", "city", "district_or_county")}
        for item in lines:
            for payer, amount in item["by_payer"].items():  # type: ignore[attr-defined]
                totals[payer] += Decimal(amount)
        header = {
            "id": assessment_id,
            "version": version,
            "region": region,
            "year": year,
            "kind": kind,
            "as_of": "2009-12-31T00:00:00+08:00",
            "pack": {"id": "benxi-2009-130", "version": 1},
            "line_count": len(lines),
            "totals": {
                "assistance_subsidy": str(sum(totals.values())),
                "by_payer": {k: str(v) for k, v in totals.items()},
                "by_category": {},
                "by_age_group": {},
            },
            "status": "complete",
        }
        self.versions[(assessment_id, version)] = (header, lines)
        self.assessments[assessment_id] = {
            "id": assessment_id,
            "region": region,
            "year": year,
            "kind": kind,
            "latest_version": version,
            "pack": {"id": "benxi-2009-130", "version": 1},
        }
        self.router.get(f"{PREMIUM_URL}/v1/assessments/{assessment_id}").mock(
            side_effect=lambda request, a=assessment_id: httpx.Response(200, json=self.assessments[a])
        )
        self.router.get(f"{PREMIUM_URL}/v1/assessments/{assessment_id}/versions/{version}").mock(
            return_value=httpx.Response(200, json=header)
        )
        self.router.get(f"{PREMIUM_URL}/v1/assessments/{assessment_id}/versions/{version}/lines").mock(
            side_effect=lambda request, lines=lines: self._lines(request, lines)
        )
        self.router.get(f"{PREMIUM_URL}/v1/assessments/{assessment_id}/versions/{version}/groups").mock(
            return_value=httpx.Response(200, json={"items": groups_of(lines)})
        )
        return version


def groups_of(lines: list[dict[str, object]]) -> list[dict[str, object]]:
    """Premium's grouped read: lines summed per region, category, age group and line kind."""
    sums: dict[tuple[object, ...], dict[str, object]] = {}
    for item in lines:
        key = (item["region_code"], item["category"], item["age_group"], item.get("line_kind") or "regular")
        group = sums.setdefault(
            key,
            {
                **dict(zip(("region_code", "category", "age_group", "line_kind"), key, strict=True)),
                "count": 0,
                "assistance_subsidy": Decimal("0.00"),
                "by_payer": dict.fromkeys(
                    ("central", "province", "city", "district_or_county"), Decimal("0.00")
                ),
            },
        )
        group["count"] += 1  # type: ignore[operator]
        group["assistance_subsidy"] += Decimal(str(item["assistance_subsidy"]))  # type: ignore[operator]
        for payer, amount in item["by_payer"].items():  # type: ignore[attr-defined]
            group["by_payer"][payer] += Decimal(amount)  # type: ignore[index]
    return [
        {
            **g,
            "assistance_subsidy": str(g["assistance_subsidy"]),
            "by_payer": {k: str(v) for k, v in g["by_payer"].items()},
        }  # type: ignore[attr-defined]
        for g in sums.values()
    ]


@pytest.fixture
def peers() -> Iterator[respx.Router]:
    with respx.mock(assert_all_called=False) as router:
        router.route(host="127.0.0.1").pass_through()  # the replicas of settlement itself
        yield router


@pytest.fixture
def premium(peers: respx.Router) -> PremiumFake:
    return PremiumFake(peers)


@pytest.fixture
def make_line():
    return line


@pytest.fixture
def make_id():
    return id_number


# --- own shares (S3): what the social-insurance system says people paid ---------------------------

OWN_SHARE_RECORDER = bearer(Role.social_insurance, subject="si-own-shares")


async def record_own_shares(
    client: httpx.AsyncClient,
    premium: PremiumFake | None = None,
    *,
    year: int = 2010,
    paid_on: str = "2009-12-20",
    except_for: tuple[str, ...] = (),
) -> None:
    """Every marginal person of every published assessment pays their own share on ``paid_on`` (S3), but
    ``except_for``: the marginal instalments of the other tests pay everybody, as before the gate."""
    premium = premium or PremiumFake.current
    assert premium is not None
    people = {
        str(item["id_number"]): str(item["region_code"])
        for _header, lines in premium.versions.values()
        for item in lines
        if item["category"] == "marginal" and item["id_number"] not in except_for
    }
    if not people:
        return
    payments = [
        {
            "id_number": number,
            "region_code": region,
            "cover_year": year,
            "amount": "27.00",
            "paid_on": paid_on,
        }
        for number, region in sorted(people.items())
    ]
    response = await client.post(
        "/v1/own-share-payments", json={"payments": payments}, headers=OWN_SHARE_RECORDER
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def own_shares_paid():
    return record_own_shares
