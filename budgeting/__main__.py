"""Command line: replay and compare rules on published data.

    python -m budgeting select FILE.pb --rule RULE [--completion C] [--threshold X]
                                        [--no-skip] [--workers N] [--json]
    python -m budgeting aggregate FILE.csv --rule RULE --budget AMOUNT
                                        [--floor S=AMOUNT] [--ceiling S=AMOUNT] [--json]
    python -m budgeting rules [--json]
    python -m budgeting results --round ID [--db FILE] [--json]
    python -m budgeting export --round ID --format pb|csv|parquet|results-csv [--db FILE]
                                        [--out FILE]
    python -m budgeting verify-audit [--db FILE] [--head SEQ:HASH]
    python -m budgeting round open|close|publish --round ID [--db FILE] [--officer NAME]
    python -m budgeting demo --db FILE
    python -m budgeting hash-password          (reads the password twice from standard input)
    python -m budgeting serve [--processes N] [--address A] [--port P]   (BUDGET_DB=postgresql://)

``results`` decides a stored round by its own rules over its current ballots and prints the
outcome; ``export`` writes the round's anonymised ballots (``budgeting.results.export``):
``pb`` is the project vote and winners as a pabulib file that ``select --rule recorded``
recomputes, ``csv`` and ``parquet`` every ballot, ``results-csv`` the decided round. Both
open the database read-only (stop the app first, or use a copy of the file made with its
``.wal`` file). ``demo`` creates the demo round with its ballots in a database file;
``hash-password`` prints the line an officer's password becomes in
``.streamlit/secrets.toml``; ``serve`` runs several app processes on one PostgreSQL
database behind HAProxy (``budgeting.serve``).

``--rule recorded`` applies the rule named in the file's META (greedy, greedy-threshold with
its ``min_project_score_threshold``, greedy-no-skip, equalshares/add1 and its -comparison
variant, whose published comparison kept the equal-shares outcome), so anyone can replay
what a city did. Every error ends the program with status 1 (2 for a wrong
command line) and one line on standard error.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from budgeting.engine.allocation import AllocationProfile
from budgeting.engine.mes.parallel import available_cores
from budgeting.engine.pabulib import MAX_WHOLE_DIGITS, PabulibError, PBFile, read_pb
from budgeting.engine.registry import (
    RuleFamilyError,
    RuleOptionError,
    SelectionRule,
    allocation_rule,
    recorded_rule,
    rules,
    selection_rule,
)
from budgeting.results import publish

RECORDED = "recorded"
ROUND_MOVES = {"open": "open", "close": "closed", "publish": "published"}
EXPORT_FORMATS = ("pb", "csv", "parquet", "results-csv")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?|[0-9]+/0*[1-9][0-9]*")


class UsageError(Exception):
    """A wrong command line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        output = args.command(args)
    except UsageError as error:
        print(f"error: {error} (see python -m budgeting --help)", file=sys.stderr)
        return 2
    except RuleFamilyError as error:
        command = "aggregate" if error.family == "allocation" else "select"
        print(f"error: {error}; use '{command}'", file=sys.stderr)
        return 1
    except RuleOptionError as error:
        print(f"error: {error.describe(_flag)} (see python -m budgeting --help)", file=sys.stderr)
        return 2
    except (PabulibError, ValueError, OSError) as error:
        print(f"error: {_one_line(error)}", file=sys.stderr)
        return 1
    if isinstance(output, bytes):
        sys.stdout.buffer.write(output)
    else:
        sys.stdout.write(output)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m budgeting", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(
        required=True,
        metavar="{select,aggregate,rules,results,export,verify-audit,round,demo,hash-password,serve}",
    )

    select = commands.add_parser("select", help="select projects from a pabulib .pb file")
    select.add_argument("file", type=Path, help="pabulib .pb file")
    select.add_argument("--rule", required=True, help="a selection rule id, or 'recorded'")
    select.add_argument("--completion", help="mes completion (see 'rules')")
    select.add_argument("--threshold", type=_amount_argument, help="greedy minimum score")
    select.add_argument("--no-skip", action="store_true", help="greedy: stop at first misfit")
    select.add_argument("--workers", type=int, help="mes add1 scans: processes (default: cores)")
    select.add_argument("--json", action="store_true", help="print JSON")
    select.set_defaults(command=_select_command)

    aggregate = commands.add_parser("aggregate", help="split a budget across services")
    aggregate.add_argument("file", type=Path, help="CSV: one row per ballot, a column per service")
    aggregate.add_argument("--rule", required=True, help="an allocation rule id")
    aggregate.add_argument("--budget", required=True, type=_amount_argument)
    aggregate.add_argument("--floor", action="append", default=[], metavar="SERVICE=AMOUNT")
    aggregate.add_argument("--ceiling", action="append", default=[], metavar="SERVICE=AMOUNT")
    aggregate.add_argument("--json", action="store_true", help="print JSON")
    aggregate.set_defaults(command=_aggregate_command)

    listing = commands.add_parser("rules", help="list the registered rules")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(command=_rules_command)

    decided = commands.add_parser("results", help="decide a stored round by its own rules")
    decided.add_argument("--round", required=True, dest="round_id", help="e.g. riverside-2027")
    decided.add_argument("--db", help="the DuckDB file (default: BUDGET_DB, else data/)")
    decided.add_argument("--json", action="store_true", help="print JSON")
    decided.set_defaults(command=_results_command)

    export = commands.add_parser("export", help="a stored round as a file to publish")
    export.add_argument("--round", required=True, dest="round_id", help="e.g. riverside-2027")
    export.add_argument("--db", help="the DuckDB file (default: BUDGET_DB, else data/)")
    export.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        required=True,
        help="pb: pabulib; csv, parquet: every ballot; results-csv: the decided round",
    )
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.set_defaults(command=_export_command)

    verify = commands.add_parser("verify-audit", help="check the audit log and what it vouches for")
    verify.add_argument("--db", help="the DuckDB file (default: BUDGET_DB, else data/)")
    verify.add_argument("--head", help="the head published with the results, SEQ:HASH")
    verify.set_defaults(command=_verify_audit_command)

    moves = commands.add_parser("round", help="open, close or publish a round (app stopped)")
    moves.add_argument("action", choices=tuple(ROUND_MOVES))
    moves.add_argument("--round", required=True, dest="round_id", help="e.g. riverside-2027")
    moves.add_argument("--db", help="the DuckDB file (default: BUDGET_DB, else data/)")
    moves.add_argument("--officer", help="who is doing it, for the audit log")
    moves.set_defaults(command=_round_command)

    demo = commands.add_parser("demo", help="create the demo round with its ballots")
    demo.add_argument("--db", required=True, help="the DuckDB file to create or add to")
    demo.set_defaults(command=_demo_command)

    hashing = commands.add_parser("hash-password", help="an officer's password as a secrets hash")
    hashing.set_defaults(command=_hash_password_command)

    serving = commands.add_parser("serve", help="several app processes behind one address")
    serving.add_argument("--processes", type=int, default=2, help="app processes (default 2)")
    serving.add_argument("--address", default="127.0.0.1", help="address to listen on")
    serving.add_argument("--port", type=int, default=8500, help="port to listen on")
    serving.add_argument(
        "--first-app-port", type=int, default=8601, help="the first app process's port"
    )
    serving.set_defaults(command=_serve_command)
    return parser


