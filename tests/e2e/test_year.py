"""One Benxi year through the three services as separate processes, driven only over HTTP with the
token each role carries — and a year in which a service stops half-way (issue 7).

The people, registered by community officers and certified by civil affairs (B§四(三)):

| who | area | category | age group (1 Jan 2010) | certified | note |
|---|---|---|---|---|---|
| A | 210502 平山区 | dibao | adult | 2009-06-01 | |
| B | 210521 本溪县 | dibao | minor | 2009-01-01 | |
| C | 210503 溪湖区 | marginal | elderly | 2009-09-01 | |
| D | 210522 桓仁县 | marginal | adult | 2009-05-01 | |
| E | 210504 明山区 | dibao | adult | 2010-04-01 | new entrant: paid 15 January 2011 |
| F | 210505 南芬区 | marginal | adult | 2010-06-01 | had paid: refunded at year end |
| G | 210502 平山区 | dibao | adult | 2009-02-01 | employee insurance since 2008: excluded (E3) |
| H | 210503 溪湖区 | dibao | adult | 2009-03-01 | exits 2010-05-31: keeps 2010 (E5) |
| I | 210505 南芬区 | dibao | adult | 2009-01-01 | exits 2009-11-30: only in the 2009-10-31 head count |

Worked by hand from the Benxi pack (illustrative contributions minor 40.00, adult 150.00, elderly
90.00; dibao 100 %, marginal 70 % — B§一(二); city:district 7:3, city:county 5:5 — B§三; Liaoning is
eastern, so no central share — N§二):
A 150.00 = 105.00 city + 45.00 district · B 40.00 = 20.00 + 20.00 · H 150.00 = 105.00 + 45.00
→ dibao collective 340.00 (230.00 city, 110.00 districts/counties).
C 63.00 = 44.10 + 18.90 · D 105.00 = 52.50 + 52.50 → marginal 168.00, two instalments of 84.00
(each payer's part halved: city 22.05 + 26.25 = 48.30, districts/counties 9.45 + 26.25 = 35.70).
F refund 105.00 = 73.50 + 31.50 · E new entrant 150.00 = 105.00 + 45.00.
Due for the year 340.00 + 168.00 + 105.00 + 150.00 = 763.00; into the insurance fund 658.00
(763.00 less the 105.00 refunded to F), of which city 431.60 and districts/counties 226.40.
Head count on 2009-10-31: A B C D H I (G excluded) → pre-allocation 508.00 + I's 150.00 = 658.00.

Own shares (S3): C paid 27.00 in December; D pays 45.00 only on 1 March 2010, so instalment 1 pays C
alone (31.50 = 22.05 city + 9.45 district) and D's 52.50 (26.25 + 26.25) waits from 15 January —
59 days on 15 March — and is paid by a carry batch of instalment 1: 31.50 + 52.50 = 84.00, as before.
Refunds (B§四(四)): F's refund goes to F's approved social-security-card account; the bank returns it, the
105.00 waits in the refund suspense account, F's corrected account is approved (another officer) and the
retry pays it. R1's moved figure counts the refund: 658.00 into the fund + 105.00 refunded = 763.00 =
assessed.

Events (issue 16.4, docs/events.md): before anybody is registered an admin subscribes a webhook on each
service. Hand-counted from the year: eligibility certifies the nine people A–I (9 `certified`) and exits H
and I (2 `exited`, each after its person's `certified`; nobody is corrected); premium makes one version of
each of the year's three assessments — annual, refunds, new entrants (3 `assessed`); settlement executes
five payment batches — dibao collective, instalment 1, its carry, instalment 2, new entrants (5
`batch-paid`) — and the refunds batch (1 `refunded`). Every delivery is signed with its subscription's
secret; the events of one subject arrive in the order they happened; ids are unique.
"""

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from rich.console import Console

