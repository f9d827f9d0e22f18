"""The community portal in a real browser (Chromium driven by Playwright) on the three real services.

Issue 17's flow, each step done by the person whose job it is, through the pages only:
a community officer of 平山区 registers 居民P and applies for dibao from 1 October 2014 with the evidence
reference it rests on; a civil-affairs reviewer (another person) sees that evidence, prefilled as the
证明文号, and approves on it; P's status on 2 October shows dibao with a certificate the page verified against eligibility's keys. The 2015 dibao collective batch, prepared
by one finance officer (fin-chen), is shown to another (fin-wu) with its variance against 2014's batch
(P is new) and approved and executed by that second person; the maker sees "you prepared this" and
no approve button. Reconciliation, R1, the dashboard and the schedule read the same ledger. P signs
in as themself and sees what the government paid for them and the officer's look-up in their read
log. A page whose service is stopped names that service and keeps the rest. Every page is checked for labelled
controls and no inline script, and a screenshot of it is saved.

The portal's suite runs on databases of its own (xdist group "portal"), so its years do not touch
the shared e2e ledger. Screenshots go to ``HUIMIN_PORTAL_SCREENSHOTS`` when set (the README's
pictures: ``HUIMIN_PORTAL_SCREENSHOTS=docs/screenshots``), otherwise to a temporary folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, async_playwright, expect

from huimin_cli.year import CITY, Endpoints, Year
from huimin_shared import idnumber
from huimin_shared.auth import Role
from huimin_shared.testing import bearer

from .suite import SERVICES, Suite, databases, free_port
from .test_year import publish_benxi_through_2015

CHROMIUM = Path(os.environ.get("HUIMIN_CHROMIUM", "/usr/bin/chromium"))
WAIT_MS = float(os.environ.get("HUIMIN_BROWSER_TIMEOUT_SECONDS", "60")) * 1000
READY_SECONDS = float(os.environ.get("HUIMIN_READY_TIMEOUT_SECONDS", "120"))
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def make_id(area: str, born: str, sequence: int) -> str:
    first_17 = f"{area}{born}{sequence:03d}"
    return first_17 + idnumber.check_character(first_17)


P = make_id("210502", "19800101", 501)  # registered and applied for in the browser
ALREADY = [make_id("210502", "19700202", 502), make_id("210503", "20050505", 503)]  # dibao since 2013


@pytest.fixture(scope="module")
async def portal_databases() -> AsyncIterator[dict[str, str]]:
    async with AsyncExitStack() as stack:
        yield await databases(stack, prefix="portal")


class PortalSuite(Suite):
    """The services, given as long as HUIMIN_READY_TIMEOUT_SECONDS to get ready (a busy machine): the base
    suite's wait already reads that setting."""


