"""A stored round as files to publish: the anonymised ballots (CSV, Parquet, pabulib ``.pb``)
and the results (CSV).

Anonymised means what the council may publish: no voter code (not even its hash), no
receipt, no time finer than the day. Each ballot keeps its channel, area and age band, which
residents gave for the breakdowns. Rows are in a canonical order (day, channel, area, age
band, then the ballot's content), never in the order ballots arrived, so a row's position
tells nobody when within the day it was cast; ballots are numbered 1, 2, ... in that order.
The ``.pb`` file is ``decide.round_pb`` (the project vote that the rule reads, with the
winners and the rule in META).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from budgeting import store
from budgeting.engine.allocation import integer_columns
from budgeting.results.decide import decide_round, round_pb

BALLOT_FORMATS = ("csv", "parquet", "pb")
"""The formats the anonymised ballots are exported in."""
BALLOT_COLUMNS = ("ballot", "day", "channel", "area", "age_band")
"""The anonymised ballots' leading columns; one ``service:<id>`` column per service and a
``projects`` column follow."""
RESULT_COLUMNS = ("kind", "id", "name", "amount", "supporters", "funded")
"""The results CSV: one row per service (its amount under the round's allocation rule) and
one per project (its cost, supporters, and whether it is funded)."""
_ZERO = Fraction(0)
MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "pb": "text/plain"}


def _pence(amount: Fraction) -> Decimal:
    """An amount as a two-place decimal (money is stored in whole pence)."""
    return Decimal(round(amount * 100)) / 100


def _choices(scores: dict[str, int], points: bool) -> str:
    """The projects a ballot chose, ``P01;P07`` (or ``P01=3;P07=2`` for points)."""
    if points:
        return ";".join(f"{pid}={score}" for pid, score in sorted(scores.items()))
    return ";".join(sorted(scores))


def anonymised_ballots(
    voting_round: store.Round,
    services: Sequence[store.Service],
    ballots: Sequence[store.StoredBallot],
) -> tuple[list[str], list[list[Any]]]:
    """The current ballots as a header and rows, anonymised and in canonical order."""
    points = voting_round.ballot_format == "points"
    scale, columns = integer_columns(
        [[b.allocation.get(s.id, _ZERO) for b in ballots] for s in services]
    )
    pence = cache(lambda scaled: _pence(Fraction(scaled, scale)))  # ballots repeat few amounts
    amounts = (
        zip(*(map(pence, column) for column in columns), strict=True)
        if columns
        else [()] * len(ballots)
    )
    rows = sorted(
        [
            b.submitted_at.date(),
            b.channel,
            b.area or "",
            b.age_band or "",
            *money,
            _choices(b.project_scores, points),
        ]
        for b, money in zip(ballots, amounts, strict=True)
    )
    header = [*BALLOT_COLUMNS, *(f"service:{s.id}" for s in services), "projects"]
    return header, [[number, *row] for number, row in enumerate(rows, start=1)]


def _round_ballots(conn: store.Connection, round_id: str) -> tuple[list[str], list[list[Any]]]:
    voting_round = store.get_round(conn, round_id)
    if voting_round is None:
        raise store.StoreError(f"there is no round '{round_id}'")
    return anonymised_ballots(
        voting_round, store.list_services(conn, round_id), store.current_ballots(conn, round_id)
    )


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def ballots_csv(conn: store.Connection, round_id: str) -> str:
    """The round's anonymised ballots as CSV."""
    return _csv_text(*_round_ballots(conn, round_id))


def ballots_parquet(conn: store.Connection, round_id: str) -> bytes:
    """The round's anonymised ballots as Parquet, money as exact decimals (18 digits, 2
    places), the day as a date."""
    header, rows = _round_ballots(conn, round_id)
    money = pa.decimal128(18, 2)
    types = [pa.int64(), pa.date32(), pa.string(), pa.string(), pa.string()]
    types += [money] * (len(header) - len(BALLOT_COLUMNS) - 1) + [pa.string()]
    columns = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in header]
    table = pa.table(
        {
            name: pa.array(values, type=kind)
            for name, values, kind in zip(header, columns, types, strict=True)
        }
    )
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def results_csv(conn: store.Connection, round_id: str) -> str:
    """The round decided by its own rules as CSV: each service's amount, then each
    project's cost, supporters and whether it is funded."""
    decision = decide_round(conn, round_id)
    funded = set(decision.selection.selected)
    rows: list[list[Any]] = [
        ["service", s.id, s.name, _pence(decision.allocation.amounts[s.id]), "", ""]
        for s in decision.services
    ]
    rows += [
        [
            "project",
            p.id,
            p.name,
            _pence(p.cost),
            decision.tallies[p.id].supporters,
            "yes" if p.id in funded else "no",
        ]
        for p in decision.projects
    ]
    return _csv_text(RESULT_COLUMNS, rows)


def recompute_command(pb_file: str) -> str:
    """The one command that recomputes the winners from the exported ``.pb`` file and says
    whether they match the recorded ones."""
    return f"python -m budgeting select {pb_file} --rule recorded --json"


def ballots_file(conn: store.Connection, round_id: str, file_format: str) -> bytes:
    """The anonymised ballots in ``file_format`` (one of ``BALLOT_FORMATS``) as bytes."""
    if file_format == "csv":
        return ballots_csv(conn, round_id).encode("utf-8")
    if file_format == "parquet":
        return ballots_parquet(conn, round_id)
    if file_format == "pb":
        return round_pb(conn, round_id).encode("utf-8")
    raise ValueError(f"unknown export format {file_format!r}: use one of {BALLOT_FORMATS}")