from huimin_cli.demo import into_the_fund, print_summary
from huimin_cli.year import CITY, Endpoints, Year, YearError, YearResult
from huimin_policy.packs.files import restated
from huimin_shared import idnumber
from huimin_shared.auth import Role
from huimin_shared.events import SIGNATURE_HEADER, verify
from huimin_shared.events.testing import Receiver, webhook_receiver
from huimin_shared.testing import bearer

from .suite import WAIT, Suite

CIVIL_AFFAIRS = bearer(Role.civil_affairs, subject="ca-wang")


def make_id(area: str, born: str, sequence: int) -> str:
    first_17 = f"{area}{born}{sequence:03d}"
    return first_17 + idnumber.check_character(first_17)


PEOPLE = {
    # key: (area, birth date, sequence, category, certified from, employee insurance since, exit)
    "A": ("210502", "19700501", 11, "dibao", "2009-06-01", None, None),
    "B": ("210521", "20050303", 12, "dibao", "2009-01-01", None, None),
    "C": ("210503", "19450202", 13, "marginal", "2009-09-01", None, None),
    "D": ("210522", "19750707", 14, "marginal", "2009-05-01", None, None),
    "E": ("210504", "19800808", 15, "dibao", "2010-04-01", None, None),
    "F": ("210505", "19820909", 16, "marginal", "2010-06-01", None, None),
    "G": ("210502", "19720101", 17, "dibao", "2009-02-01", "2008-01-01", None),
    "H": ("210503", "19680303", 18, "dibao", "2009-03-01", None, "2010-05-31"),
    "I": ("210505", "19660404", 19, "dibao", "2009-01-01", None, "2009-11-30"),
}
ID = {key: make_id(area, born, seq) for key, (area, born, seq, *_) in PEOPLE.items()}


# Benxi's notice states 2010 only; the other tests play later years, so the city publishes a pack version
# restating its figures for 2011–2015 (general subsidy raised to each year's national minimum), through
# premium's API with maker-checker — a year no pack covers would be refused.
RESTATED_YEARS = {2011: "200.00", 2012: "240.00", 2013: "280.00", 2014: "320.00", 2015: "380.00"}


def publish_benxi_through_2015(suite: Suite) -> None:
    maker = bearer(Role.social_insurance, subject="si-pack-maker")
    checker = bearer(Role.finance, subject="finance-pack-checker")
    with httpx.Client(base_url=suite.url("premium"), timeout=WAIT) as http:
        if http.get("/v1/packs/benxi/versions/2", headers=maker).status_code == 200:
            return
        content = http.get("/v1/packs/benxi/versions/1", headers=maker).json()["content"]
        body = restated(
            content, 2, list(RESTATED_YEARS), "本溪市 restatement for 2011–2015 (e2e)", RESTATED_YEARS
        )
        assert http.post("/v1/packs/benxi/versions", json=body, headers=maker).status_code == 201
        validated = http.post("/v1/packs/benxi/versions/2/validate", headers=maker)
        assert validated.json()["state"] == "validated", validated.text
        approved = http.post("/v1/packs/benxi/versions/2/approve", headers=checker)
        assert approved.status_code == 200, approved.text


@dataclass
class Subscribed:
    receiver: Receiver
    secrets: dict[str, str]  # service → the secret its subscription signs with


@pytest.fixture(scope="module")
def subscribed(suite: Suite) -> Iterator[Subscribed]:
    """An admin subscribes one webhook path per service before the year starts (docs/events.md)."""
    admin = bearer(Role.admin, subject="integration-admin")
    with webhook_receiver() as receiver:
        secrets = {}
        created = []
        for service in ("eligibility", "premium", "settlement"):
            answer = httpx.post(
                suite.url(service) + "/v1/subscriptions",
                json={"url": f"{receiver.url}/{service}", "description": "e2e year (社保局)"},
                headers=admin,
                timeout=WAIT,
            )
            assert answer.status_code == 201, answer.text
            secrets[service] = answer.json()["secret"]
            created.append((service, answer.json()["id"]))
        yield Subscribed(receiver, secrets)
        for service, subscription in created:  # the later files' events go nowhere
            httpx.delete(
                suite.url(service) + f"/v1/subscriptions/{subscription}", headers=admin, timeout=WAIT
            )


