"""Reading and writing pabulib ``.pb`` files.

Format (pabulib.org, "File format"; Faliszewski et al., "Participatory Budgeting: Data,
Tools and Analysis", IJCAI 2023): UTF-8 text with three sections, ``META`` (``key;value``
rows), ``PROJECTS`` and ``VOTES`` (a header row, then one ``;``-separated row per project /
voter, quoted like CSV where a field holds ``;`` or ``"``). Vote types: ``approval``,
``choose-1``, ``cumulative`` (``vote`` lists projects, ``points`` their points) and
``ordinal`` (``vote`` lists projects from most to least preferred).

``read_pb`` keeps every section, row and column in file order, so ``write_pb`` gives the file
back byte for byte when it uses one line ending throughout. ``PBFile.to_profile`` turns the
text into exact numbers (``Fraction``) for the selection rules. Every problem is reported as
a ``PabulibError`` naming the line and section.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TypeGuard, get_args

from budgeting.engine.model import Project, ProjectBallot, ProjectProfile, VoteType

SECTIONS = ("META", "PROJECTS", "VOTES")
VOTE_TYPES: tuple[str, ...] = get_args(VoteType)
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
MAX_WHOLE_DIGITS = 15
"""Digits an amount may have before its decimal point (a budget of up to a thousand
trillion): enough for any real budget, and far from where a float stops being exact."""
_AREA_COLUMNS = ("district", "neighborhood", "subunit")


class PabulibError(ValueError):
    """A malformed ``.pb`` file: the message names the line, the section and what is wrong."""

    def __init__(self, message: str, *, line: int | None = None, section: str | None = None):
        self.line = line
        self.section = section
        self.reason = message
        where = ""
        if line is not None:
            where = f"line {line}" + (f" ({section})" if section else "") + ": "
        elif section:
            where = f"{section}: "
        super().__init__(where + message)


@dataclass
class PBFile:
    """The text content of a ``.pb`` file, in file order.

    ``meta`` maps META keys to values; ``projects`` and ``votes`` are rows keyed by the
    section's header, whose column order ``project_columns`` / ``vote_columns`` keep.
    ``newline`` and ``final_newline`` record the line ending, so writing gives the same bytes.
    The line numbers are where each row was read (for error messages); they are not part of
    the content and are ignored when comparing files.
    """

    meta: dict[str, str]
    projects: list[dict[str, str]]
    votes: list[dict[str, str]]
    project_columns: list[str]
    vote_columns: list[str]
    newline: str = "\n"
    final_newline: bool = True
    project_lines: list[int] = field(default_factory=list, compare=False, repr=False)
    vote_lines: list[int] = field(default_factory=list, compare=False, repr=False)
    meta_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def vote_type(self) -> str:
        """The META ``vote_type`` (``approval`` when absent, as pabulib assumes)."""
        return self.meta.get("vote_type", "approval")

    def to_profile(self) -> ProjectProfile:
        """The election as exact numbers: budget, projects and scored ballots.

        Approval and choose-1 ballots score 1 per project; cumulative ballots score their
        ``points``; ordinal ballots score k - r + 1 at rank r, where k is META ``max_length``
        or else the longest ballot in the file (Kraków: 3, 2, 1).
        """
        vote_type = self.vote_type
        if not _is_vote_type(vote_type):
            raise PabulibError(
                f"vote_type '{vote_type}' is not one of {', '.join(VOTE_TYPES)}",
                line=self.meta_lines.get("vote_type"),
                section="META",
            )
        budget = read_amount(
            self.meta.get("budget"), "budget", self.meta_lines.get("budget"), "META"
        )
        projects = tuple(self._projects())
        known = {project.id for project in projects}
        rows = list(self._vote_rows())
        self._check_counts(len(projects), len(rows))
        _check_voter_ids(rows)
        rank_points = self._rank_points(rows) if vote_type == "ordinal" else 0
        ballots = tuple(
            _ballot(row, line, vote_type, known, rank_points, self.meta) for line, row in rows
        )
        return ProjectProfile(
            budget=budget, projects=projects, ballots=ballots, vote_type=vote_type
        )

    def _projects(self) -> Iterator[Project]:
        seen: set[str] = set()
        for line, row in _numbered(self.project_lines, self.projects):
            project_id = row.get("project_id", "")
            if not project_id:
                raise PabulibError("project_id is empty", line=line, section="PROJECTS")
            if project_id in seen:
                raise PabulibError(
                    f"project_id '{project_id}' appears twice", line=line, section="PROJECTS"
                )
            seen.add(project_id)
            area = next((row[column] for column in _AREA_COLUMNS if row.get(column)), "")
            yield Project(
                id=project_id,
                cost=read_amount(row.get("cost"), "cost", line, "PROJECTS"),
                name=row.get("name", ""),
                category=row.get("category", ""),
                area=area,
            )

    def _check_counts(self, projects: int, voters: int) -> None:
        """META's ``num_projects`` and ``num_votes``, where given, must match the sections:
        a file cut short loses its last votes and otherwise still reads as valid."""
        for key, section, found, what in (
            ("num_projects", "PROJECTS", projects, "projects"),
            ("num_votes", "VOTES", voters, "voters"),
        ):
            declared = self.meta.get(key)
            line = self.meta_lines.get(key)
            if declared is not None and read_amount(declared, key, line, "META") != found:
                raise PabulibError(
                    f"the {section} section has {found} {what} but META {key} says "
                    f"{declared} (is the file cut short?)",
                    line=line,
                    section="META",
                )

    def _vote_rows(self) -> Iterator[tuple[int | None, dict[str, str]]]:
        yield from _numbered(self.vote_lines, self.votes)

    def _rank_points(self, rows: list[tuple[int | None, dict[str, str]]]) -> int:
        declared = self.meta.get("max_length")
        if declared:
            return int(
                read_amount(declared, "max_length", self.meta_lines.get("max_length"), "META")
            )
        return max((len(_listed(row)) for _, row in rows), default=0)


def _is_vote_type(text: str) -> TypeGuard[VoteType]:
    return text in VOTE_TYPES


def _check_voter_ids(rows: list[tuple[int | None, dict[str, str]]]) -> None:
    seen: set[str] = set()
    for line, row in rows:
        voter = row.get("voter_id", "")
        if voter in seen:
            raise PabulibError(f"voter_id '{voter}' appears twice", line=line, section="VOTES")
        seen.add(voter)


def _numbered(
    lines: list[int], rows: list[dict[str, str]]
) -> Iterator[tuple[int | None, dict[str, str]]]:
    """Rows with the line each was read from (``None`` for rows built in code)."""
    numbers: list[int | None] = list(lines) if len(lines) == len(rows) else [None] * len(rows)
    return zip(numbers, rows, strict=True)


def read_amount(text: str | None, name: str, line: int | None, section: str) -> Fraction:
    """A non-negative decimal string as an exact Fraction."""
    if text is None:
        raise PabulibError(f"{name} is missing", line=line, section=section)
    stripped = text.strip()
    if not _DECIMAL.fullmatch(stripped):
        raise PabulibError(f"{name} '{text}' is not a number", line=line, section=section)
    if len(stripped.split(".")[0].lstrip("0")) > MAX_WHOLE_DIGITS:
        shown = text if len(text) <= 24 else text[:20] + "..."
        raise PabulibError(
            f"{name} '{shown}' is too large: at most {MAX_WHOLE_DIGITS} digits "
            "before the decimal point",
            line=line,
            section=section,
        )
    return Fraction(stripped)


def _listed(row: dict[str, str]) -> list[str]:
    vote = row.get("vote", "").strip()
    return [item.strip() for item in vote.split(",")] if vote else []


def _ballot(
    row: dict[str, str],
    line: int | None,
    vote_type: str,
    known: set[str],
    rank_points: int,
    meta: dict[str, str],
) -> ProjectBallot:
    voter = row.get("voter_id", "")
    listed = _listed(row)
    for project_id in listed:
        if project_id not in known:
            raise PabulibError(
                f"voter '{voter}' votes for unknown project '{project_id}'",
                line=line,
                section="VOTES",
            )
    if len(set(listed)) != len(listed):
        raise PabulibError(f"voter '{voter}' lists a project twice", line=line, section="VOTES")
    if vote_type == "choose-1" and len(listed) > 1:
        raise PabulibError(
            f"voter '{voter}' chooses {len(listed)} projects in a choose-1 vote",
            line=line,
            section="VOTES",
        )
    if vote_type == "cumulative":
        points_text = row.get("points", "").strip()
        points = [
            read_amount(item, "points", line, "VOTES")
            for item in (points_text.split(",") if points_text else [])
        ]
        if len(points) != len(listed):
            raise PabulibError(
                f"voter '{voter}' has {len(listed)} projects but {len(points)} points",
                line=line,
                section="VOTES",
            )
        scores = {pid: value for pid, value in zip(listed, points, strict=True) if value}
        return ProjectBallot(scores=scores, voter_id=voter)
    if vote_type == "ordinal":
        if len(listed) > rank_points:
            raise PabulibError(
                f"voter '{voter}' ranks {len(listed)} projects, more than max_length "
                f"{meta.get('max_length')}",
                line=line,
                section="VOTES",
            )
        scores = {pid: Fraction(rank_points - rank) for rank, pid in enumerate(listed)}
        return ProjectBallot(scores=scores, ranking=tuple(listed), voter_id=voter)
    return ProjectBallot(scores=dict.fromkeys(listed, Fraction(1)), voter_id=voter)


def read_pb(source: str | Path) -> PBFile:
    """Parse a ``.pb`` file given as a path or as its text (text when it contains a newline)."""
    if isinstance(source, Path) or "\n" not in source:
        try:
            raw = Path(source).read_bytes()
        except OSError as error:
            raise PabulibError(f"cannot read {source}: {error.strerror}") from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            raise PabulibError("not valid UTF-8 text", line=line) from None
    else:
        text = source
    return parse_pb(text)


def parse_pb(text: str) -> PBFile:
    """Parse the text of a ``.pb`` file."""
    newline = "\r\n" if text.split("\n", 1)[0].endswith("\r") else "\n"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"')
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    sections: dict[str, tuple[list[str], list[dict[str, str]], list[int]]] = {}
    section: str | None = None
    header: list[str] | None = None
    line = 0
    try:
        for fields in reader:
            first_line, line = line + 1, reader.line_num
            if any("\n" in value or "\r" in value for value in fields):
                raise PabulibError(
                    "a quote opened on this line is never closed",
                    line=first_line,
                    section=section,
                )
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            name = fields[0].strip().upper()
            if len(fields) == 1 and name in SECTIONS:
                section = _enter_section(name, section, sections, line)
                header = None
                continue
            if section is None:
                raise PabulibError(
                    f"expected the META section header, found '{fields[0]}'", line=line
                )
            if header is None:
                header = [column.strip() for column in fields]
                _check_header(header, section, line)
                sections[section] = (header, [], [])
                continue
            if len(fields) != len(header):
                raise PabulibError(
                    f"{len(fields)} fields but the header has {len(header)}",
                    line=line,
                    section=section,
                )
            if section == "META":
                key = fields[0].strip()
                if key in meta:
                    raise PabulibError(f"key '{key}' appears twice", line=line, section=section)
                meta[key] = fields[1].strip()
                meta_lines[key] = line
            else:
                _, rows, lines = sections[section]
                rows.append(dict(zip(header, fields, strict=True)))
                lines.append(line)
    except csv.Error as error:
        raise PabulibError(
            f"unreadable row: {error}", line=reader.line_num, section=section
        ) from None
    for name in SECTIONS:
        if name not in sections:
            raise PabulibError(f"the {name} section is missing")
    project_columns, projects, project_lines = sections["PROJECTS"]
    vote_columns, votes, vote_lines = sections["VOTES"]
    return PBFile(
        meta=meta,
        projects=projects,
        votes=votes,
        project_columns=project_columns,
        vote_columns=vote_columns,
        newline=newline,
        final_newline=text.endswith("\n"),
        project_lines=project_lines,
        vote_lines=vote_lines,
        meta_lines=meta_lines,
    )


def _enter_section(
    name: str,
    current: str | None,
    sections: dict[str, tuple[list[str], list[dict[str, str]], list[int]]],
    line: int,
) -> str:
    """Check that section ``name`` comes next (META, PROJECTS, VOTES, each once)."""
    position = 0 if current is None else SECTIONS.index(current) + 1
    expected = SECTIONS[position] if position < len(SECTIONS) else "no further section"
    if name != expected:
        raise PabulibError(f"section {name} found where {expected} was expected", line=line)
    if current is not None and current not in sections:
        raise PabulibError(f"the {current} section has no header row", line=line)
    return name


def _check_header(header: list[str], section: str, line: int) -> None:
    required = {"META": ("key", "value"), "PROJECTS": ("project_id", "cost"), "VOTES": ("vote",)}
    if section == "META" and header[:2] != ["key", "value"]:
        raise PabulibError("the header must be 'key;value'", line=line, section=section)
    for column in required[section]:
        if column not in header:
            raise PabulibError(f"the header has no '{column}' column", line=line, section=section)
    if len(set(header)) != len(header):
        raise PabulibError("the header names a column twice", line=line, section=section)


def write_pb(pbfile: PBFile) -> str:
    """The ``.pb`` text of ``pbfile``: the same bytes as the file it was read from, when
    that file used one line ending throughout."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", quotechar='"', lineterminator=pbfile.newline)
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    writer.writerows(pbfile.meta.items())
    writer.writerow(["PROJECTS"])
    writer.writerow(pbfile.project_columns)
    writer.writerows(
        [row.get(column, "") for column in pbfile.project_columns] for row in pbfile.projects
    )
    writer.writerow(["VOTES"])
    writer.writerow(pbfile.vote_columns)
    writer.writerows(
        [row.get(column, "") for column in pbfile.vote_columns] for row in pbfile.votes
    )
    text = buffer.getvalue()
    if not pbfile.final_newline:
        text = text[: -len(pbfile.newline)]
    return text
