"""The ``huimin`` command."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from huimin_cli import demo as demo_module
from huimin_cli import openapi as openapi_module
from huimin_cli import suite
from huimin_cli.demo import DEMO_RESIDENTS, DEMO_SEED, Demo
from huimin_cli.services import PORTAL, SERVICES, SERVICES_BY_NAME
from huimin_cli.year import Endpoints, Staff, Step, Year, YearError, YearResult
from huimin_shared import areas
from huimin_shared.auth import Role, mint_token
from huimin_shared.readiness import NotReady, last_lines
from huimin_shared.settings import DEVELOPMENT_JWT_SECRET

app = typer.Typer(
    help="huimin (惠民): run the suite, mint development tokens, run migrations.", no_args_is_help=True
)


@app.command()
def run(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    demo: Annotated[
        bool, typer.Option(help="Load the Benxi 2010 demo residents once the services are up.")
    ] = True,
    replicas: Annotated[
        int,
        typer.Option(min=1, max=32, help="Processes per service, behind its one port (uvicorn workers)."),
    ] = 1,
) -> None:
    """Start eligibility (:8001), premium (:8002), settlement (:8003) and the community portal (:8000);
    Ctrl-C stops all four."""
    urls, where = suite.resolve_database_urls()
    typer.echo(f"databases: {where}")
    suite.migrate(urls)
    typer.echo("migrations: at head")
    logs = suite.log_dir()
    typer.echo(
        f"logs:        {logs}/{{eligibility,premium,settlement,portal}}.log (JSON, one file per process)"
    )
    processes = suite.start_processes(urls, host, logs, replicas)
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        try:
            suite.wait_ready(processes, host, logs)
        except NotReady as exc:
            typer.echo(f"not started: {exc}", err=True)
            raise typer.Exit(1) from exc
        for service in SERVICES:
            typer.echo(f"{service.name:<12} http://{host}:{service.port}/docs")
        typer.echo(f"{PORTAL.name:<12} http://{host}:{PORTAL.port}/   (development sign-in: pick a role)")
        if demo:
            _load_demo(Endpoints(*(f"http://{host}:{spec.port}" for spec in SERVICES)))
        typer.echo(
            "token:       .venv/bin/huimin token --role civil_affairs   (roles: "
            + ", ".join(role.value for role in Role)
            + ")"
        )
        typer.echo("Ctrl-C stops all four.")
        while not stopping:
            for spec, process in processes:
                if process.poll() is not None:
                    log = logs / f"{spec.name}.log"
                    tail = "\n".join("  " + line for line in last_lines(log))
                    typer.echo(
                        f"{spec.name} exited with {process.returncode}; stopping the suite. "
                        f"Last lines of {log}:\n{tail}",
                        err=True,
                    )
                    stopping = True
            time.sleep(0.5)
    finally:
        suite.stop_processes(processes)
        typer.echo("stopped")


@app.command()
def token(
    role: Annotated[list[Role], typer.Option(help="Role(s) the token carries; repeat for several.")],
    region: Annotated[
        str | None, typer.Option(help="Limit the token to this area code and those under it.")
    ] = None,
    subject: Annotated[str, typer.Option(help="User id (sub).")] = "dev-user",
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 8 * 3600,
    secret: Annotated[
        str,
        typer.Option(envvar="HUIMIN_JWT_SECRET", help="HS256 secret the services share.", show_default=False),
    ] = DEVELOPMENT_JWT_SECRET,
) -> None:
    """Print a development token (HS256, signed with the shared secret; the development one by default)."""
    if region is not None and not areas.is_area_code(region):
        raise typer.BadParameter("a region is a six-digit area code such as 210502", param_hint="--region")
    typer.echo(mint_token(secret, subject=subject, roles=role, region=region, ttl_seconds=ttl))


@app.command()
def migrate(
    service: Annotated[
        str | None, typer.Argument(help="eligibility, premium or settlement; all when left out.")
    ] = None,
) -> None:
    """Upgrade the services' databases to the newest migration (embedded server unless URLs are set)."""
    if service is not None and service not in SERVICES_BY_NAME:
        raise typer.BadParameter(f"unknown service {service!r}", param_hint="SERVICE")
    specs = SERVICES if service is None else (SERVICES_BY_NAME[service],)
    urls, where = suite.resolve_database_urls(specs)
    suite.migrate(urls, specs)
    typer.echo(f"migrated {', '.join(spec.name for spec in specs)} on {where}")