@pytest.fixture(scope="module")
def registered(suite: Suite, subscribed: Subscribed) -> dict[str, str]:
    """Community officers apply for each person (the detail sheet); civil affairs decides (another user)."""
    publish_benxi_through_2015(suite)
    with httpx.Client(base_url=suite.url("eligibility"), timeout=WAIT) as http:
        for key, (area, _, _, category, since, employee_since, exit_on) in PEOPLE.items():
            officer = bearer(Role.community_officer, region=area, subject=f"officer-{area}")
            sheet = {
                "id_number": ID[key],
                "name": f"居民{key}",
                "region_code": area,
                "community": f"{area}-社区一",
                "household": f"H-{key}",
                "household_size": 3,
                "category": category,
                "requested_from": since,
                "employee_insurance_since": employee_since,
                "reason": "家庭人均收入低于当地最低生活保障标准",
                "evidence_ref": f"民低〔{since[:4]}〕{key}号",
            }
            applied = http.post("/v1/applications", json=sheet, headers=officer)
            assert applied.status_code == 201, applied.text
            own = http.post(
                f"/v1/applications/{applied.json()['id']}/approve",
                json={"authority": "民政局", "evidence_ref": "自批"},
                headers=bearer(Role.civil_affairs, subject=f"officer-{area}"),
            )
            assert own.status_code == 403, "the officer who submitted cannot approve their own application"
            approved = http.post(
                f"/v1/applications/{applied.json()['id']}/approve",
                json={"authority": f"{area} 民政局", "evidence_ref": f"民低〔{since[:4]}〕{key}号"},
                headers=CIVIL_AFFAIRS,
            )
            assert approved.status_code == 200, approved.text
            if exit_on:
                certifications = http.get(f"/v1/residents/{ID[key]}/certifications", headers=CIVIL_AFFAIRS)
                lineage = certifications.json()["items"][0]["lineage"]
                exited = http.post(
                    f"/v1/certifications/{lineage}/exit",
                    json={"valid_to": exit_on, "reason": "收入超过标准"},
                    headers=CIVIL_AFFAIRS,
                )
                assert exited.status_code == 200, exited.text
    return ID


def endpoints(suite: Suite) -> Endpoints:
    return Endpoints(suite.url("eligibility"), suite.url("premium"), suite.url("settlement"))


