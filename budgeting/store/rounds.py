"""Rounds, their services, projects and areas.

Every write here is audited with what the rows hold afterwards: ``round_created`` carries
the round's record (``round_records``), ``round_changed`` the changed settings before and
after, ``services_replaced`` and ``projects_replaced`` every row (``item_records``), so
``budgeting.store.integrity`` can compare the tables with the log. Areas (with their
population, for turnout) are replaced and audited the same way, as ``areas_replaced``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, fields, replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any, TypeVar

from budgeting.engine.ballots import ServiceSettings
from budgeting.engine.readiness import (
    RoundPlan,
    round_problems,
    status_change_problem,
)
from budgeting.i18n import DEFAULT_LANGUAGE, languages
from budgeting.store.audit import append_entry
from budgeting.store.connection import (
    Connection,
    Cursor,
    insert_rows,
    read_cursor,
    utc_now,
    write_transaction,
)
from budgeting.store.models import (
    BALLOT_FORMATS,
    CODE_MODES,
    ROUND_STATUSES,
    TRANSLATED_FIELDS,
    Area,
    Project,
    Round,
    RoundNotReady,
    Service,
    StoreError,
    Translations,
)
from budgeting.store.money import AMOUNT_LIMIT, AmountTooLarge, from_minor, to_minor
from budgeting.store.round_cache import RoundView, forget, kept_a_moment

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
ROUND_FIELDS = tuple(f.name for f in fields(Round) if f.name != "id")
_MONEY_FIELDS = ("service_budget", "project_budget", "allocation_tolerance")
SETTLED_BY_BALLOTS = (
    "service_budget",
    "project_budget",
    "currency_symbol",
    "ballot_format",
    "max_approvals",
    "max_points",
    "selection_rule",
    "allocation_rule",
    "completion",
    "code_mode",
    "allocation_tolerance",
)
"""Settings that decide what a ballot means or how it counts: fixed once a ballot is cast,
like the services and projects, so no ballot is read under rules it was not cast under."""
SERVICE_TABLE_COLUMNS = (
    "round_id",
    "id",
    "name",
    "description",
    "unit_cost_text",
    "current_spend_minor",
    "floor_minor",
    "ceiling_minor",
    "position",
    "translations",
)
PROJECT_TABLE_COLUMNS = (
    "round_id",
    "id",
    "name",
    "description",
    "cost_minor",
    "area",
    "category",
    "position",
    "translations",
)
AREA_TABLE_COLUMNS = ("round_id", "id", "name", "population", "position")
ITEM_TABLES = {
    "services": SERVICE_TABLE_COLUMNS,
    "projects": PROJECT_TABLE_COLUMNS,
    "areas": AREA_TABLE_COLUMNS,
}
_ROUND_COLUMNS = (
    "id, name, service_budget_minor, project_budget_minor, currency_symbol, ballot_format,"
    " max_approvals, max_points, selection_rule, allocation_rule, completion, code_mode,"
    " allocation_tolerance_minor, hide_results_until_close, status, opens_at, closes_at"
)


def _column(field_name: str) -> str:
    return f"{field_name}_minor" if field_name in _MONEY_FIELDS else field_name


def _checked_round(round_: Round) -> Round:
    """The round with money as Fractions; ``StoreError`` naming the first bad setting."""
    if not ID_PATTERN.match(round_.id):
        raise StoreError(f"round id {round_.id!r}: use letters, digits, '-' or '_'")
    if not round_.name.strip():
        raise StoreError("a round needs a name")
    money: dict[str, Any] = {}
    for name in _MONEY_FIELDS:
        try:
            value = Fraction(getattr(round_, name))
            to_minor(value)
        except AmountTooLarge as error:
            raise StoreError(f"{name}: {error}") from None
        except (TypeError, ValueError) as error:
            raise StoreError(f"{name} must be an amount in whole pence") from error
        if value < 0:
            raise StoreError(f"{name} cannot be negative")
        money[name] = value
    choices = {
        "ballot_format": BALLOT_FORMATS,
        "status": ROUND_STATUSES,
        "code_mode": CODE_MODES,
    }
    for name, allowed in choices.items():
        if getattr(round_, name) not in allowed:
            raise StoreError(f"{name} must be one of {', '.join(allowed)}")
    for name in ("max_approvals", "max_points"):
        limit = getattr(round_, name)
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise StoreError(f"{name} must be a positive whole number or empty")
    times: dict[str, Any] = {}
    for name in ("opens_at", "closes_at"):
        moment = getattr(round_, name)
        if moment is not None and not isinstance(moment, datetime):
            raise StoreError(f"{name} must be a date and time")
        if moment is not None and moment.tzinfo is not None:
            times[name] = moment.astimezone(UTC).replace(tzinfo=None)  # as the column holds it
    return replace(round_, **money, **times)


def _round_values(round_: Round) -> list[Any]:
    values = asdict(round_)
    return [
        to_minor(values[name]) if name in _MONEY_FIELDS else values[name]
        for name in ("id", *ROUND_FIELDS)
    ]


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48]
    return slug or "round"


def create_round(conn: Connection, **fields_: Any) -> str:
    """Create a round from ``Round`` fields (``id`` optional: made from the name); its id."""
    unknown = set(fields_) - {"id", *ROUND_FIELDS}
    if unknown:
        raise StoreError(f"unknown round settings: {', '.join(sorted(unknown))}")
    if fields_.get("status", "draft") != "draft":
        raise StoreError(
            "a new round starts as a draft: add its services and projects, then open it"
        )
    fields_.setdefault("service_budget", Fraction(0))
    fields_.setdefault("project_budget", Fraction(0))
    requested_id = fields_.pop("id", None)
    with write_transaction(conn) as cursor:
        if requested_id is None:
            base = _slug(str(fields_.get("name", "")))
            round_id, suffix = base, 2
            while cursor.execute("SELECT 1 FROM rounds WHERE id = ?", [round_id]).fetchall():
                round_id, suffix = f"{base}-{suffix}", suffix + 1
        else:
            round_id = requested_id
            if cursor.execute("SELECT 1 FROM rounds WHERE id = ?", [round_id]).fetchall():
                raise StoreError(f"a round with id {round_id!r} already exists")
        round_ = _checked_round(Round(id=round_id, **fields_))
        placeholders = ", ".join("?" * (len(ROUND_FIELDS) + 3))
        cursor.execute(
            f"INSERT INTO rounds ({_ROUND_COLUMNS}, code_salt, created_at) VALUES ({placeholders})",
            [*_round_values(round_), secrets.token_hex(16), utc_now()],
        )
        append_entry(cursor, round_id, "round_created", round_records(cursor, round_id)[round_id])
    return round_id


def round_records(cursor: Cursor, round_id: str | None = None) -> dict[str, dict[str, Any]]:
    """Each round's row (or one round's) as the log records it: every setting as
    ``_audit_settings`` writes it, a SHA-256 of the code salt and the creation time."""
    rows = cursor.execute(
        f"SELECT {_ROUND_COLUMNS}, code_salt, created_at FROM rounds"
        + (" WHERE id = ?" if round_id is not None else ""),
        [] if round_id is None else [round_id],
    ).fetchall()
    return {
        row[0]: {
            **_audit_settings(asdict(_round_from_row(row[:-2]))),
            "code_salt": hashlib.sha256(row[-2].encode("utf-8")).hexdigest(),
            "created_at": row[-1].isoformat(),
        }
        for row in rows
    }


def _audit_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings as JSON-friendly values (money and times as text)."""
    return {
        key: (str(value) if isinstance(value, Fraction | datetime) else value)
        for key, value in settings.items()
    }


