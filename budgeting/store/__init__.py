"""Storage: the only package with SQL. An embedded DuckDB file by default; PostgreSQL
(``postgres``) when several app processes share one database. The same SQL, migrations and
tests run on both.

Modules, each importing only those listed before it (no cycles, no imports inside
functions): ``models``, ``money``, ``validation``, ``postgres`` and ``connection``
(opening, migrations, transactions; ``Connection`` and ``Cursor`` are what the store asks
of either database); ``audit`` (appending to and reading the hash-chained log); ``codes`` and
``rounds``; ``queries`` (reading ballots back and the projector's aggregates);
``integrity`` (checking the log and what it vouches for); ``ballots`` (validating and
writing ballots); ``csv_import``; ``attempts`` (failed sign-ins and voter codes, and the
delays that slow guessing). The demo round lives outside the store, in
``budgeting.demo``, and uses only this public API.

Public API (every function takes an open connection first; each opens its own cursor and
writes inside a transaction). Money is stored as integer minor units (pence) and returned
as ``fractions.Fraction`` of the major unit (pounds). Times are naive UTC ``datetime``.

    connect(path: str | None = None) -> Connection
        BUDGET_DB env var, else data/budget.duckdb (":memory:" allowed; a postgresql://
        address opens PostgreSQL: budgeting.store.postgres); runs migrations.
    schema_version(conn) -> int
    is_postgres(target) -> bool                              # a postgresql:// address?

    Round (dataclass): id: str, name: str, service_budget: Fraction, project_budget: Fraction,
        currency_symbol: str, ballot_format: "approval" | "knapsack" | "points",
        max_approvals: int | None, max_points: int | None, selection_rule: str,
        allocation_rule: str, completion: str, code_mode: "codes" | "open",
        allocation_tolerance: Fraction, hide_results_until_close: bool,
        status: "draft" | "open" | "closed" | "published", opens_at, closes_at
    Service (dataclass): id, round_id, name, description, unit_cost_text ("£40 buys ..."),
        current_spend: Fraction, floor: Fraction, ceiling: Fraction, position: int,
        translations: Translations (language -> field -> text, e.g. {"cy": {"name": ...}})
    Project (dataclass): id, round_id, name, description, cost: Fraction, area, category,
        translations
    Area (dataclass): id, round_id, name, population: int
    RoundVotes (dataclass): ballots, allocations, scores (each ballot's, oldest first)
    StoredBallot (dataclass): id, round_id, receipt, channel: "web"|"paper", submitted_at,
        code_hash, area, age_band, allocation: dict[service_id, Fraction],
        project_scores: dict[project_id, int], superseded: bool
    ProjectorSnapshot (dataclass): ballot_count, mean_allocation, project_totals, paper_count
    AuditEntry (dataclass): seq, round_id, at, kind, details: dict, prev_hash, hash
    AuditHead (dataclass): seq, hash; str() is "SEQ:HASH", AuditHead.parse(text) reads it
    AuditReport (dataclass): entries, head: AuditHead | None, anchored: bool,
        problems: list[str], notes: list[str] (what could not be checked, and why)

    create_round(conn, **fields) -> str                      # returns round id; audited
    get_round(conn, round_id) -> Round | None
    round_view(conn, round_id, language=None) -> RoundView | None
        # the round with its services and projects, kept a second for pages that rerun
    list_rounds(conn) -> list[Round]
    update_round(conn, round_id, **changes) -> None          # audited; the settings in
        # SETTLED_BY_BALLOTS (budgets, format, rules, code mode) are refused once ballots exist
    replace_services(conn, round_id, services) / list_services(conn, round_id, language=None)
    replace_projects(conn, round_id, projects) / list_projects(conn, round_id, language=None)
        (listed with language: texts in it where given, the default language's otherwise)
        (Service/Project instances or mappings; refused once the round has ballots)
    replace_areas(conn, round_id, areas) / list_areas(conn, round_id)
        (Area instances or mappings; allowed in every state: areas decide nothing)
    import_services_csv(conn, round_id, text) / import_projects_csv(conn, round_id, text)
        -> int (rows imported); raises CsvImportError(problems) listing every problem
        (each CsvProblem has line, field, message); nothing written then
    import_ballots_csv(conn, round_id, text, hasher=None) -> int  # paper/recorded, same rules
    translated_columns(table) -> ("name_cy", ...)  # CSV columns with a text per language
    csv_columns(table) -> every column of a services, projects or areas CSV file
    import_areas_csv(conn, round_id, text) / import_projects_pb(conn, round_id, text) -> int
        # areas (id, name, population); projects from a pabulib file's PROJECTS section
    parse_services_csv(text) / parse_projects_csv(text) / parse_areas_csv(text)
        / parse_projects_pb(text) -> (rows as dicts, problems)
        # the importers' reading step alone: nothing written
    BALLOT_FIELDS: the ballots CSV's columns before one column per service id
    parse_amount(text) -> Fraction                           # "£12,500.50" -> pounds
    issue_voter_codes(conn, round_id, count, *, area=None, actor=None) -> list[str]
        # plain codes returned once; count 1..MAX_CODES_PER_ISSUE; area: an area id; audited
    revoke_voter_code(conn, round_id, code, *, actor=None) -> datetime  # audited; the code
        # is refused from then on like an unknown one; a ballot it cast before stays counted
    voter_code_counts(conn, round_id) -> list[VoterCodeCounts]  # per area (None: no area):
        # issued, revoked, used (has voted)
    add_voter_codes(conn, round_id, codes, hasher=None) -> None  # e.g. the demo's known codes
    code_hasher(conn, round_id) -> CodeHasher  # share: add codes, then import, hashing once
    display_code(code) -> str                                # "abcd efgh" -> "ABCD-EFGH"
    submit_ballot(conn, round_id, *, allocation, project_scores, channel="web",
        code=None, area=None, age_band=None, submitted_at=None) -> StoredBallot
        # area: one of the round's areas by id or name, stored as its id (free text when the
        # round lists none); age_band: one of AGE_BANDS or None
        # committed before returning; supersedes the code's previous ballot in the same
        # transaction; raises BallotRejected(problems) when the engine's validation fails,
        # the round is unknown or not open, or the code is unknown / missing
    submit_ballots(conn, round_id, ballots: Iterable[BallotInput]) -> list[str]
        # many ballots in one transaction (all or none): loading, paper batches, benchmarks;
        # returns their receipts, in order
    latest_ballot(conn, round_id, code) -> StoredBallot | None
    voter_code_check(conn, round_id, code) -> VoterCodeCheck  # status "valid" | "unknown"
        # (revoked: "unknown") and a valid code's counted ballot, the code hashed once
    ballot_by_receipt(conn, receipt) -> StoredBallot | None
    ballot_count(conn, round_id) -> int                      # current (not superseded)
    current_ballots(conn, round_id) -> list[StoredBallot]
    current_votes(conn, round_id, *, allocations=True, scores=True) -> RoundVotes
        # only what the rules read (amounts, scores), oldest first; equal scores share a dict
    projector_snapshot(conn, round_id) -> ProjectorSnapshot
    shared_projector_snapshot(conn, round_id) -> ProjectorSnapshot   # kept a second
    audit_log(conn, round_id=None, *, kind=None, newest=None) -> list[AuditEntry]
        # append-only, hash-chained; newest: only that many of the latest entries
    audit_kinds(conn, round_id=None) -> dict[str, int]      # entries of each kind
    audit_head(conn) -> AuditHead | None                     # the newest entry, to publish
    audit_report(conn, *, key=None, head=None) -> AuditReport
        # the chain, then rounds, services, projects, voter codes, ballots and their rows
        # compared with what the log recorded, each difference named; key: the audit key
        # (default BUDGET_AUDIT_KEY_FILE, else BUDGET_AUDIT_KEY; entries written while one
        # is set are sealed with HMAC-SHA256 under it); head: the published "SEQ:HASH"
    verify_audit_log(conn, *, key=None, head=None) -> list[str]  # problems; empty if intact
    attempt_wait(conn, keys, *, now=None) -> timedelta       # zero: an attempt may be checked
    record_failure(conn, keys, *, round_id=None, now=None) -> timedelta  # the wait it starts;
        # keys are (scope, subject): scopes "officer", "officer_client", "code_session",
        # "code_client"; each delay that starts is audited ("attempts_delayed")
    record_success(conn, keys) -> None                       # forgets those keys' failures
    attempt_delays(conn, *, now=None) -> list[AttemptDelay]  # delays of the last hour

Errors: StoreError (a ValueError with a readable message), its subclasses BallotRejected
(``.problems``: each has ``.field`` and ``.message(language)``) and CsvImportError.
"""

