"""The ``huimin`` command."""

from __future__ import annotations

import signal
import sys
import time
from typing import Annotated

import typer

from huimin_cli import suite
from huimin_cli.services import SERVICES, SERVICES_BY_NAME
from huimin_shared import areas
from huimin_shared.auth import Role, mint_token
from huimin_shared.settings import DEVELOPMENT_JWT_SECRET

app = typer.Typer(
    help="huimin (惠民): run the suite, mint development tokens, run migrations.", no_args_is_help=True
)


@app.command()
def run(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Start eligibility (:8001), premium (:8002) and settlement (:8003); Ctrl-C stops all three."""
    urls, where = suite.resolve_database_urls()
    typer.echo(f"databases: {where}")
    suite.migrate(urls)
    typer.echo("migrations: at head")
    processes = suite.start_processes(urls, host)
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        not_ready = suite.wait_ready(host)
        if not_ready:
            typer.echo(f"not ready after 60 s: {', '.join(not_ready)}", err=True)
            raise typer.Exit(1)
        for spec in SERVICES:
            typer.echo(f"{spec.name:<12} http://{host}:{spec.port}/docs")
        typer.echo(
            "token:       .venv/bin/huimin token --role civil_affairs   (roles: "
            + ", ".join(role.value for role in Role)
            + ")"
        )
        typer.echo("Ctrl-C stops all three.")
        while not stopping:
            for spec, process in processes:
                if process.poll() is not None:
                    typer.echo(f"{spec.name} exited with {process.returncode}; stopping the suite", err=True)
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


def main() -> None:
    sys.exit(app())