def _round_from_row(row: tuple[Any, ...]) -> Round:
    values = dict(zip(("id", *ROUND_FIELDS), row, strict=True))
    for name in _MONEY_FIELDS:
        values[name] = from_minor(values[name])
    return Round(**values)


def get_round(conn: Connection, round_id: str) -> Round | None:
    """The round, or ``None`` when there is no such round."""
    with read_cursor(conn) as cursor:
        rows = cursor.execute(
            f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE id = ?", [round_id]
        ).fetchall()
    return _round_from_row(rows[0]) if rows else None


def round_view(conn: Connection, round_id: str, language: str | None = None) -> RoundView | None:
    """The round with its services and projects (texts in ``language``) for a page that
    reruns on every tap: read again at most every ``FRESH_SECONDS``, and at once after a
    change through this process (``budgeting.store.round_cache``). ``None`` when there is no
    such round."""

    def read() -> RoundView | None:
        voting_round = get_round(conn, round_id)
        if voting_round is None:
            return None
        return RoundView(
            voting_round,
            tuple(list_services(conn, round_id, language)),
            tuple(list_projects(conn, round_id, language)),
        )

    return kept_a_moment(conn, round_id, ("view", language), read)


def list_rounds(conn: Connection) -> list[Round]:
    """Every round, oldest first."""
    with read_cursor(conn) as cursor:
        rows = cursor.execute(
            f"SELECT {_ROUND_COLUMNS} FROM rounds ORDER BY created_at, id"
        ).fetchall()
    return [_round_from_row(row) for row in rows]


