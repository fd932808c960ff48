"""``dutydesk drill``: list, start, watch, stop and report drills (操作演练).

Examples::

    dutydesk drill list
    dutydesk drill start chemical_fire --speed 10
    dutydesk drill status
    dutydesk drill stop
    dutydesk drill report --format docx -o drill.docx

A run's injects fire in the console (key ``D``), where the officer takes each report
through intake; the command line starts, watches, stops and reports. Data goes to
stdout, messages to stderr; errors are one line with exit code 2.
"""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from dutydesk.cli.commands.context import DbOption, OperatorOption, open_env, signed_in
from dutydesk.cli.commands.output import (
    DocumentFormat,
    OutputFileOption,
    message,
    render_table,
    write_document,
)
from dutydesk.i18n import t

drill_app = typer.Typer(
    name="drill",
    help="Drills (操作演练): rehearse a scenario through the response chain and measure it.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@drill_app.command("list")
def list_(ctx: typer.Context, db: DbOption = None) -> None:
    """The scenarios in data/drills and in the configured drills_dir."""
    from dutydesk.services.drills import list_scenarios

    env = open_env(ctx, db)
    found = list_scenarios(env.settings)
    headers = [
        t("drill.cli.name"),
        t("drill.cli.title"),
        t("drill.cli.injects"),
        t("drill.cli.file"),
    ]
    rows = [
        [
            item.name,
            # A broken file says why, without repeating its path (the last column).
            item.scenario.title
            if item.scenario
            else (item.error or "").removeprefix(f"{item.path}: "),
            len(item.scenario.injects) if item.scenario else "-",
            str(item.path),
        ]
        for item in found
    ]
    typer.echo(render_table(headers, rows, limit=80))


@drill_app.command()
def start(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Argument(help="A name from `drill list`, or a .toml file.")],
    speed: Annotated[float, typer.Option(help="Scenario minutes per real minute (1: live).")] = 1.0,
    operator: OperatorOption = None,
    db: DbOption = None,
) -> None:
    """Start a drill; its injects fall due at their times divided by the speed."""
    from dutydesk.services.drills import find_scenario, injects, start_run

    env = open_env(ctx, db)
    actor = signed_in(env, operator)
    path = find_scenario(scenario, env.settings)
    run_id = start_run(env.db, path, speed=speed, actor=actor.name, actor_id=actor.id, now=env.now)
    states = injects(env.db, run_id)
    typer.echo(run_id)
    title = env.db.read("SELECT title FROM drill_run WHERE id = :id", {"id": run_id})[0][0]
    message(t("drill.cli.started", id=run_id, title=title, speed=f"{speed:g}", count=len(states)))


@drill_app.command()
def status(ctx: typer.Context, db: DbOption = None) -> None:
    """The running drill's injects: due, waiting for intake, taken, applied."""
    from dutydesk.reports.drill import heading, inject_cells, inject_headers, run_line
    from dutydesk.services.drills import active_run_id, build_report

    env = open_env(ctx, db)
    run_id = active_run_id(env.db)
    if run_id is None:
        message(t("drill.cli.none_running"))
        return
    report = build_report(env.db, run_id, now=env.now)
    tz = env.settings.tz
    typer.echo(heading(report))
    typer.echo(run_line(report, tz))
    rows = [inject_cells(inject, tz, report) for inject in report.injects]
    typer.echo(render_table(inject_headers(tz, report.started_at), rows, limit=60))


@drill_app.command()
def stop(ctx: typer.Context, operator: OperatorOption = None, db: DbOption = None) -> None:
    """Stop the running drill (its report stays available)."""
    from dutydesk.services.drills import stop_run

    env = open_env(ctx, db)
    run_id = stop_run(env.request(actor=signed_in(env, operator)))
    typer.echo(run_id)
    message(t("drill.cli.stopped", id=run_id))


@drill_app.command()
def report(
    ctx: typer.Context,
    run: Annotated[int | None, typer.Argument(help="Run number (default: the latest).")] = None,
    format_: Annotated[
        Literal["md", "docx"],
        typer.Option("--format", help="md, or docx (a Word file: use -o)."),
    ] = "md",
    output: OutputFileOption = None,
    db: DbOption = None,
) -> None:
    """The drill report: each step against its target, slowest links first (md or docx)."""
    from dutydesk.reports import drill as render
    from dutydesk.services.drills import build_report, latest_run_id

    fmt = DocumentFormat(format_)
    env = open_env(ctx, db)
    run_id = run if run is not None else latest_run_id(env.db)
    if run_id is None:
        message(t("drill.cli.no_runs"))
        raise typer.Exit(2)
    measured = build_report(env.db, run_id, now=env.now)
    if fmt is DocumentFormat.DOCX:
        from dutydesk.reports.drill_docx import render_docx

        write_document(render_docx(measured, env.settings.tz), output, fmt)
    else:
        write_document(render.render_md(measured, env.settings.tz), output, fmt)