async def test_a_benxi_year_moves_the_money_to_the_fen_and_reconciles(
    suite: Suite, registered: dict[str, str], subscribed: Subscribed
) -> None:
    """S3 in order; B§三 funding; B§四(一)–(四) payments; S4 reconciliation; R1; the year's events (16.4)."""
    async with httpx.AsyncClient(timeout=WAIT) as http:
        result = await Year(
            http,
            2010,
            paid=[registered["F"]],
            late_payers={registered["D"]: date(2010, 3, 1)},
            returned=[registered["F"]],
            endpoints=endpoints(suite),
        ).play()

    annual = result.assessments["annual"]["totals"]
    assert annual["assistance_subsidy"] == "508.00"
    assert annual["by_payer"] == {
        "central": "0.00",
        "province": "0.00",
        "city": "326.60",
        "district_or_county": "181.40",
    }
    assert result.funding["pre_allocation"]["basis"]  # priced from the head count
    pre_allocated = sum(
        Decimal(t["amount"])
        for t in result.funding["pre_allocation"]["transfers"]
        if t["credit_account_id"] == _account(suite, "medical_assistance_fund")["id"]
    )
    assert pre_allocated == Decimal("658.00")

    dibao = result.batches["dibao_collective:0"]
    assert dibao["state"] == "executed"
    assert dibao["control"]["total"] == "340.00"
    assert dibao["control"]["by_payer"]["city"] == "230.00"
    # S3: instalment 1 pays C (who paid in December); D, who paid on 1 March, waits and is carried
    first, carried = result.batches["marginal_instalment:1"], result.batches["marginal_instalment:1:carry1"]
    assert first["control"]["line_count"] == 1
    assert (first["control"]["total"], first["control"]["by_payer"]["city"]) == ("31.50", "22.05")
    assert first["control"]["by_payer"]["district_or_county"] == "9.45"
    [waiting] = result.own_shares["waiting:1:2010-03-15"]["items"]
    assert waiting["id_number"] == idnumber.mask(registered["D"])
    assert (waiting["amount"], waiting["waiting_since"], waiting["days_waiting"]) == (
        "52.50",
        "2010-01-15",
        59,
    )
    assert waiting["own_share_paid_on"] == "2010-03-01"
    assert (carried["state"], carried["carry_no"], carried["instalment"]) == ("executed", 1, 1)
    assert (
        carried["control"]["by_payer"]["city"]
        == carried["control"]["by_payer"]["district_or_county"]
        == "26.25"
    )
    assert carried["approved_by"] != carried["prepared_by"]
    for marginal in ([first, carried], [result.batches["marginal_instalment:2"]]):
        assert sum(Decimal(b["control"]["total"]) for b in marginal) == Decimal("84.00")
        assert sum(Decimal(b["control"]["by_payer"]["city"]) for b in marginal) == Decimal("48.30")
        assert sum(Decimal(b["control"]["by_payer"]["district_or_county"]) for b in marginal) == Decimal(
            "35.70"
        )
    nobody = httpx.get(
        suite.url("settlement") + "/v1/own-shares/waiting",
        params={"city": CITY, "year": 2010},
        headers=CIVIL_AFFAIRS,
        timeout=WAIT,
    ).json()
    assert nobody["items"] == []

    # B§四(四): F's refund, returned by the bank, waited in suspense and was paid to the corrected account
    refund = result.own_shares["refund_instructions"]
    assert [(i["attempt"], i["state"], i["amount"]) for i in sorted(refund["items"], key=lambda i: i["attempt"])] == [
        (1, "returned", "105.00"), (2, "paid", "105.00")
    ]  # fmt: skip
    assert refund["retry"]["retried"] == 1
    assert all(i["id_number"] == idnumber.mask(registered["F"]) for i in refund["items"])
    assert all(i["account"].startswith("*") for i in refund["items"])
    assert result.batches["refunds:0"]["control"]["total"] == "105.00"
    assert result.batches["new_entrants:0"]["control"]["total"] == "150.00"
    assert result.batches["new_entrants:0"]["state"] == "executed"

    reconciliation = result.reconciliation
    assert reconciliation["totals"] == {"due": "763.00", "moved": "763.00", "difference": "0.00"}
    assert reconciliation["differences"] == []
    assert reconciliation["refunds_in_suspense"] == []
    assert reconciliation["proofs"]["entries_sum_to_zero"] is True
    assert reconciliation["proofs"]["balances_equal_entries"] is True

    assert _account(suite, "medical_assistance_fund")["balance"]["posted"] == "0.00"
    assert _account(suite, "resident_insurance_fund")["balance"]["posted"] == "658.00"
    assert _account(suite, "external_payee")["balance"]["posted"] == "105.00"
    assert _account(suite, "refund_suspense")["balance"]["posted"] == "0.00"

    fiscal = httpx.get(
        suite.url("settlement") + "/v1/reports/fiscal-subsidy",
        params={"region": CITY, "year": 2010},
        headers=bearer(Role.auditor),
        timeout=WAIT,
    ).json()
    assert fiscal["to_insurance_fund"] == {
        "central": "0.00", "province": "0.00", "city": "431.60", "district_or_county": "226.40", "total": "658.00"
    }  # fmt: skip
    assert fiscal["refunded"] == {
        "central": "0.00", "province": "0.00", "city": "73.50", "district_or_county": "31.50", "total": "105.00"
    }  # fmt: skip
    assert fiscal["moved"]["total"] == "763.00"
    # R1 reads the same figure over REST: with the refund, what moved is what was assessed
    assert result.r1["cities"][0]["moved"]["total"] == "763.00"
    assert result.r1["cities"][0]["assessed"]["total"] == "763.00"
    schedule = {(item["obligation"], item["month"]): item["status"] for item in result.schedule["items"]}
    assert set(schedule.values()) == {"done"}, schedule

    _the_year_s_events_arrived_signed_and_in_order(subscribed, registered, result)