@pytest.fixture(scope="module")
def services(portal_databases: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Suite]:
    running = PortalSuite(
        ports={s: free_port() for s in SERVICES},
        database_urls=portal_databases,
        log_dir=tmp_path_factory.mktemp("portal-logs"),
    )
    try:
        for service in SERVICES:
            running.start(service)
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="module")
def portal(services: Suite) -> Iterator[str]:
    """The portal as its own process (test mode: Secure session cookie, development sign-in on)."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        PORTAL_ENVIRONMENT="test",
        PORTAL_ELIGIBILITY_URL=services.url("eligibility"),
        PORTAL_PREMIUM_URL=services.url("premium"),
        PORTAL_SETTLEMENT_URL=services.url("settlement"),
        PORTAL_API_TIMEOUT_SECONDS="30",
    )
    log = (services.log_dir / "portal.log").open("ab")
    command = [
        sys.executable, "-m", "uvicorn", "huimin_portal.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the portal exited with {process.returncode}; see {services.log_dir}")
            try:
                if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the portal did not answer within {READY_SECONDS:g} s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get("HUIMIN_PORTAL_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("portal-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium package as root"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        await launched.close()


class Person:
    """One person at the portal in a browser context of their own (their own session cookie)."""

    def __init__(self, page: Page, base: str, folder: Path) -> None:
        self.page, self.base, self.folder = page, base, folder
        self.csp_violations: list[str] = []
        page.on("console", self._console)
        page.on("dialog", lambda dialog: dialog.accept())  # the confirm() before approving

    def _console(self, message: object) -> None:
        text = getattr(message, "text", "")
        if "Content Security Policy" in text:
            self.csp_violations.append(text)

    async def open(self, path: str) -> None:
        response = await self.page.goto(self.base + path)
        assert response is not None, path
        assert response.status < 500, f"{path}: {response.status}"
        await self.check_page()

    async def check_page(self) -> None:
        """Every visible control has a label; every script is a file the portal serves; no CSP report."""
        unlabelled = await self.page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter((c) => c.labels.length === 0 && !c.getAttribute('aria-label'))
                 .map((c) => c.name)"""
        )
        assert unlabelled == [], f"controls without a label: {unlabelled}"
        inline = await self.page.evaluate("() => [...document.scripts].filter((s) => !s.src).length")
        assert inline == 0
        assert self.csp_violations == []

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)


async def sign_in(
    browser: Browser, portal: str, folder: Path, role: str, region: str, subject: str
) -> Person:
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(WAIT_MS)
    person = Person(await context.new_page(), portal, folder)
    await person.open("/signin")
    await expect(person.page.get_by_text("仅供开发和测试使用")).to_be_visible()  # says plainly what it is
    await person.page.get_by_label("角色").select_option(role)
    await person.page.get_by_label("地区").select_option(region)
    await person.page.get_by_label("用户名").fill(subject)
    await person.page.get_by_role("button", name="以所选角色登录").click()
    await expect(person.page.get_by_role("heading", name="工作台")).to_be_visible()
    return person


def certified_since_2013(services: Suite) -> None:
    """Two people in dibao since 2013 (applied by an officer, approved by civil affairs), over HTTP."""
    with httpx.Client(base_url=services.url("eligibility"), timeout=60) as http:
        for number in ALREADY:
            area = number[:6]
            sheet = {
                "id_number": number, "name": f"居民{number[-4:]}", "region_code": area,
                "community": f"{area}-社区一", "household": f"H-{number[-4:]}", "household_size": 2,
                "category": "dibao", "requested_from": "2013-01-01", "reason": "家庭人均收入低于低保标准",
                "evidence_ref": f"民低〔2013〕{number[-4:]}号",
            }  # fmt: skip
            applied = http.post(
                "/v1/applications", json=sheet, headers=bearer(Role.community_officer, region=area)
            )
            assert applied.status_code == 201, applied.text
            approved = http.post(
                f"/v1/applications/{applied.json()['id']}/approve",
                json={"authority": "民政局", "evidence_ref": f"民低〔2013〕{number[-4:]}号"},
                headers=bearer(Role.civil_affairs, subject="ca-wang"),
            )
            assert approved.status_code == 200, approved.text


def endpoints(services: Suite) -> Endpoints:
    return Endpoints(services.url("eligibility"), services.url("premium"), services.url("settlement"))


@pytest.fixture(scope="module")
async def year_2014(services: Suite) -> dict[str, Any]:
    """Two people in dibao since 2013 and Benxi's 2019 dibao collective batch, paid: the batch that
    2015's is compared with."""
    publish_benxi_through_2015(services)  # the city's pack restated for the years played
    certified_since_2013(services)
    async with httpx.AsyncClient(timeout=120) as http:
        year = Year(http, 2014, endpoints=endpoints(services))
        await year.open_chart()
        await year.pre_allocation()
        await year.dibao_collective()
    batch: dict[str, Any] = year.result.batches["dibao_collective:0"]
    return batch