def update_round(
    conn: Connection, round_id: str, *, actor: str | None = None, **changes: Any
) -> None:
    """Change round settings (e.g. ``status="closed"``); the change is audited, with the
    officer who made it when ``actor`` names them."""
    unknown = set(changes) - set(ROUND_FIELDS)
    if unknown:
        raise StoreError(f"unknown round settings: {', '.join(sorted(unknown))}")
    if not changes:
        return
    with write_transaction(conn) as cursor:
        rows = cursor.execute(
            f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE id = ?", [round_id]
        ).fetchall()
        if not rows:
            raise StoreError(f"no round with id {round_id!r}")
        before = _round_from_row(rows[0])
        after = _checked_round(replace(before, **changes))
        settled = [
            name
            for name in SETTLED_BY_BALLOTS
            if name in changes and getattr(after, name) != getattr(before, name)
        ]
        if settled:
            _require_no_ballots(cursor, round_id, ", ".join(settled), verb="changed")
        moved = status_change_problem(before.status, after.status)
        if moved is not None:
            raise StoreError(moved)
        if after.status == "open":
            _require_ready(cursor, after)
        assignments = ", ".join(f"{_column(name)} = ?" for name in changes)
        values = [
            to_minor(getattr(after, name)) if name in _MONEY_FIELDS else getattr(after, name)
            for name in changes
        ]
        cursor.execute(f"UPDATE rounds SET {assignments} WHERE id = ?", [*values, round_id])
        append_entry(
            cursor,
            round_id,
            "round_changed",
            {
                "before": _audit_settings({name: getattr(before, name) for name in changes}),
                "after": _audit_settings({name: getattr(after, name) for name in changes}),
                "actor": actor,
            },
        )
    forget(conn, round_id)


def _require_ready(cursor: Cursor, round_: Round) -> None:
    """``RoundNotReady`` unless the round's settings, services and projects can work
    (``budgeting.engine.readiness``): checked whenever a round opens or changes while open."""
    services = cursor.execute(
        "SELECT id, name, floor_minor, ceiling_minor FROM services WHERE round_id = ?",
        [round_.id],
    ).fetchall()
    projects = cursor.execute(
        "SELECT count(*) FROM projects WHERE round_id = ?", [round_.id]
    ).fetchall()[0][0]
    problems = round_problems(
        RoundPlan(
            ballot_format=round_.ballot_format,
            selection_rule=round_.selection_rule,
            allocation_rule=round_.allocation_rule,
            completion=round_.completion,
            service_budget=round_.service_budget,
            project_budget=round_.project_budget,
            services=[
                ServiceSettings(service_id, name, from_minor(floor), from_minor(ceiling))
                for service_id, name, floor, ceiling in services
            ],
            projects=projects,
            max_approvals=round_.max_approvals,
            max_points=round_.max_points,
        )
    )
    if problems:
        raise RoundNotReady(problems)