def _events(
    subscribed: Subscribed, service: str, wanted: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """The service's events that ``wanted`` keeps, each once (a redelivery has the same id), as received —
    every delivery's signature checked against the subscription's secret first."""
    unique: dict[str, dict[str, Any]] = {}
    for item in subscribed.receiver.on(f"/{service}"):
        assert verify(subscribed.secrets[service], item.body, item.headers[SIGNATURE_HEADER]), service
        event = item.event
        if wanted(event) and event["id"] not in unique:
            unique[event["id"]] = event
    return list(unique.values())


def _until_counted(
    subscribed: Subscribed, service: str, count: int, wanted: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """Waits (bounded by HUIMIN_READY_TIMEOUT_SECONDS, the suite's one bound) until ``count`` wanted events
    arrived; no assertion on how long it took."""
    deadline = time.monotonic() + WAIT
    while len(events := _events(subscribed, service, wanted)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return events


def _in_order_per_subject(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each subject's event types in the order received; positions must rise within a subject."""
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for event in events:
        by_subject.setdefault(event["subject"], []).append(event)
    for subject, mine in by_subject.items():
        positions = [event["huiminsequence"] for event in mine]
        assert positions == sorted(positions), subject
    return {s: [e["type"].split(".")[3] for e in mine] for s, mine in by_subject.items()}


def _the_year_s_events_arrived_signed_and_in_order(
    subscribed: Subscribed, people: dict[str, str], result: YearResult
) -> None:
    residents = {f"residents/{idnumber.mask(number)}": key for key, number in people.items()}
    certified = _until_counted(subscribed, "eligibility", 11, lambda e: e["subject"] in residents)
    assert len(certified) == 11  # one event per id …
    assert len({e["huiminsequence"] for e in certified}) == 11  # … and one id per event: ids unique
    assert {residents[s]: types for s, types in _in_order_per_subject(certified).items()} == {
        "A": ["certified"], "B": ["certified"], "C": ["certified"], "D": ["certified"], "E": ["certified"],
        "F": ["certified"], "G": ["certified"], "H": ["certified", "exited"], "I": ["certified", "exited"],
    }  # fmt: skip
    assert {e["data"]["id_number"] for e in certified} == set(people.values())
    exits = {
        e["data"]["id_number"]: e["data"]["valid_to"] for e in certified if e["type"].endswith("exited.v1")
    }
    assert exits == {people["H"]: "2010-05-31", people["I"]: "2009-11-30"}

    assessed = _until_counted(
        subscribed, "premium", 3, lambda e: e["data"].get("year") == 2010 and e["data"].get("region") == CITY
    )
    assert len(assessed) == 3  # one event per id …
    assert len({e["huiminsequence"] for e in assessed}) == 3  # … and one id per event: ids unique
    versions = {(e["data"]["kind"], e["data"]["assessment"], e["data"]["version"]) for e in assessed}
    assert versions == {
        (kind, version["id"], version["version"]) for kind, version in result.assessments.items()
    }
    assert {kind for kind, _, _ in versions} == {"annual", "refunds", "new_entrants"}
    assert all(types == ["assessed"] for types in _in_order_per_subject(assessed).values())

    paid = _until_counted(
        subscribed,
        "settlement",
        6,
        lambda e: e["data"].get("year") == 2010 and e["data"].get("city_code") == CITY,
    )
    assert len(paid) == 6  # one event per id …
    assert len({e["huiminsequence"] for e in paid}) == 6  # … and one id per event: ids unique
    kinds = _in_order_per_subject(paid)
    batches = {f"batches/{batch['id']}": key for key, batch in result.batches.items()}
    assert {batches[subject]: types for subject, types in kinds.items()} == {
        "dibao_collective:0": ["batch-paid"], "marginal_instalment:1": ["batch-paid"],
        "marginal_instalment:1:carry1": ["batch-paid"], "marginal_instalment:2": ["batch-paid"],
        "new_entrants:0": ["batch-paid"], "refunds:0": ["refunded"],
    }  # fmt: skip
    totals = {batches[e["subject"]]: e["data"]["control_total"] for e in paid}
    assert totals == {key: result.batches[key]["control"]["total"] for key in totals}


def _account(suite: Suite, account_type: str) -> dict:
    accounts = httpx.get(
        suite.url("settlement") + "/v1/accounts",
        params={"city": CITY},
        headers=bearer(Role.auditor),
        timeout=WAIT,
    ).json()["items"]
    return next(a for a in accounts if a["code"] == f"{account_type}:{CITY}")


async def test_a_service_stopped_mid_year_leaves_nothing_half_done_and_the_year_resumes(
    suite: Suite, registered: dict[str, str]
) -> None:
    """S4: stop premium after the pre-allocation; preparing the 15 January batch is refused with a 503
    naming premium and creates no batch; with premium back, the same year resumes and reconciles."""
    async with httpx.AsyncClient(timeout=WAIT) as http:
        year = Year(http, 2011, endpoints=endpoints(suite))
        await year.open_chart()
        await year.annual_assessment()
        await year.pre_allocation()
        suite.stop("premium")
        try:
            with pytest.raises(YearError, match=r"settlement answered 503.*premium") as refused:
                await year.dibao_collective()
            assert "premium" in str(refused.value)
            batches = httpx.get(
                suite.url("settlement") + "/v1/batches",
                params={"city": CITY, "year": 2011},
                headers=bearer(Role.auditor),
                timeout=WAIT,
            ).json()["items"]
            assert batches == [], "a batch whose assessment could not be fetched must not exist"
        finally:
            suite.start("premium")

        resumed = await Year(http, 2011, endpoints=endpoints(suite)).play()
    assert resumed.reconciliation["differences"] == []
    assert resumed.reconciliation["totals"]["difference"] == "0.00"
    assert Decimal(resumed.reconciliation["totals"]["moved"]) > 0
    assert resumed.batches["dibao_collective:0"]["state"] == "executed"
    assert date.fromisoformat(resumed.batches["dibao_collective:0"]["value_date"]) == date(2011, 1, 14)


async def test_eligibility_stopped_during_an_assessment_fails_the_run_and_the_year_resumes(
    suite: Suite, registered: dict[str, str]
) -> None:
    """S4: with eligibility down, premium cannot read the roster: the run fails, no version (and so
    nothing to pay) exists; with eligibility back, the same command resumes and the year reconciles."""
    async with httpx.AsyncClient(timeout=WAIT) as http:
        year = Year(http, 2012, endpoints=endpoints(suite))
        await year.open_chart()
        suite.stop("eligibility")
        try:
            with pytest.raises(YearError, match="eligibility"):
                await year.annual_assessment()
            assessments = httpx.get(
                suite.url("premium") + "/v1/assessments",
                params={"region": CITY, "year": 2012, "kind": "annual"},
                headers=bearer(Role.auditor),
                timeout=WAIT,
            ).json()["items"]
            assert [a["latest_version"] for a in assessments] == [0]
        finally:
            suite.start("eligibility")
        resumed = await Year(http, 2012, endpoints=endpoints(suite)).play()
    assert resumed.reconciliation["differences"] == []
    assert resumed.reconciliation["balanced"] is True


async def test_settlement_stopped_mid_year_loses_no_payment_and_the_year_resumes(
    suite: Suite, registered: dict[str, str]
) -> None:
    """S4: settlement stops after the dibao payment; the next step fails with a clear error; restarted,
    the year resumes, the dibao batch is not paid twice and the year reconciles to zero."""
    async with httpx.AsyncClient(timeout=WAIT) as http:
        year = Year(http, 2013, endpoints=endpoints(suite))
        await year.open_chart()
        await year.annual_assessment()
        await year.pre_allocation()
        await year.dibao_collective()
        paid_once = year.result.batches["dibao_collective:0"]
        suite.stop("settlement")
        try:
            with pytest.raises(YearError, match="settlement is unavailable"):
                await year.marginal(1)()
        finally:
            suite.start("settlement")
        resumed = await Year(http, 2013, endpoints=endpoints(suite)).play()
    again = resumed.batches["dibao_collective:0"]
    assert again["id"] == paid_once["id"]
    assert [t["id"] for t in again["transfers"]] == [t["id"] for t in paid_once["transfers"]]
    assert resumed.reconciliation["differences"] == []
    assert resumed.reconciliation["totals"]["due"] == resumed.reconciliation["totals"]["moved"]


def _summary(result: YearResult) -> str:
    """The finance officer's summary as `huimin demo year … | less` shows it (not a terminal)."""
    console = Console(file=io.StringIO(), width=80)
    print_summary(result, console)
    return console.file.getvalue()  # type: ignore[attr-defined]


async def test_a_resumed_year_prints_the_same_complete_funding_table_as_a_fresh_one(
    suite: Suite, registered: dict[str, str]
) -> None:
    """B§三, S4, issue 10: J, certified on 2013-12-01 (after the 2013-10-31 head count), makes the 2014
    pre-allocation short, so the dibao payment needs a supplementary allocation (追加拨款). Played
    again, the year finds every step done and prints the same summary — the top-up included — and
    the funding adds up to the reconciled total due."""
    j_id = make_id("210504", "19850505", 20)
    with httpx.Client(base_url=suite.url("eligibility"), timeout=WAIT) as http:
        sheet = {
            "id_number": j_id, "name": "居民J", "region_code": "210504", "community": "210504-社区一",
            "household": "H-J", "household_size": 2, "category": "dibao", "requested_from": "2013-12-01",
            "employee_insurance_since": None, "reason": "家庭人均收入低于当地最低生活保障标准",
            "evidence_ref": "民低〔2013〕J号",
        }  # fmt: skip
        applied = http.post(
            "/v1/applications", json=sheet, headers=bearer(Role.community_officer, region="210504")
        )
        assert applied.status_code == 201, applied.text
        approved = http.post(
            f"/v1/applications/{applied.json()['id']}/approve",
            json={"authority": "210504 民政局", "evidence_ref": "民低〔2013〕J号"},
            headers=CIVIL_AFFAIRS,
        )
        assert approved.status_code == 200, approved.text

    async with httpx.AsyncClient(timeout=WAIT) as http:
        fresh = await Year(http, 2014, endpoints=endpoints(suite)).play()
        resumed = await Year(http, 2014, endpoints=endpoints(suite)).play()

    assert "supplementary_allocation:1" in fresh.funding, sorted(fresh.funding)
    funded = sum((into_the_fund(run) for run in fresh.funding.values()), Decimal("0.00"))
    assert funded == Decimal(fresh.reconciliation["totals"]["due"])
    assert sorted(resumed.funding) == sorted(fresh.funding)
    assert _summary(resumed) == _summary(fresh)
    assert "追加拨款 supplementary allocation 1" in _summary(resumed)
    assert "paid into the fund equals the" in _summary(resumed)