async def test_officer_reviewer_and_finance_do_their_work_in_the_portal(
    services: Suite, portal: str, browser: Browser, screenshots: Path, year_2014: dict[str, Any]
) -> None:
    """E2 (maker ≠ checker), E5/E6 status and certificate, S2 batch variance and second-person approval."""
    previous_total = year_2014["control"]["total"]

    # --- a community officer of 平山区 registers P and applies -------------------------------------
    officer = await sign_in(browser, portal, screenshots, "community_officer", "210502", "officer-li")
    page = officer.page
    await officer.shot("01-officer-home")
    await officer.open("/residents/new")
    await page.get_by_label("公民身份号码").fill(
        P[:17] + ("0" if P[-1] != "0" else "1")
    )  # a wrong check digit
    await page.get_by_label("姓名").fill("居民P")
    await page.get_by_label(re.compile("^社区")).fill("站前社区")
    await page.get_by_label("户号").fill("H-P")
    await page.get_by_role("button", name="登记").click()
    problem = page.get_by_role("alert")
    await expect(problem).to_contain_text("请更正以下内容")  # 422, in the person's language
    await expect(problem.get_by_role("link", name="公民身份号码")).to_be_visible()  # which field
    await expect(page.get_by_label("公民身份号码")).to_have_attribute("aria-invalid", "true")
    await officer.check_page()
    await officer.shot("02-officer-register-problem")
    await page.get_by_label("公民身份号码").fill(P)
    await page.get_by_role("button", name="登记").click()
    await expect(page.get_by_role("status")).to_contain_text("已登记")
    await officer.shot("03-officer-registered")

    await officer.open(f"/applications/new?id_number={P}")
    await page.get_by_label("姓名").fill("居民P")
    await page.get_by_label(re.compile("^社区")).fill("站前社区")
    await page.get_by_label("户号").fill("H-P")
    await page.get_by_label("家庭人口").fill("3")
    await page.get_by_label("类别").select_option("dibao")
    await page.get_by_label("申请资助起始日期").fill("2014-10-01")
    await page.get_by_label("困难情况说明").fill("家庭人均收入低于当地最低生活保障标准")
    await page.get_by_label("证明材料编号").fill(
        "平民低〔2014〕88号"
    )  # the evidence the application rests on
    await officer.shot("04-officer-apply")
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.get_by_role("status")).to_contain_text("申请已提交")
    application = page.locator("article.application", has_text=P)
    await expect(application.locator(".maker")).to_contain_text("officer-li")
    await expect(application.get_by_role("button", name="批准")).to_have_count(0)  # officers do not decide

    # --- civil affairs: the maker is shown; the officer's own subject could not decide -------------
    maker_as_reviewer = await sign_in(browser, portal, screenshots, "civil_affairs", "", "officer-li")
    await maker_as_reviewer.open("/applications")
    own = maker_as_reviewer.page.locator("article.application", has_text=P)
    await expect(own.locator(".own")).to_contain_text("须由另一位工作人员审批")
    await expect(own.get_by_role("button", name="批准")).to_have_count(0)

    reviewer = await sign_in(browser, portal, screenshots, "civil_affairs", "", "ca-zhou")
    await reviewer.open("/applications")
    queue = reviewer.page.locator("article.application", has_text=P)
    await expect(queue.locator(".checker")).to_contain_text("提交人 officer-li，审批人 ca-zhou")
    await expect(queue.locator(".evidence")).to_have_text(
        "平民低〔2014〕88号"
    )  # the reviewer sees the evidence
    await expect(queue.get_by_label("证明文号")).to_have_value("平民低〔2014〕88号")  # and certifies on it
    await reviewer.shot("05-review-queue")
    await queue.get_by_label("证明文号").press("Enter")  # the keyboard sends the approval form
    await expect(reviewer.page.get_by_role("status")).to_contain_text("已批准")
    decided = reviewer.page.locator("tr", has_text="居民P")
    await expect(decided).to_contain_text("ca-zhou")
    await expect(decided).to_contain_text("平民低〔2014〕88号")
    await reviewer.shot("06-decisions")

    # --- the officer looks P up: dibao on the next day, the certificate verified -----------------
    await officer.open(f"/residents/{P}?on=2014-10-02&year=2015")
    await expect(page.locator("#status-verdict")).to_contain_text("2014-10-02 享受资助")
    await expect(page.locator("#status-verdict")).to_contain_text("城市低保")
    await expect(page.locator("#certificate")).to_contain_text("资格证书有效")
    await expect(page.get_by_role("row", name=re.compile("平民低〔2014〕88号"))).to_be_visible()
    await officer.shot("07-resident-status")
    await officer.open(f"/residents/{P}?on=2014-09-30")
    await expect(page.locator("#status-verdict")).to_contain_text("2014-09-30 不享受资助")

    # --- ...and finds P by name, then P's household ------------------------------------------------
    await officer.open("/search")
    await page.get_by_label("姓名（完全一致）").fill("居民P")
    await page.get_by_role("button", name="检索").click()
    await officer.check_page()
    found = page.locator("#search-results").get_by_role("row", name=re.compile(P))
    await expect(found).to_contain_text("站前社区")
    await found.get_by_role("link", name="H-P").click()
    await officer.check_page()
    await expect(page.get_by_role("row", name=re.compile("居民P"))).to_contain_text("享受资助")
    await officer.open(f"/residents/{P}?on=2014-09-30")  # where the English step below begins

    # --- social insurance assesses 2015; finance officer fin-chen prepares the batch (over HTTP) --
    async with httpx.AsyncClient(timeout=120) as http:
        year_2015 = Year(http, 2015, endpoints=endpoints(services))
        await year_2015.pre_allocation()
        annual = await year_2015.assessment("annual")
        prepared = await year_2015.json(
            "settlement",
            "POST",
            "/v1/batches",
            year_2015.staff.finance_maker,
            json={
                "city": CITY, "year": 2015, "kind": "dibao_collective", "instalment": 0,
                "assessment_id": annual["id"], "assessment_version": annual["version"],
            },
        )  # fmt: skip
    batch_id = prepared["id"]

    # --- the maker sees the batch but cannot approve it ------------------------------------------
    maker = await sign_in(browser, portal, screenshots, "finance", "", "fin-chen")
    await maker.open(f"/batches/{batch_id}")
    await expect(maker.page.locator(".own")).to_contain_text("须由另一位财政工作人员审批")
    await expect(maker.page.get_by_role("button", name="审批通过")).to_have_count(0)

    # --- a second finance officer reads the variance, approves and executes ------------------------
    finance = await sign_in(browser, portal, screenshots, "finance", "", "fin-wu")
    await finance.open("/batches?year=2015")
    waiting = finance.page.locator("table").first
    await expect(waiting).to_contain_text("低保集体缴费")
    await expect(waiting).to_contain_text("fin-chen")
    await finance.shot("08-finance-batches")
    await waiting.get_by_role("link", name="低保集体缴费").click()
    await finance.check_page()
    await expect(finance.page.locator("#variance-counts")).to_contain_text("新增 1")
    assert prepared["control"]["total"] != previous_total
    difference = f"{float(prepared['control']['total']) - float(previous_total):.2f}"
    await expect(finance.page.locator("#variance-difference")).to_have_text(f"¥{difference}")
    await expect(finance.page.get_by_role("row", name=re.compile(P))).to_contain_text("新增")
    await expect(finance.page.locator(".checker")).to_contain_text("经办人 fin-chen，审批人 fin-wu")
    await finance.shot("09-batch-variance")
    await finance.page.get_by_role("button", name="审批通过").click()
    await expect(finance.page.get_by_role("status")).to_contain_text("已审批")
    await expect(finance.page.locator("#approved-by")).to_have_text("fin-wu")
    await finance.page.get_by_role("button", name="拨付").click()
    await expect(finance.page.get_by_role("status")).to_contain_text("已拨付")
    await expect(finance.page.locator("#batch-state")).to_have_text("已拨付")
    await finance.shot("10-batch-executed")

    await finance.open("/reconciliation?year=2015")
    await expect(finance.page.locator("#recon-verdict")).to_contain_text("账平")
    await finance.shot("11-reconciliation")
    await finance.open("/dashboard?year=2015")
    await expect(finance.page.get_by_role("img", name="各区县应拨资助（按负担级次）")).to_be_visible()
    await expect(finance.page.get_by_role("img", name="各区县应拨与实拨")).to_be_visible()
    await finance.shot("12-dashboard")
    await finance.open("/r1?year=2015")
    enrolled = finance.page.locator("tfoot td")  # P and the adult since 2013; the minor since 2013
    await expect(enrolled.nth(0)).to_have_text("1")
    await expect(enrolled.nth(1)).to_have_text("2")
    await finance.shot("13-r1")

    # --- civil affairs reads who looked P up, P's payment, and the schedule ----------------------
    await reviewer.open(f"/residents/{P}?on=2015-01-15&year=2015")
    reads = reviewer.page.locator("#read-log")
    await expect(reads.get_by_role("row", name=re.compile("officer-li"))).not_to_have_count(0)
    payments = reviewer.page.get_by_role("region", name="2015年度拨付")
    await expect(payments).to_contain_text("低保集体缴费")
    await expect(payments).to_contain_text("已入账")
    await reviewer.shot("14-resident-reads-and-payments")
    await reviewer.open("/schedule?year=2015&on=2015-02-01")
    await expect(reviewer.page.get_by_role("status")).to_contain_text("逾期事项")
    await reviewer.shot("15-schedule")
    await reviewer.open("/dashboard?year=2014")
    await expect(reviewer.page.get_by_role("img", name="每月新增与退出人数")).to_be_visible()
    await reviewer.shot("16-monthly-changes-chart")

    # --- P signs in as themself (subject = their ID number): their money and who looked them up ---
    resident = await sign_in(browser, portal, screenshots, "resident", "", P)
    await resident.open("/me?on=2015-01-15&year=2015")
    await resident.check_page()
    await expect(resident.page.locator("#status-verdict")).to_contain_text("城市低保")
    await expect(resident.page.locator("#certificate")).to_contain_text("资格证书有效")
    assessed_2015 = resident.page.locator("#own-assessments tbody tr", has_text="年度核定")
    await expect(assessed_2015.locator("td").last).to_have_text("¥0.00")  # dibao: all subsidised (P2)
    own_payments = resident.page.locator("#own-payments")
    await expect(own_payments).to_contain_text("低保集体缴费")
    await expect(own_payments).to_contain_text("已入账")
    officer_look_up = resident.page.locator("#read-log").get_by_role("row", name=re.compile("officer-li"))
    await expect(officer_look_up).not_to_have_count(0)
    await resident.shot("21-resident-own-page")

    # --- English, and a phone's width ---------------------------------------------------------
    await officer.page.get_by_role("button", name="English").click()
    await expect(officer.page.get_by_role("heading", name="Resident", exact=True)).to_be_visible()
    await expect(officer.page.locator("#certificate")).to_contain_text("Certificate valid")
    await officer.shot("17-resident-english")
    await officer.page.set_viewport_size(PHONE)
    await officer.open(f"/residents/{P}?on=2014-10-02")
    overflow = await officer.page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a phone"
    await officer.page.screenshot(path=str(screenshots / "18-resident-phone.png"))
    await officer.page.get_by_role("button", name="中文").click()

    for person in (officer, reviewer, finance, maker, maker_as_reviewer, resident):
        assert person.csp_violations == []