def _require_round(cursor: Cursor, round_id: str) -> None:
    if not cursor.execute("SELECT 1 FROM rounds WHERE id = ?", [round_id]).fetchall():
        raise StoreError(f"no round with id {round_id!r}")


def _require_no_ballots(
    cursor: Cursor, round_id: str, what: str, *, verb: str = "replaced"
) -> None:
    count = cursor.execute("SELECT count(*) FROM ballots WHERE round_id = ?", [round_id]).fetchall()
    if count[0][0]:
        raise StoreError(f"{what} cannot be {verb} once ballots have been cast")


def _as_mapping(item: Service | Project | Area | Mapping[str, Any]) -> dict[str, Any]:
    return dict(item) if isinstance(item, Mapping) else asdict(item)


def _translations_problems(what: str, table: str, translations: Any) -> list[str]:
    """Problems with an item's texts per language: a mapping of language codes (other than
    the default, English) to texts of the table's translated fields."""
    if not isinstance(translations, Mapping):
        return [f"{what}: translations must map a language to its texts"]
    problems = []
    known = set(languages()) - {DEFAULT_LANGUAGE}
    for language, texts in translations.items():
        if language not in known:
            problems.append(f"{what}: no language {language!r} (known: {', '.join(sorted(known))})")
        elif not isinstance(texts, Mapping) or not all(isinstance(v, str) for v in texts.values()):
            problems.append(f"{what}: the {language} texts must be text")
        elif set(texts) - set(TRANSLATED_FIELDS[table]):
            unknown = ", ".join(sorted(set(texts) - set(TRANSLATED_FIELDS[table])))
            problems.append(f"{what}: {unknown} cannot be translated")
    return problems


def _translations_text(translations: Translations) -> str:
    """The column value: texts per language as canonical JSON, empty texts left out so
    they fall back to the default language."""
    kept = {
        language: {name: text.strip() for name, text in sorted(texts.items()) if text.strip()}
        for language, texts in sorted(translations.items())
    }
    return json.dumps({lang: texts for lang, texts in kept.items() if texts}, ensure_ascii=False)


ItemT = TypeVar("ItemT", Service, Project)


def in_language(item: ItemT, language: str | None) -> ItemT:
    """``item`` with its texts in ``language`` where it has them, field by field; the
    default language's text for every field it lacks (and for ``None``)."""
    texts = item.translations.get(language or DEFAULT_LANGUAGE, {})
    chosen: dict[str, Any] = {name: text for name, text in texts.items() if text}
    return replace(item, **chosen) if chosen else item


def _identity_problems(
    noun: str, items: Iterable[Mapping[str, Any]]
) -> Iterator[tuple[str, Mapping[str, Any], list[str]]]:
    """Each item with its id and the problems of its id and name (a valid id, not used
    twice, a name); the caller adds what else its kind must hold."""
    seen: set[str] = set()
    for item in items:
        item_id = str(item.get("id", ""))
        problems = []
        if not ID_PATTERN.match(item_id):
            problems.append(f"{noun} id {item_id!r}: use letters, digits, '-' or '_'")
        if item_id in seen:
            problems.append(f"{noun} id {item_id!r} appears twice")
        seen.add(item_id)
        if not str(item.get("name", "")).strip():
            problems.append(f"{noun} {item_id!r} needs a name")
        yield item_id, item, problems


