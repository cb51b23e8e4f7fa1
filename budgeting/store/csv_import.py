"""Importing services, projects and areas from CSV, and projects from a pabulib ``.pb``
file: every problem reported, nothing half-written.

Services CSV, one service per line, header row first (column order free):

    id,name,description,unit_cost_text,current_spend,floor,ceiling

Projects CSV:

    id,name,description,cost,area,category

Either may add a text per language for each text field, in a column named after the field
and the language: ``name_cy``, ``description_cy`` (and ``unit_cost_text_cy`` for services).
An empty cell falls back to the default language's text.

Areas CSV (population: how many residents live there, a whole number):

    id,name,population

A pabulib ``.pb`` file (pabulib.org format) gives projects from its PROJECTS section:
``project_id``, ``cost``, and ``name``, ``category`` and ``area`` (or ``district``) when
present; a project without a name is named by its id. Problems name the file's line.

Ballots CSV (recorded or paper ballots), one ballot per line, one column per service id:

    code,channel,area,age_band,submitted_at,projects,<service id>,<service id>,...

``channel`` is ``web`` or ``paper``; ``code`` may be empty for paper ballots; ``projects``
lists the chosen project ids separated by spaces (``P01:3 P04:2`` gives points);
``submitted_at`` is ISO 8601 UTC (empty: now); service columns hold amounts in pounds.

``id``, ``name`` and the amounts are required (``cost``; ``floor`` and ``ceiling``);
``description``, ``unit_cost_text``, ``current_spend``, ``area`` and ``category`` may be
left out or empty. Ids are letters, digits, ``-`` and ``_``. Amounts are in pounds:
``12500``, ``12,500.50`` or ``£12,500`` (at most two decimals; not ``20k``). Line numbers
in problems count the header as line 1, as a spreadsheet does.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from fractions import Fraction
from typing import Any

from budgeting.engine.pabulib import PabulibError, parse_pb
from budgeting.i18n import DEFAULT_LANGUAGE, format_money, languages
from budgeting.store.ballots import BallotInput, PreparedBallot, ballot_checker, write_ballots
from budgeting.store.codes import CodeHasher, known_code_hashes
from budgeting.store.connection import Connection, read_cursor
from budgeting.store.models import TRANSLATED_FIELDS, BallotRejected, CsvImportError, CsvProblem
from budgeting.store.money import AmountTooLarge, parse_amount
from budgeting.store.rounds import (
    ID_PATTERN,
    get_round,
    list_services,
    replace_areas,
    replace_projects,
    replace_services,
)

SERVICE_COLUMNS = (
    "id",
    "name",
    "description",
    "unit_cost_text",
    "current_spend",
    "floor",
    "ceiling",
)
SERVICE_REQUIRED = ("id", "name", "floor", "ceiling")
SERVICE_AMOUNTS = ("current_spend", "floor", "ceiling")
PROJECT_COLUMNS = ("id", "name", "description", "cost", "area", "category")
PROJECT_REQUIRED = ("id", "name", "cost")
PROJECT_AMOUNTS = ("cost",)
AREA_COLUMNS = ("id", "name", "population")


def translated_columns(table: str) -> tuple[str, ...]:
    """The extra columns giving a text per language: ``name_cy``, ``description_cy``, ...
    for every language shipped besides the default (``budgeting.i18n``)."""
    others = [code for code in languages() if code != DEFAULT_LANGUAGE]
    return tuple(f"{name}_{code}" for code in others for name in TRANSLATED_FIELDS[table])


def csv_columns(table: str) -> tuple[str, ...]:
    """Every column a ``services``, ``projects`` or ``areas`` CSV file may have, in order."""
    base = {"services": SERVICE_COLUMNS, "projects": PROJECT_COLUMNS, "areas": AREA_COLUMNS}
    return base[table] + (translated_columns(table) if table in TRANSLATED_FIELDS else ())


def _with_translations(table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with their ``<field>_<language>`` columns gathered into ``translations``."""
    extra = translated_columns(table)
    for row in rows:
        texts: dict[str, dict[str, str]] = {}
        for column in extra:
            text = row.pop(column, "")
            if text:
                name, _, code = column.rpartition("_")
                texts.setdefault(code, {})[name] = text
        row["translations"] = texts
    return rows