# ----------------------------------------------------------------------------- select


def _select_command(args: argparse.Namespace) -> str:
    pbfile = read_pb(args.file)
    profile = pbfile.to_profile()
    chosen: SelectionRule
    if args.rule == RECORDED:
        if args.completion or args.threshold is not None or args.no_skip:
            raise UsageError("--rule recorded takes its options from the file's META")
        chosen, options = recorded_rule(pbfile)
    else:
        chosen = selection_rule(args.rule)
        options = chosen.checked_options(
            {
                "completion": args.completion,
                "threshold": args.threshold,
                "no_skip": args.no_skip or None,
            }
        )
    # How many processes compute is no option of the outcome: it runs, it is not published.
    # Here, a process of its own, the scans may use every core (the app's server uses one).
    computing = chosen.checked_options({"workers": args.workers})
    if "workers" in {option.name for option in chosen.options} and args.workers is None:
        computing["workers"] = available_cores()
    result = chosen.run(profile, **options, **computing)
    payload = publish.selection_payload(
        result,
        options,
        profile,
        meta_rule=pbfile.meta.get("rule"),
        recorded=_recorded_selection(pbfile),
    )
    if args.json:
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    return _selection_table(payload)


def _flag(option: str) -> str:
    """The command-line flag of a rule option (``no_skip`` -> ``--no-skip``)."""
    return "--" + option.replace("_", "-")