def check_services(services: Iterable[Mapping[str, Any]]) -> list[str]:
    """Problems with a list of services (ids, names, floors and ceilings), in words."""
    problems: list[str] = []
    for sid, service, identity in _identity_problems("service", services):
        problems += identity
        floor, ceiling = Fraction(service.get("floor", 0)), Fraction(service.get("ceiling", 0))
        spend = Fraction(service.get("current_spend", 0))
        if floor < 0 or ceiling < 0 or spend < 0:
            problems.append(f"service {sid!r}: amounts cannot be negative")
        if max(floor, ceiling, spend) >= AMOUNT_LIMIT:
            problems.append(f"service {sid!r}: amounts must be under {AMOUNT_LIMIT:,}")
        if floor > ceiling:
            problems.append(f"service {sid!r}: floor is above the ceiling")
        problems += _translations_problems(
            f"service {sid!r}", "services", service.get("translations", {})
        )
    return problems


def replace_services(
    conn: Connection,
    round_id: str,
    services: Iterable[Service | Mapping[str, Any]],
    *,
    source: str = "edit",
) -> None:
    """Replace a round's services (before any ballot is cast); audited."""
    rows = [_as_mapping(service) for service in services]
    _refuse(check_services(rows))
    _replace_round_items(
        conn,
        round_id,
        "services",
        SERVICE_TABLE_COLUMNS,
        [
            [
                round_id,
                row["id"],
                row["name"].strip(),
                row.get("description", "").strip(),
                row.get("unit_cost_text", "").strip(),
                to_minor(row.get("current_spend", 0)),
                to_minor(row.get("floor", 0)),
                to_minor(row.get("ceiling", 0)),
                position,
                _translations_text(row.get("translations", {})),
            ]
            for position, row in enumerate(rows)
        ],
        {"source": source, "service_ids": [row["id"] for row in rows]},
    )


def list_services(conn: Connection, round_id: str, language: str | None = None) -> list[Service]:
    """A round's services in their display order; with ``language``, their texts in it
    where they have them (``in_language``)."""
    with read_cursor(conn) as cursor:
        rows = cursor.execute(
            "SELECT id, round_id, name, description, unit_cost_text, current_spend_minor,"
            " floor_minor, ceiling_minor, position, translations FROM services"
            " WHERE round_id = ? ORDER BY position",
            [round_id],
        ).fetchall()
    services = [
        Service(
            sid,
            rid,
            name,
            desc,
            unit,
            from_minor(spend),
            from_minor(lo),
            from_minor(hi),
            pos,
            json.loads(texts or "{}"),
        )
        for sid, rid, name, desc, unit, spend, lo, hi, pos, texts in rows
    ]
    return [in_language(s, language) for s in services] if language else services


def check_projects(projects: Iterable[Mapping[str, Any]]) -> list[str]:
    """Problems with a list of projects (ids, names, costs), in words."""
    problems: list[str] = []
    for pid, project, identity in _identity_problems("project", projects):
        problems += identity
        cost = Fraction(project.get("cost", 0))
        if cost <= 0:
            problems.append(f"project {pid!r}: cost must be more than zero")
        if cost >= AMOUNT_LIMIT:
            problems.append(f"project {pid!r}: cost must be under {AMOUNT_LIMIT:,}")
        problems += _translations_problems(
            f"project {pid!r}", "projects", project.get("translations", {})
        )
    return problems


def replace_projects(
    conn: Connection,
    round_id: str,
    projects: Iterable[Project | Mapping[str, Any]],
    *,
    source: str = "edit",
) -> None:
    """Replace a round's projects (before any ballot is cast); audited."""
    rows = [_as_mapping(project) for project in projects]
    _refuse(check_projects(rows))
    _replace_round_items(
        conn,
        round_id,
        "projects",
        PROJECT_TABLE_COLUMNS,
        [
            [
                round_id,
                row["id"],
                row["name"].strip(),
                row.get("description", "").strip(),
                to_minor(row["cost"]),
                row.get("area", "").strip(),
                row.get("category", "").strip(),
                position,
                _translations_text(row.get("translations", {})),
            ]
            for position, row in enumerate(rows)
        ],
        {"source": source, "project_ids": [row["id"] for row in rows]},
    )