from budgeting.store.attempts import (
    AttemptDelay,
    attempt_delays,
    attempt_wait,
    record_failure,
    record_success,
)
from budgeting.store.audit import AuditHead, audit_head, audit_kinds, audit_log
from budgeting.store.ballots import BallotInput, submit_ballot, submit_ballots
from budgeting.store.codes import (
    MAX_CODES_PER_ISSUE,
    CodeHasher,
    VoterCodeCounts,
    add_voter_codes,
    code_hasher,
    display_code,
    issue_voter_codes,
    revoke_voter_code,
    voter_code_counts,
)
from budgeting.store.connection import (
    Connection,
    Cursor,
    connect,
    database_path,
    schema_version,
)
from budgeting.store.csv_import import (
    BALLOT_FIELDS,
    csv_columns,
    import_areas_csv,
    import_ballots_csv,
    import_projects_csv,
    import_projects_pb,
    import_services_csv,
    parse_areas_csv,
    parse_projects_csv,
    parse_projects_pb,
    parse_services_csv,
    translated_columns,
)
from budgeting.store.integrity import AuditReport, audit_report, verify_audit_log
from budgeting.store.models import (
    AGE_BANDS,
    Area,
    AuditEntry,
    BallotRejected,
    CsvImportError,
    CsvProblem,
    Project,
    ProjectorSnapshot,
    Round,
    RoundNotReady,
    RoundVotes,
    Service,
    StoredBallot,
    StoreError,
    StoreProblem,
    Translations,
    VoterCodeCheck,
)
from budgeting.store.money import parse_amount
from budgeting.store.postgres import is_postgres
from budgeting.store.queries import (
    ballot_by_receipt,
    ballot_count,
    current_ballots,
    current_votes,
    latest_ballot,
    projector_snapshot,
    shared_projector_snapshot,
    voter_code_check,
)
from budgeting.store.round_cache import RoundView
from budgeting.store.rounds import (
    SETTLED_BY_BALLOTS,
    create_round,
    get_round,
    list_areas,
    list_projects,
    list_rounds,
    list_services,
    replace_areas,
    replace_projects,
    replace_services,
    round_view,
    update_round,
)