@app.command()
def openapi(
    out: Annotated[
        Path, typer.Option(help="Folder for eligibility.json, premium.json and settlement.json.")
    ] = openapi_module.DEFAULT_FOLDER,
    check: Annotated[
        bool, typer.Option(help="Write nothing; fail when a file differs from what the code documents.")
    ] = False,
) -> None:
    """Write each service's OpenAPI document (as served at /openapi.json) to docs/openapi/."""
    if check:
        stale = openapi_module.stale(out)
        if stale:
            typer.echo(f"out of date in {out}: {', '.join(stale)}; run `huimin openapi`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{out}: up to date")
        return
    for path in openapi_module.export(out):
        typer.echo(f"wrote {path}")


def _load_demo(endpoints: Endpoints, the_demo: Demo | None = None) -> None:
    the_demo = the_demo or Demo()
    try:
        job = demo_module.load(the_demo, endpoints, Staff(_secret()))
    except YearError as exc:
        typer.echo(f"demo:        not loaded: {exc}", err=True)
        return
    typer.echo(
        f"demo:        Benxi {the_demo.year}, {the_demo.residents} synthetic residents "
        f"({job['accepted']} rows new, {job['unchanged']} already there, {job['rejected']} refused); "
        f"play the year: .venv/bin/huimin demo year {the_demo.year}"
    )


def _secret() -> str:
    return os.environ.get("HUIMIN_JWT_SECRET", DEVELOPMENT_JWT_SECRET)


demo_app = typer.Typer(help="The Benxi demo: load synthetic residents, play a year.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")

ResidentsOption = Annotated[int, typer.Option(help="How many synthetic residents.")]
SeedOption = Annotated[int, typer.Option(help="Seed of the synthetic city (same seed, same people).")]
UrlOption = Annotated[str, typer.Option(help="Where the service is.")]


@demo_app.command("load")
def demo_load(
    residents: ResidentsOption = DEMO_RESIDENTS,
    year: Annotated[int, typer.Option(help="Cover year the residents are made for.")] = 2010,
    seed: SeedOption = DEMO_SEED,
    eligibility: UrlOption = "http://127.0.0.1:8001",
) -> None:
    """Import synthetic Benxi residents into a running eligibility service (idempotent)."""
    _load_demo(Endpoints(eligibility=eligibility), Demo(residents, year, seed))


@demo_app.command("year")
def demo_year(
    year: Annotated[int, typer.Argument(help="Cover year to play.")] = 2010,
    residents: ResidentsOption = DEMO_RESIDENTS,
    seed: SeedOption = DEMO_SEED,
    eligibility: UrlOption = "http://127.0.0.1:8001",
    premium: UrlOption = "http://127.0.0.1:8002",
    settlement: UrlOption = "http://127.0.0.1:8003",
) -> None:
    """Play a cover year through the public APIs in the order of docs/policy.md S3 and print what finance
    reads. Stopped half-way, it resumes where it stopped when run again."""
    endpoints = Endpoints(eligibility, premium, settlement)
    paid = Demo(residents, year, seed).paid()
    console = Console()

    async def play() -> YearResult:
        async with httpx.AsyncClient(timeout=300) as http:
            the_year = Year(http, year, paid=paid, endpoints=endpoints, staff=Staff(_secret()))
            steps = the_year.steps()
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                disable=not console.is_terminal,
            ) as progress:
                task = progress.add_task(f"Benxi {year}", total=len(steps))

                def advance(step: Step) -> None:
                    progress.update(task, advance=1, description=f"{step.on.isoformat()}  {step.name}")

                return await the_year.play(advance)

    try:
        result = asyncio.run(play())
    except YearError as exc:
        console.print(f"[red]stopped:[/red] {exc}\nRun the same command again to resume.")
        raise typer.Exit(1) from exc
    demo_module.print_summary(result, console)


def main() -> None:
    sys.exit(app())