def check_areas(areas: Iterable[Mapping[str, Any]]) -> list[str]:
    """Problems with a list of areas (ids, names, populations), in words."""
    problems: list[str] = []
    for aid, area, identity in _identity_problems("area", areas):
        problems += identity
        population = area.get("population", 0)
        if not isinstance(population, int) or isinstance(population, bool) or population < 0:
            problems.append(f"area {aid!r}: population must be a whole number, 0 or more")
        elif population >= AMOUNT_LIMIT:
            problems.append(f"area {aid!r}: population must be under {AMOUNT_LIMIT:,}")
    return problems


def replace_areas(
    conn: Connection,
    round_id: str,
    areas: Iterable[Area | Mapping[str, Any]],
    *,
    source: str = "edit",
) -> None:
    """Replace a round's areas and their populations; audited. Allowed in every state:
    areas only describe turnout, they decide nothing."""
    rows = [_as_mapping(area) for area in areas]
    _refuse(check_areas(rows))
    _replace_round_items(
        conn,
        round_id,
        "areas",
        AREA_TABLE_COLUMNS,
        [
            [round_id, row["id"], row["name"].strip(), row.get("population", 0), position]
            for position, row in enumerate(rows)
        ],
        {"source": source, "area_ids": [row["id"] for row in rows]},
        while_voting=True,
    )


def list_areas(conn: Connection, round_id: str) -> list[Area]:
    """A round's areas in their display order."""
    with read_cursor(conn) as cursor:
        rows = cursor.execute(
            "SELECT id, round_id, name, population FROM areas WHERE round_id = ? ORDER BY position",
            [round_id],
        ).fetchall()
    return [Area(aid, rid, name, population) for aid, rid, name, population in rows]


def item_records(
    cursor: Cursor, table: str, round_id: str | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """An item table's rows (``services``, ``projects`` or ``areas``) as the log records them:
    round id -> item id -> column -> value (money in pence), for every round or one."""
    columns = ITEM_TABLES[table]
    rows = cursor.execute(
        f"SELECT {', '.join(columns)} FROM {table}"
        + (" WHERE round_id = ?" if round_id is not None else ""),
        [] if round_id is None else [round_id],
    ).fetchall()
    records: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        values = dict(zip(columns, row, strict=True))
        records.setdefault(values.pop("round_id"), {})[values.pop("id")] = values
    return records


def _refuse(problems: list[str]) -> None:
    """``StoreError`` with every problem, before anything is converted or written."""
    if problems:
        raise StoreError("; ".join(problems))


def _replace_round_items(
    conn: Connection,
    round_id: str,
    table: str,
    columns: tuple[str, ...],
    table_rows: list[list[Any]],
    audit_details: dict[str, Any],
    *,
    while_voting: bool = False,
) -> None:
    """Swap a round's services, projects or areas for ``table_rows`` in one audited
    transaction; services and projects only before any ballot is cast (``while_voting``
    lifts that for tables that decide nothing)."""
    with write_transaction(conn) as cursor:
        _require_round(cursor, round_id)
        if not while_voting:
            _require_no_ballots(cursor, round_id, table)
        cursor.execute(f"DELETE FROM {table} WHERE round_id = ?", [round_id])
        insert_rows(cursor, table, columns, table_rows)
        rows = item_records(cursor, table, round_id).get(round_id, {})
        append_entry(cursor, round_id, f"{table}_replaced", {**audit_details, "rows": rows})
    forget(conn, round_id)


def list_projects(conn: Connection, round_id: str, language: str | None = None) -> list[Project]:
    """A round's projects in their display order; with ``language``, their texts in it
    where they have them (``in_language``)."""
    with read_cursor(conn) as cursor:
        rows = cursor.execute(
            "SELECT id, round_id, name, description, cost_minor, area, category, translations"
            " FROM projects WHERE round_id = ? ORDER BY position",
            [round_id],
        ).fetchall()
    projects = [
        Project(pid, rid, name, desc, from_minor(cost), area, category, json.loads(texts or "{}"))
        for pid, rid, name, desc, cost, area, category, texts in rows
    ]
    return [in_language(p, language) for p in projects] if language else projects