async def test_a_stopped_service_is_named_and_the_rest_of_the_page_works(
    services: Suite, portal: str, browser: Browser, screenshots: Path, year_2014: dict[str, Any]
) -> None:
    """S4 as a person sees it: premium stopped, the resident page says so and still shows the status."""
    certified = ALREADY[0]
    reviewer = await sign_in(browser, portal, screenshots, "civil_affairs", "", "ca-zhou")
    services.stop("premium")
    try:
        await reviewer.open(f"/residents/{certified}?on=2014-06-01&year=2014")
        down = reviewer.page.locator(".problem.down")
        await expect(down).to_have_count(1)
        await expect(down).to_contain_text("保费测算服务（premium）暂时无法访问")
        await expect(reviewer.page.locator("#status-verdict")).to_contain_text("享受资助")
        await expect(reviewer.page.locator("#certificate")).to_contain_text("资格证书有效")
        await reviewer.shot("19-service-down")
    finally:
        services.start("premium")


async def test_a_roster_import_shows_its_row_report(
    services: Suite, portal: str, browser: Browser, screenshots: Path, tmp_path: Path
) -> None:
    """E2 imports: each row accepted or rejected with its reason, the ID number masked."""
    good = make_id("210504", "19900303", 601)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "公民身份号码,姓名,区县代码,社区,户号,类别,认定日期,退出日期,职工医保参保日期,认定机关,证明文号\n"
        f"{good},居民Q,210504,明山社区,H-Q,dibao,2014-03-01,,,明山区民政局,明民低〔2014〕1号\n"
        "210504199003036020,居民R,210504,明山社区,H-R,dibao,2014-03-01,,,明山区民政局,明民低〔2014〕2号\n",
        encoding="utf-8",
    )
    reviewer = await sign_in(browser, portal, screenshots, "civil_affairs", "", "ca-zhou")
    await reviewer.open("/imports")
    await reviewer.page.get_by_label("名册文件").set_input_files(str(roster))
    await reviewer.page.get_by_role("button", name="上传并导入").click()
    await expect(reviewer.page.get_by_role("heading", name="导入结果", exact=True)).to_be_visible()
    await reviewer.check_page()
    rows = reviewer.page.locator("tbody tr")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0)).to_contain_text("接受")
    await expect(rows.nth(1)).to_contain_text("拒绝")
    assert "210504199003036020" not in await reviewer.page.content()  # masked in the report
    await reviewer.shot("20-import-report")