def _recorded_selection(pbfile: PBFile) -> list[str] | None:
    if "selected" not in pbfile.project_columns:
        return None
    return [row["project_id"] for row in pbfile.projects if row["selected"].strip() == "1"]


def _selection_table(payload: dict[str, Any]) -> str:
    names = ", ".join(f"{key}={value}" for key, value in payload["options"].items())
    lines = [
        f"Rule: {payload['rule']}" + (f" ({names})" if names else ""),
        f"Selected {len(payload['selected'])} of {payload['projects']} projects, "
        f"cost {_money(payload['cost'])} of {_money(payload['budget'])}",
    ]
    if payload["matches_recorded"] is not None:
        verdict = "matches" if payload["matches_recorded"] else "differs from"
        lines.append(f"This {verdict} the recorded selection ({payload['meta_rule']}).")
    lines += ["", f"{'#':>4}  {'project':<16} {'outcome':<22} {'cost':>14}"]
    for number, step in enumerate(payload["steps"], start=1):
        cost = step["details"].get("cost")
        lines.append(
            f"{number:>4}  {step['project_id']:<16} {step['kind']:<22} "
            f"{_money(cost) if cost is not None else '':>14}"
        )
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------- aggregate


def _aggregate_command(args: argparse.Namespace) -> str:
    chosen = allocation_rule(args.rule)
    services, ballots = read_allocation_csv(args.file)
    result = chosen.run(
        AllocationProfile(
            ballots=ballots,
            budget=args.budget,
            services=services,
            floors=_limits(args.floor, "--floor"),
            ceilings=_limits(args.ceiling, "--ceiling"),
        )
    )
    payload = publish.allocation_data(result)
    if args.json:
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    width = max(len(service) for service in services)
    lines = [f"Rule: {chosen.id}, budget {_money(payload['budget'])}", ""]
    for service, amount in result.amounts.items():
        share = result.shares[service]
        lines.append(f"{service:<{width}}  {_money(amount):>16}  {float(share) * 100:6.2f}%")
    return "\n".join(lines) + "\n"