AREA_REQUIRED = ("id", "name", "population")


def _read_rows(
    text: str, columns: tuple[str, ...], required: tuple[str, ...], problems: list[CsvProblem]
) -> list[tuple[int, dict[str, str]]]:
    """(line number, values by column) for each data line; header problems go to ``problems``."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        problems.append(CsvProblem(1, "header", "the file is empty"))
        return []
    except csv.Error as error:
        problems.append(CsvProblem(1, "header", f"not readable as CSV ({error})"))
        return []
    for name in header:
        if name not in columns:
            problems.append(
                CsvProblem(1, name, f"unknown column (expected some of: {', '.join(columns)})")
            )
    for name in required:
        if name not in header:
            problems.append(CsvProblem(1, name, "required column is missing"))
    if len(set(header)) != len(header):
        problems.append(CsvProblem(1, "header", "a column name appears twice"))
    rows = []
    line = reader.line_num
    while True:
        start = line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append(CsvProblem(start, "line", f"not readable as CSV ({error})"))
            break
        line = reader.line_num
        if not any(value.strip() for value in record):
            continue
        if len(record) != len(header):
            problems.append(
                CsvProblem(start, "line", f"has {len(record)} values, the header has {len(header)}")
            )
            continue
        rows.append(
            (start, {name: value.strip() for name, value in zip(header, record, strict=True)})
        )
    if not rows and not problems:
        problems.append(CsvProblem(2, "line", "no data lines after the header"))
    return rows


def _parse_rows(
    text: str,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    amounts: tuple[str, ...],
    kind: str,
    check: Callable[[int, dict[str, Any], list[CsvProblem]], None],
) -> tuple[list[dict[str, Any]], list[CsvProblem]]:
    problems: list[CsvProblem] = []
    parsed: list[dict[str, Any]] = []
    first_line_of_id: dict[str, int] = {}
    for line, values in _read_rows(text, columns, required, problems):
        row: dict[str, Any] = dict(values)
        ok = True
        for name in required:
            if name in values and not values[name]:
                problems.append(CsvProblem(line, name, "is empty"))
                ok = False
        for name in amounts:
            raw = values.get(name, "")
            if not raw:
                row[name] = Fraction(0)
                continue
            try:
                row[name] = parse_amount(raw)
            except AmountTooLarge as error:
                problems.append(CsvProblem(line, name, str(error)))
                ok = False
            except ValueError:
                problems.append(CsvProblem(line, name, f"{raw!r} is not an amount"))
                ok = False
        item_id = values.get("id", "")
        if item_id and not ID_PATTERN.match(item_id):
            problems.append(
                CsvProblem(line, "id", f"{item_id!r}: use letters, digits, '-' or '_' (up to 64)")
            )
            ok = False
        if item_id in first_line_of_id:
            problems.append(
                CsvProblem(
                    line,
                    "id",
                    f"{kind} {item_id!r} already appears on line {first_line_of_id[item_id]}",
                )
            )
            ok = False
        first_line_of_id.setdefault(item_id, line)
        if ok:
            check(line, row, problems)
            parsed.append(row)
    return parsed, problems


def _check_service(line: int, row: dict[str, Any], problems: list[CsvProblem]) -> None:
    if row["floor"] > row["ceiling"]:
        problems.append(
            CsvProblem(
                line,
                "floor",
                f"{format_money(row['floor'])} is above the ceiling of "
                f"{format_money(row['ceiling'])}",
            )
        )


def _check_project(line: int, row: dict[str, Any], problems: list[CsvProblem]) -> None:
    if row["cost"] <= 0:
        problems.append(CsvProblem(line, "cost", "must be more than zero"))


def parse_services_csv(text: str) -> tuple[list[dict[str, Any]], list[CsvProblem]]:
    """Services read from CSV text, and every problem found (line, field, what)."""
    rows, problems = _parse_rows(
        text, csv_columns("services"), SERVICE_REQUIRED, SERVICE_AMOUNTS, "service", _check_service
    )
    return _with_translations("services", rows), problems


def parse_projects_csv(text: str) -> tuple[list[dict[str, Any]], list[CsvProblem]]:
    """Projects read from CSV text, and every problem found (line, field, what)."""
    rows, problems = _parse_rows(
        text, csv_columns("projects"), PROJECT_REQUIRED, PROJECT_AMOUNTS, "project", _check_project
    )
    return _with_translations("projects", rows), problems


def _check_area(line: int, row: dict[str, Any], problems: list[CsvProblem]) -> None:
    raw = row["population"].replace(",", "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        problems.append(
            CsvProblem(line, "population", f"{row['population']!r} is not a whole number")
        )
        return
    row["population"] = int(raw)


def parse_areas_csv(text: str) -> tuple[list[dict[str, Any]], list[CsvProblem]]:
    """Areas read from CSV text, and every problem found (line, field, what)."""
    return _parse_rows(text, AREA_COLUMNS, AREA_REQUIRED, (), "area", _check_area)


def _replace_from(
    conn: Connection,
    round_id: str,
    read: tuple[list[dict[str, Any]], list[CsvProblem]],
    replace: Callable[..., None],
    source: str,
) -> int:
    """Replace a round's items with the rows ``read`` from a file, or raise
    ``CsvImportError`` with every problem and write nothing; the number imported."""
    rows, problems = read
    if problems:
        raise CsvImportError(problems)
    replace(conn, round_id, rows, source=source)
    return len(rows)


def import_areas_csv(conn: Connection, round_id: str, text: str) -> int:
    """Replace a round's areas with those in the CSV text; the number imported.

    Raises ``CsvImportError`` listing every problem, and then writes nothing.
    """
    return _replace_from(conn, round_id, parse_areas_csv(text), replace_areas, "csv")


def parse_projects_pb(text: str) -> tuple[list[dict[str, Any]], list[CsvProblem]]:
    """Projects read from a pabulib file's PROJECTS section, and every problem found: a
    file that is not valid pabulib is one problem naming its line."""
    try:
        pbfile = parse_pb(text)
        pbfile.to_profile()  # every check pabulib files get: costs, ids, counts, votes
    except PabulibError as error:
        return [], [CsvProblem(error.line, error.section or "file", error.reason)]
    problems: list[CsvProblem] = []
    rows = []
    for line, project in zip(pbfile.project_lines, pbfile.projects, strict=True):
        project_id = project["project_id"].strip()
        if not ID_PATTERN.match(project_id):
            problems.append(
                CsvProblem(line, "project_id", f"{project_id!r}: use letters, digits, '-' or '_'")
            )
            continue
        try:
            cost = parse_amount(project["cost"])
        except ValueError:
            problems.append(
                CsvProblem(line, "cost", f"{project['cost']!r} is not an amount in whole pence")
            )
            continue
        row: dict[str, Any] = {
            "id": project_id,
            "name": (project.get("name") or "").strip() or project_id,
            "description": "",
            "cost": cost,
            "area": (project.get("area") or project.get("district") or "").strip(),
            "category": (project.get("category") or "").strip(),
        }
        _check_project(line, row, problems)
        rows.append(row)
    if not rows and not problems:
        problems.append(CsvProblem(None, "PROJECTS", "the file lists no projects"))
    return rows, problems


def import_projects_pb(conn: Connection, round_id: str, text: str) -> int:
    """Replace a round's projects with those of a pabulib file; the number imported.

    Raises ``CsvImportError`` listing every problem, and then writes nothing.
    """
    return _replace_from(conn, round_id, parse_projects_pb(text), replace_projects, "pabulib")


def import_services_csv(conn: Connection, round_id: str, text: str) -> int:
    """Replace a round's services with those in the CSV text; the number imported.

    Raises ``CsvImportError`` listing every problem, and then writes nothing.
    """
    rows, problems = parse_services_csv(text)
    round_ = get_round(conn, round_id)
    if round_ is not None and not problems:
        floors = sum((row["floor"] for row in rows), Fraction(0))
        if floors > round_.service_budget:
            problems.append(
                CsvProblem(
                    None,
                    "floor",
                    f"the floors add up to {format_money(floors, round_.currency_symbol)}, more "
                    f"than the service budget of "
                    f"{format_money(round_.service_budget, round_.currency_symbol)}",
                )
            )
    return _replace_from(conn, round_id, (rows, problems), replace_services, "csv")


def import_projects_csv(conn: Connection, round_id: str, text: str) -> int:
    """Replace a round's projects with those in the CSV text; the number imported.

    Raises ``CsvImportError`` listing every problem, and then writes nothing.
    """
    return _replace_from(conn, round_id, parse_projects_csv(text), replace_projects, "csv")


BALLOT_FIELDS = ("code", "channel", "area", "age_band", "submitted_at", "projects")


def _parse_project_choices(raw: str) -> dict[str, int]:
    """``P01 P04`` -> {P01: 1, P04: 1}; ``P01:3 P04:2`` -> points. ``ValueError`` if malformed."""
    scores: dict[str, int] = {}
    for item in raw.split():
        project_id, _, points = item.partition(":")
        if project_id in scores:
            raise ValueError(f"{project_id!r} appears twice")
        scores[project_id] = int(points) if points else 1
    return scores


def parse_ballots_csv(
    text: str, service_ids: list[str]
) -> tuple[list[tuple[int, BallotInput]], list[CsvProblem]]:
    """(line number, ballot) for each line of a ballots CSV, and every format problem."""
    problems: list[CsvProblem] = []
    columns = (*BALLOT_FIELDS, *service_ids)
    parsed = []
    for line, values in _read_rows(text, columns, ("channel", "projects", *service_ids), problems):
        allocation: dict[str, Fraction] = {}
        ok = True
        for service_id in service_ids:
            raw = values.get(service_id, "")
            try:
                allocation[service_id] = parse_amount(raw) if raw else Fraction(0)
            except ValueError:
                problems.append(CsvProblem(line, service_id, f"{raw!r} is not an amount"))
                ok = False
        try:
            scores = _parse_project_choices(values.get("projects", ""))
        except ValueError as error:
            problems.append(CsvProblem(line, "projects", f"not a list of project ids ({error})"))
            ok = False
        submitted_at = None
        if values.get("submitted_at"):
            try:
                submitted_at = datetime.fromisoformat(values["submitted_at"])
            except ValueError:
                problems.append(
                    CsvProblem(line, "submitted_at", f"{values['submitted_at']!r} is not a time")
                )
                ok = False
        if ok:
            ballot = BallotInput(
                allocation=allocation,
                project_scores=scores,
                channel=values.get("channel", ""),
                code=values.get("code") or None,
                area=values.get("area") or None,
                age_band=values.get("age_band") or None,
                submitted_at=submitted_at,
            )
            parsed.append((line, ballot))
    return parsed, problems


def import_ballots_csv(
    conn: Connection, round_id: str, text: str, *, hasher: CodeHasher | None = None
) -> int:
    """Store every ballot in the CSV text in one transaction; the number stored.

    Raises ``CsvImportError`` listing every problem (format and validation, by line), and
    then stores nothing. Voter codes must already be known to the round. Each distinct code
    is hashed once for the whole import, however many lines name it; pass the round's
    ``hasher`` (``code_hasher``) that added the codes and none is hashed again.
    """
    service_ids = [service.id for service in list_services(conn, round_id)]
    parsed, problems = parse_ballots_csv(text, service_ids)
    checker = ballot_checker(conn, round_id, hasher)
    prepared: list[PreparedBallot] = []
    for line, ballot in parsed:
        try:
            prepared.append(checker.prepare(ballot))
        except BallotRejected as rejected:
            problems.extend(CsvProblem(line, p.field, p.message("en")) for p in rejected.problems)
    coded = [(line, ballot.code, checker.code_hash(ballot.code)) for line, ballot in parsed]
    with read_cursor(conn) as cursor:
        known = known_code_hashes(cursor, round_id, [h for _, _, h in coded if h is not None])
    problems.extend(
        CsvProblem(line, "code", f"{code!r} is not a code of this round")
        for line, code, code_hash in coded
        if code is not None and code_hash not in known
    )
    if problems:
        raise CsvImportError(sorted(problems, key=lambda p: p.line or 0))
    return len(write_ballots(conn, round_id, prepared))