__all__ = [
    "AGE_BANDS",
    "BALLOT_FIELDS",
    "MAX_CODES_PER_ISSUE",
    "SETTLED_BY_BALLOTS",
    "Area",
    "AttemptDelay",
    "AuditEntry",
    "AuditHead",
    "AuditReport",
    "BallotInput",
    "BallotRejected",
    "CodeHasher",
    "Connection",
    "CsvImportError",
    "CsvProblem",
    "Cursor",
    "Project",
    "ProjectorSnapshot",
    "Round",
    "RoundNotReady",
    "RoundView",
    "RoundVotes",
    "Service",
    "StoreError",
    "StoreProblem",
    "StoredBallot",
    "Translations",
    "VoterCodeCheck",
    "VoterCodeCounts",
    "add_voter_codes",
    "attempt_delays",
    "attempt_wait",
    "audit_head",
    "audit_kinds",
    "audit_log",
    "audit_report",
    "ballot_by_receipt",
    "ballot_count",
    "code_hasher",
    "connect",
    "create_round",
    "csv_columns",
    "current_ballots",
    "current_votes",
    "database_path",
    "display_code",
    "get_round",
    "import_areas_csv",
    "import_ballots_csv",
    "import_projects_csv",
    "import_projects_pb",
    "import_services_csv",
    "is_postgres",
    "issue_voter_codes",
    "latest_ballot",
    "list_areas",
    "list_projects",
    "list_rounds",
    "list_services",
    "parse_amount",
    "parse_areas_csv",
    "parse_projects_csv",
    "parse_projects_pb",
    "parse_services_csv",
    "projector_snapshot",
    "record_failure",
    "record_success",
    "replace_areas",
    "replace_projects",
    "replace_services",
    "revoke_voter_code",
    "round_view",
    "schema_version",
    "shared_projector_snapshot",
    "submit_ballot",
    "submit_ballots",
    "translated_columns",
    "update_round",
    "verify_audit_log",
    "voter_code_check",
    "voter_code_counts",
]
