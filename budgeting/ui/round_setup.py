"""Round setup for officers: a new round, its settings, and its services, projects and areas
edited in a table or imported from a file.

Every amount is typed as text and read by the store's one amount reader
(``store.parse_amount``: ``12500``, ``12,500.50``, ``£12,500``), never by a number widget
that could round or clamp it. An edited table goes through the same reader as an imported
CSV file (``store.import_services_csv`` and friends), so a problem in a table row and in a
file line are found by the same rules and nothing is half-written. Rules are listed from
the engine's registry, never by hard-coded names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pandas as pd
import streamlit as st

from budgeting import store
from budgeting.engine.registry import Family, rules, selection_rule
from budgeting.store.models import BALLOT_FORMATS, CODE_MODES
from budgeting.ui import drawings
from budgeting.ui import officer as officer_ui
from budgeting.ui.markdown import literal

Translate = Callable[..., str]


@dataclass(frozen=True)
class ItemTable:
    """One of a round's tables an officer edits: its columns (those of its CSV file), how
    to list its rows as text, and how to import CSV text into the round."""

    name: str
    columns: tuple[str, ...]
    rows: Callable[[store.Connection, str], list[dict[str, str]]]
    import_csv: Callable[[store.Connection, str, str], int]
    fixed_by_ballots: bool


def amount_text(amount: Fraction) -> str:
    """An amount as an officer types it: ``12500`` or ``12500.50`` (no separators, so the
    text reads back as the same amount)."""
    pence = round(amount * 100)
    return str(pence // 100) if pence % 100 == 0 else f"{pence // 100}.{pence % 100:02d}"


def _texts_per_language(table: str, translations: store.Translations) -> dict[str, str]:
    """An item's texts per language as the ``name_cy``-style columns its CSV file has."""
    columns = {}
    for column in store.translated_columns(table):
        name, _, language = column.rpartition("_")
        columns[column] = translations.get(language, {}).get(name, "")
    return columns


def _service_rows(conn: store.Connection, round_id: str) -> list[dict[str, str]]:
    return [
        {
            "id": s.id,
            "name": s.name,
            "description": s.description,
            "unit_cost_text": s.unit_cost_text,
            "current_spend": amount_text(s.current_spend),
            "floor": amount_text(s.floor),
            "ceiling": amount_text(s.ceiling),
            **_texts_per_language("services", s.translations),
        }
        for s in store.list_services(conn, round_id)
    ]


def _project_rows(conn: store.Connection, round_id: str) -> list[dict[str, str]]:
    return [
        {
            "id": p.id,
            "name": p.name,
            "description": p.description,
            "cost": amount_text(p.cost),
            "area": p.area,
            "category": p.category,
            **_texts_per_language("projects", p.translations),
        }
        for p in store.list_projects(conn, round_id)
    ]


def _area_rows(conn: store.Connection, round_id: str) -> list[dict[str, str]]:
    return [
        {"id": a.id, "name": a.name, "population": str(a.population)}
        for a in store.list_areas(conn, round_id)
    ]


TABLES = (
    ItemTable(
        "services",
        store.csv_columns("services"),
        _service_rows,
        store.import_services_csv,
        fixed_by_ballots=True,
    ),
    ItemTable(
        "projects",
        store.csv_columns("projects"),
        _project_rows,
        store.import_projects_csv,
        fixed_by_ballots=True,
    ),
    ItemTable("areas", store.csv_columns("areas"), _area_rows, store.import_areas_csv, False),
)


def problems_list(t: Translate, problems: Sequence[store.CsvProblem], *, rows: bool) -> None:
    """Every problem of a refused table or file, one line each; ``rows``: name table rows
    (line 2 of the CSV made from a table is its row 1) instead of file lines."""
    lines = []
    for problem in problems:
        if problem.line is None:
            where = ""
        elif rows:
            where = t("officer.setup.at_row", row=problem.line - 1)
        else:
            where = t("officer.setup.at_line", line=problem.line)
        lines.append(f"- {where}{literal(problem.field)}: {literal(problem.message)}")
    st.error(t("officer.setup.nothing_saved") + "\n" + "\n".join(lines), icon=":material/error:")