def read_allocation_csv(path: Path) -> tuple[list[str], list[dict[str, Fraction]]]:
    """Ballots from a CSV with a header of service ids and one row of amounts per ballot.

    A first column named ``voter_id``, ``ballot_id`` or ``id`` is read as a label. Cells are
    non-negative decimals (or fractions like ``1/3``); an empty cell means 0.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not valid UTF-8 text") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise ValueError(f"{path}: the file is empty; expected a header of service names")
        labelled = header[0].strip().lower() in ("voter_id", "ballot_id", "id")
        services = [name.strip() for name in header[1 if labelled else 0 :]]
        if not services or any(not name for name in services):
            raise ValueError(f"{path} line 1: every service column needs a name")
        if len(set(services)) != len(services):
            raise ValueError(f"{path} line 1: a service is named twice")
        ballots: list[dict[str, Fraction]] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            cells = row[1:] if labelled else row
            where = f"{path} line {reader.line_num}"
            if len(cells) != len(services):
                raise ValueError(
                    f"{where}: {len(cells)} amounts but {len(services)} services in the header"
                )
            ballots.append(
                {
                    service: _cell(cell, f"{where}, column '{service}'")
                    for service, cell in zip(services, cells, strict=True)
                }
            )
    except csv.Error as error:
        raise ValueError(f"{path} line {reader.line_num}: unreadable CSV ({error})") from None
    if not ballots:
        raise ValueError(f"{path}: no ballots after the header")
    return services, ballots


def _cell(text: str, where: str) -> Fraction:
    if not text.strip():
        return Fraction(0)
    return _number(text, f"{where}:")


def _limits(items: list[str], flag: str) -> dict[str, Fraction]:
    limits: dict[str, Fraction] = {}
    for item in items:
        service, separator, amount = item.partition("=")
        if not separator or not service.strip():
            raise UsageError(f"{flag} takes SERVICE=AMOUNT, not '{item}'")
        limits[service.strip()] = _amount(amount, f"{flag} {service.strip()}")
    return limits


# ------------------------------------------------------------------------------ rules


def _rules_command(args: argparse.Namespace) -> str:
    entries: list[dict[str, Any]] = [
        {
            "id": entry.id,
            "name": entry.name,
            "family": entry.family,
            "ballot_kinds": list(entry.ballot_kinds),
            "options": [
                {"name": option.name, "default": option.default, "choices": list(option.choices)}
                for option in entry.options
            ],
            "summary": entry.summary,
            "reference": entry.reference,
            "tie_breaking": entry.tie_breaking,
            "default": entry.default,
        }
        for entry in rules()
    ]
    if args.json:
        return json.dumps(entries, ensure_ascii=False, indent=2) + "\n"
    lines = [f"{'id':<20} {'family':<11} {'ballots':<50} name"]
    for entry in entries:
        options = ", ".join(option["name"] for option in entry["options"])
        lines.append(
            f"{entry['id']:<20} {entry['family']:<11} {', '.join(entry['ballot_kinds']):<50} "
            f"{entry['name']}" + (f" (options: {options})" if options else "")
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- results


def _results_command(args: argparse.Namespace) -> str:
    payload = _from_store(
        args.db, lambda conn, decide: decide.decision_data(decide.decide_round(conn, args.round_id))
    )
    if args.json:
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    allocation, selection = payload["allocation"], payload
    lines = [
        f"Round: {payload['name']} ({payload['round']}, {payload['status']}), "
        f"{payload['ballots']} ballots",
        f"Services: {allocation['rule']}, budget {_money(allocation['budget'])}",
        *(
            f"  {service:<24} {_money(amount):>16}"
            for service, amount in allocation["amounts"].items()
        ),
        f"Projects: {selection['rule']}, {len(selection['selected'])} funded, "
        f"cost {_money(selection['cost'])} of {_money(selection['budget'])}",
        *(f"  {project_id}" for project_id in selection["selected"]),
    ]
    return "\n".join(lines) + "\n"


def _export_command(args: argparse.Namespace) -> str | bytes:
    from budgeting.results import export  # like _from_store: loads DuckDB and Arrow

    if args.format == "results-csv":
        content: bytes = _from_store(
            args.db, lambda conn, _: export.results_csv(conn, args.round_id).encode("utf-8")
        )
    else:
        content = _from_store(
            args.db, lambda conn, _: export.ballots_file(conn, args.round_id, args.format)
        )
    if args.out is None:
        return content
    args.out.write_bytes(content)
    return f"Wrote {args.out}\n"


def _verify_audit_command(args: argparse.Namespace) -> str:
    """The audit log checked with the configured audit key (and the published head, if
    given): the head and any notes when intact; otherwise every problem on standard output
    and a failure (status 1)."""
    from budgeting import store  # like _from_store: DuckDB loads only for database commands

    report = _from_store(args.db, lambda conn, _: store.audit_report(conn, head=args.head))
    notes = "".join(f"note: {note}\n" for note in report.notes)
    if not report.problems:
        return f"audit log intact: {report.entries} entries, head {report.head}\n{notes}"
    sys.stdout.write(
        f"audit log broken: {report.entries} entries, head {report.head}\n"
        + "".join(f"{problem}\n" for problem in report.problems)
        + notes
    )
    raise ValueError("audit log broken: the problems are listed above")


def _round_command(args: argparse.Namespace) -> str:
    """Move a round on (the store checks the move and, to open, the round's settings:
    ``budgeting.engine.readiness``). It writes, so the app must not hold the file."""
    from budgeting import store

    path = store.database_path(args.db)
    if not store.is_postgres(path) and not Path(path).is_file():
        raise ValueError(f"there is no database file at {path}")
    conn = _writable(path)
    try:
        status = ROUND_MOVES[args.action]
        store.update_round(conn, args.round_id, actor=args.officer, status=status)
    finally:
        conn.close()
    return f"Round {args.round_id} is now {status}.\n"


def _demo_command(args: argparse.Namespace) -> str:
    """The demo round and its ballots in ``--db`` (created when missing; a file that already
    holds the demo round is left as it is)."""
    from budgeting import store
    from budgeting.demo import DEMO_ROUND_ID, ensure_demo_round

    conn = _writable(args.db)
    try:
        ensure_demo_round(conn)
        ballots = store.ballot_count(conn, DEMO_ROUND_ID)
    finally:
        conn.close()
    return f"Demo round {DEMO_ROUND_ID} is in {store.database_path(args.db)}: {ballots} ballots.\n"


def _hash_password_command(args: argparse.Namespace) -> str:
    """The secrets line for a password read twice from standard input (without echo on a
    terminal); the two must match, and an empty password is refused."""
    from budgeting.passwords import hash_password

    if sys.stdin.isatty():
        import getpass

        first, second = getpass.getpass("Password: "), getpass.getpass("Password again: ")
    else:
        lines = sys.stdin.read().splitlines()
        first, second = [*lines, "", ""][:2]
    if not first:
        raise ValueError("the password is empty; nothing printed")
    if first != second:
        raise ValueError("the two passwords differ; nothing printed")
    return hash_password(first) + "\n"


def _serve_command(args: argparse.Namespace) -> str:
    """Run app processes behind HAProxy until stopped (``budgeting.serve``)."""
    from budgeting.serve import serve

    serve(args.processes, args.address, args.port, first_app_port=args.first_app_port)
    return ""


def _writable(path: str | None) -> Any:
    """The database opened for writing (created when missing); a file another process
    holds is a one-line error that says to stop the app."""
    import duckdb

    from budgeting import store

    target = store.database_path(path)
    try:
        return store.connect(target)
    except duckdb.Error:
        raise ValueError(
            f"cannot write {target}: another process has it open (stop the app)"
        ) from None


def _from_store(path: str | None, read: Callable[[Any, ModuleType], Any]) -> Any:
    """``read(connection, budgeting.results.decide)`` on the database, opened read-only.

    The store (and DuckDB) loads only here, for the commands that read a database, so
    replaying a pabulib file needs nothing beyond the standard library.
    """
    from budgeting import store
    from budgeting.results import decide

    conn = store.connect(path, read_only=True)
    try:
        return read(conn, decide)
    finally:
        conn.close()


# ---------------------------------------------------------------------------- helpers


def _amount_argument(text: str) -> Fraction:
    try:
        return _amount(text, "the amount")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _amount(text: str, name: str) -> Fraction:
    return _number(text, name)


def _number(text: str, label: str) -> Fraction:
    """A non-negative decimal or fraction (``1/3``) written with ASCII digits, each part at
    most ``MAX_WHOLE_DIGITS`` long before any decimal point, as pabulib amounts are;
    ``label`` names where it was read in the error."""
    stripped = text.strip()
    shown = text if len(text) <= 24 else text[:20] + "..."
    if not _NUMBER.fullmatch(stripped):
        raise ValueError(f"{label} '{shown}' is not a non-negative number")
    parts = (part.split(".")[0].lstrip("0") for part in stripped.split("/"))
    if any(len(part) > MAX_WHOLE_DIGITS for part in parts):
        raise ValueError(f"{label} '{shown}' is too large: at most {MAX_WHOLE_DIGITS} digits")
    return Fraction(stripped)


def _money(value: Any) -> str:
    number = float(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


if __name__ == "__main__":
    sys.exit(main())