async def test_a_form_without_the_sessions_csrf_token_is_refused(
    services: Suite, portal: str, browser: Browser, screenshots: Path
) -> None:
    """CSRF: the session cookie alone signs nobody in; the form must carry the session's token."""
    context = await browser.new_context(viewport=DESKTOP, locale="zh-CN")
    person = Person(await context.new_page(), portal, screenshots)
    await person.open("/signin")
    await person.page.locator("input[name=csrf_token]").last.evaluate(
        "(input) => { input.value = 'forged'; }"
    )
    await person.page.get_by_role("button", name="以所选角色登录").click()
    await expect(person.page.get_by_role("heading", name="表单已失效")).to_be_visible()
    await person.open("/batches")
    signed_out = person.page.get_by_role("heading", name="登录", exact=True)
    await expect(signed_out).to_be_visible()

    answer = httpx.get(portal + "/signin")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" in cookie


@pytest.mark.parametrize("service", SERVICES)
async def test_each_services_docs_render_with_authorize_on_a_closed_network(
    services: Suite, browser: Browser, service: str
) -> None:
    """The API docs work with no internet: every request to a host other than 127.0.0.1 is aborted."""
    context = await browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(WAIT_MS)
    elsewhere: list[str] = []
    failed: list[str] = []

    async def only_this_machine(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort("internetdisconnected")

    try:
        page = await context.new_page()
        await page.route("**/*", only_this_machine)
        page.on("requestfailed", lambda request: failed.append(request.url))
        response = await page.goto(services.url(service) + "/docs")
        assert response is not None
        assert response.status == 200
        await expect(page.get_by_role("button", name="Authorize")).to_be_visible()
        await expect(page.locator(".opblock").first).to_be_visible()  # the operations are listed
        assert elsewhere == [], f"the docs asked another host: {elsewhere}"
        assert failed == []
    finally:
        await context.close()


async def test_a_refusal_is_appealed_and_answered_by_another_person(
    services: Suite, portal: str, browser: Browser, screenshots: Path, year_2014: dict[str, Any]
) -> None:
    """Appeals (复核): filed by the officer against a refusal, answered by a civil-affairs officer who
    neither refused nor filed; upheld, the person is certified. Search and households find them."""
    q = make_id("210502", "19850505", 504)
    officer = await sign_in(browser, portal, screenshots, "community_officer", "210502", "officer-li")
    await officer.open(f"/applications/new?id_number={q}")
    page = officer.page
    await page.get_by_label("姓名").fill("居民Q")
    await page.get_by_label(re.compile("^社区")).fill("站前社区")
    await page.get_by_label("户号").fill("H-P")  # P's household
    await page.get_by_label("家庭人口").fill("3")
    await page.get_by_label("申请资助起始日期").fill("2014-11-01")
    await page.get_by_label("困难情况说明").fill("家庭人均收入低于当地最低生活保障标准")
    await page.get_by_label("证明材料编号").fill("站前社区证〔2014〕21号")
    await page.get_by_role("button", name="提交申请").click()
    await expect(page.get_by_role("status")).to_contain_text("申请已提交")

    refuser = await sign_in(browser, portal, screenshots, "civil_affairs", "", "ca-li")
    await refuser.open("/applications")
    queue = refuser.page.locator("article.application", has_text=q)
    await queue.get_by_label("不予认定理由").fill("收入核查未通过")
    await queue.get_by_role("button", name="不予认定").click()
    await expect(refuser.page.get_by_role("status")).to_contain_text("不予认定")

    await officer.open("/applications")
    await (
        officer.page.get_by_role("row", name=re.compile("居民Q")).get_by_role("link", name="申请复核").click()
    )
    await officer.page.get_by_label("复核理由").fill("收入证明有误，已补交")
    await officer.page.get_by_label("证明材料编号").fill("补〔2014〕7号")
    await officer.shot("22-appeal-filed")
    await officer.page.get_by_role("button", name="提交复核申请").click()
    await expect(officer.page.get_by_role("status")).to_contain_text("复核申请已提交")

    await refuser.open("/appeals")
    own = refuser.page.locator("article.application", has_text=q)
    await expect(own.locator(".own")).to_be_visible()  # the officer who refused does not answer
    reviewer = await sign_in(browser, portal, screenshots, "civil_affairs", "", "ca-zhou")
    await reviewer.open("/appeals")
    appeal = reviewer.page.locator("article.application", has_text=q)
    await expect(appeal.locator(".maker")).to_contain_text("原决定 ca-li，复核申请 officer-li")
    await appeal.get_by_label("复核决定").first.fill("补交材料属实")
    await appeal.get_by_label("证明文号").fill("复〔2014〕1号")
    await reviewer.shot("23-appeals")
    await appeal.get_by_role("button", name="复核成立").click()
    await expect(reviewer.page.get_by_role("status")).to_contain_text("复核成立")

    await officer.open("/search?name_prefix=居民&community=站前社区")
    results = officer.page.locator("#search-results")
    await expect(results).to_contain_text("居民Q")
    await officer.shot("24-search")
    await results.get_by_role("row", name=re.compile("居民Q")).get_by_role("link", name="H-P").click()
    await expect(officer.page.get_by_role("row", name=re.compile("居民Q"))).to_contain_text("城市低保")
    await officer.check_page()
    await officer.shot("25-household")