def _csv_text(columns: Sequence[str], records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(
            {name: "" if record.get(name) is None else record[name] for name in columns}
        )
    return out.getvalue()


def _forget_editor(round_id: str, table: ItemTable) -> None:
    st.session_state.pop(f"editor_{table.name}_{round_id}", None)


def item_editor(
    conn: store.Connection,
    t: Translate,
    voting_round: store.Round,
    table: ItemTable,
    ballots: int,
) -> None:
    """The round's ``table`` as an editable table (rows can be added and removed) with a
    save button, and an import from a file; both refused whole when anything is wrong."""
    locked = table.fixed_by_ballots and ballots > 0
    if locked:
        st.info(t("officer.setup.locked_items", what=t(f"officer.setup.tab.{table.name}")))
    st.caption(t(f"officer.setup.help.{table.name}"))
    current = table.rows(conn, voting_round.id)
    edited = st.data_editor(
        pd.DataFrame(current, columns=list(table.columns), dtype="string"),
        num_rows="fixed" if locked else "dynamic",
        disabled=locked,
        hide_index=True,
        width="stretch",
        column_config={
            name: st.column_config.TextColumn(name, required=name in ("id", "name"))
            for name in table.columns
        },
        key=f"editor_{table.name}_{voting_round.id}",
    )
    if not locked and st.button(
        t("officer.setup.save", what=t(f"officer.setup.tab.{table.name}")),
        key=f"save_{table.name}",
        type="primary",
    ):
        records = [
            row for row in edited.to_dict("records") if any(pd.notna(v) and v for v in row.values())
        ]
        _import(conn, t, voting_round, table, _csv_text(table.columns, records), rows=True)
    if locked:
        return
    uploaded = st.file_uploader(
        t(f"officer.setup.upload.{table.name}"),
        type=["csv", "pb"] if table.name == "projects" else ["csv"],
        key=f"upload_{table.name}_{voting_round.id}",
    )
    if uploaded is not None and st.button(
        t("officer.setup.import", file=uploaded.name), key=f"import_{table.name}"
    ):
        try:
            text = uploaded.getvalue().decode("utf-8-sig")
        except UnicodeDecodeError:
            st.error(t("officer.setup.not_utf8", file=literal(uploaded.name)))
            return
        if uploaded.name.lower().endswith(".pb"):
            _import(
                conn, t, voting_round, table, text, rows=False, importer=store.import_projects_pb
            )
        else:
            _import(conn, t, voting_round, table, text, rows=False)


def _import(
    conn: store.Connection,
    t: Translate,
    voting_round: store.Round,
    table: ItemTable,
    text: str,
    *,
    rows: bool,
    importer: Callable[[store.Connection, str, str], int] | None = None,
) -> None:
    try:
        count = (importer or table.import_csv)(conn, voting_round.id, text)
    except store.CsvImportError as refused:
        problems_list(t, refused.problems, rows=rows)
        return
    except store.StoreError as refused:
        officer_ui.refused(refused)
        return
    _forget_editor(voting_round.id, table)
    st.session_state["setup_saved"] = t(
        "officer.setup.saved", count=count, what=t(f"officer.setup.tab.{table.name}")
    )
    st.rerun()


def _amounts(
    t: Translate, typed: dict[str, str], problems: list[str]
) -> dict[str, Fraction | None]:
    """Typed amounts read by the store's amount reader; each unreadable one is a problem
    naming its field."""
    amounts: dict[str, Fraction | None] = {}
    for name, text in typed.items():
        try:
            amounts[name] = store.parse_amount(text)
        except ValueError:
            problems.append(
                t("officer.setup.bad_amount", field=t(f"officer.setup.{name}"), text=literal(text))
            )
            amounts[name] = None
    return amounts


def _rule_names(family: Family) -> dict[str, str]:
    return {rule.id: rule.name for rule in rules(family)}


def _completions() -> tuple[str, ...]:
    for option in selection_rule("mes").options:
        if option.name == "completion":
            return option.choices
    return ()


SETTINGS_ROUND_KEY = "settings_round_id"
"""The session key naming the round whose settings the settings form's widgets show."""
SETTINGS_FORM = "settings"
"""The name the settings form's fields are drawn anew under, as a group."""


def _setting_key(name: str) -> str:
    """The key of the settings field ``name`` (``setting_name``) as drawn now."""
    return drawings.key(name, group=SETTINGS_FORM)


def _shown_settings(voting_round: store.Round, completions: Sequence[str]) -> dict[str, Any]:
    """What the settings form's widgets (by name: ``_setting_key``) start from: the round's
    settings."""
    return {
        "setting_name": voting_round.name,
        "setting_service_budget": amount_text(voting_round.service_budget),
        "setting_project_budget": amount_text(voting_round.project_budget),
        "setting_currency_symbol": voting_round.currency_symbol,
        "setting_code_mode": voting_round.code_mode,
        "setting_ballot_format": voting_round.ballot_format,
        "setting_limit": str(voting_round.max_approvals or voting_round.max_points or ""),
        "setting_selection_rule": voting_round.selection_rule,
        "setting_completion": voting_round.completion
        if voting_round.completion in completions
        else completions[0],
        "setting_allocation_rule": voting_round.allocation_rule,
    }


def settings_form(
    conn: store.Connection,
    t: Translate,
    voting_round: store.Round,
    officer: str,
    ballots: int,
) -> None:
    """The round's settings; those a cast ballot fixes are shown but cannot change."""
    fixed = ballots > 0
    if fixed:
        st.info(t("officer.setup.locked_settings", ballots=ballots))
    selection_names = _rule_names("selection")
    allocation_names = _rule_names("allocation")
    completions = _completions()
    # A widget keeps what it shows by its key alone, in the browser too: when another round
    # is picked (or one is created), the form is set to that round's settings through the
    # session state, or it would show (and save) the previous round's. It is drawn anew
    # then, so a Save pressed on the previous round's form before the browser has drawn
    # this one sends its values to keys no longer shown (``budgeting.ui.drawings``).
    # (Streamlit forgets the widgets' values on a page that does not show them: then
    # they are set again.)
    shown_round = st.session_state.get(SETTINGS_ROUND_KEY)
    if shown_round not in (None, voting_round.id):  # no other round's form was drawn first
        drawings.redraw(SETTINGS_FORM)
    shown = {
        _setting_key(name): value
        for name, value in _shown_settings(voting_round, completions).items()
    }
    if shown_round != voting_round.id or not all(key in st.session_state for key in shown):
        st.session_state.update(shown)
        st.session_state[SETTINGS_ROUND_KEY] = voting_round.id
    with st.form(f"settings_{voting_round.id}"):
        name = st.text_input(t("officer.setup.name"), key=_setting_key("setting_name"))
        left, right = st.columns(2)
        typed = {
            "service_budget": left.text_input(
                t("officer.setup.service_budget"),
                disabled=fixed,
                key=_setting_key("setting_service_budget"),
            ),
            "project_budget": right.text_input(
                t("officer.setup.project_budget"),
                disabled=fixed,
                key=_setting_key("setting_project_budget"),
            ),
        }
        currency = left.text_input(
            t("officer.setup.currency_symbol"),
            max_chars=3,
            disabled=fixed,
            key=_setting_key("setting_currency_symbol"),
        )
        code_mode = right.selectbox(
            t("officer.setup.code_mode"),
            CODE_MODES,
            format_func=lambda mode: t(f"officer.setup.code_mode.{mode}"),
            disabled=fixed,
            key=_setting_key("setting_code_mode"),
        )
        ballot_format = left.selectbox(
            t("officer.setup.ballot_format"),
            BALLOT_FORMATS,
            format_func=lambda kind: t(f"officer.setup.ballot_format.{kind}"),
            disabled=fixed,
            key=_setting_key("setting_ballot_format"),
        )
        limit = right.text_input(
            t("officer.setup.limit"),
            help=t("officer.setup.limit_help"),
            disabled=fixed,
            key=_setting_key("setting_limit"),
        )
        selection = left.selectbox(
            t("officer.setup.selection_rule"),
            list(selection_names),
            format_func=selection_names.__getitem__,
            disabled=fixed,
            key=_setting_key("setting_selection_rule"),
        )
        completion = right.selectbox(
            t("officer.setup.completion"),
            completions,
            help=t("officer.setup.completion_help"),
            disabled=fixed,
            key=_setting_key("setting_completion"),
        )
        allocation = left.selectbox(
            t("officer.setup.allocation_rule"),
            list(allocation_names),
            format_func=allocation_names.__getitem__,
            disabled=fixed,
            key=_setting_key("setting_allocation_rule"),
        )
        submitted = st.form_submit_button(t("officer.setup.save_settings"), type="primary")
    if not submitted:
        return
    problems: list[str] = []
    amounts = _amounts(t, typed, problems)
    limit_value: int | None = None
    if limit.strip():
        if limit.strip().isdigit() and 0 < int(limit.strip()) <= 10_000:
            limit_value = int(limit.strip())
        else:
            problems.append(t("officer.setup.bad_limit", text=literal(limit)))
    if problems:
        st.error(
            t("officer.setup.nothing_saved") + "\n" + "\n".join(f"- {p}" for p in problems),
            icon=":material/error:",
        )
        return
    wanted: dict[str, Any] = {"name": name.strip()}
    if not fixed:
        wanted |= {
            "service_budget": amounts["service_budget"],
            "project_budget": amounts["project_budget"],
            "currency_symbol": currency.strip(),
            "code_mode": code_mode,
            "ballot_format": ballot_format,
            "max_approvals": limit_value if ballot_format == "approval" else None,
            "max_points": limit_value if ballot_format == "points" else None,
            "selection_rule": selection,
            "completion": completion,
            "allocation_rule": allocation,
        }
    changes = {key: value for key, value in wanted.items() if getattr(voting_round, key) != value}
    try:
        store.update_round(conn, voting_round.id, actor=officer, **changes)
    except store.StoreError as refused:
        officer_ui.refused(refused)
        return
    st.session_state["setup_saved"] = t("officer.setup.settings_saved", count=len(changes))
    st.rerun()


def new_round_form(conn: store.Connection, t: Translate) -> None:
    """Create a draft round from a name and its two budgets; the rest is set afterwards."""
    with st.form("new_round"):
        name = st.text_input(t("officer.setup.name"), key="new_round_name")
        left, right = st.columns(2)
        typed = {
            "service_budget": left.text_input(
                t("officer.setup.service_budget"), key="new_round_service_budget"
            ),
            "project_budget": right.text_input(
                t("officer.setup.project_budget"), key="new_round_project_budget"
            ),
        }
        submitted = st.form_submit_button(t("officer.setup.create"), type="primary")
    if not submitted:
        return
    problems: list[str] = []
    if not name.strip():
        problems.append(t("officer.setup.needs_name"))
    amounts = _amounts(t, typed, problems)
    if problems:
        st.error(
            t("officer.setup.nothing_saved") + "\n" + "\n".join(f"- {p}" for p in problems),
            icon=":material/error:",
        )
        return
    try:
        round_id = store.create_round(conn, name=name.strip(), **amounts)
    except store.StoreError as refused:
        officer_ui.refused(refused)
        return
    st.query_params["round"] = round_id
    # The round picker shows the new round: set through the session state, which the browser
    # follows too (forgetting the picker's value would leave the browser's old choice, sent
    # back with the officer's next click).
    st.session_state["round_id"] = round_id
    st.session_state["setup_saved"] = t("officer.setup.created", name=literal(name.strip()))
    st.rerun()
