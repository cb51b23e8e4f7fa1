"""DuckDB storage: the only module with SQL. (CONTRACT STUB: being implemented.)

Public API (every function takes an open connection first; each opens its own cursor and
writes inside a transaction). Money is stored as integer minor units (pence) and returned
as ``fractions.Fraction`` of the major unit (pounds).

    connect(path: str | None = None) -> duckdb.DuckDBPyConnection
        BUDGET_DB env var, else data/budget.duckdb (":memory:" allowed); runs migrations.
    schema_version(conn) -> int

    Round (dataclass): id: str, name: str, service_budget: Fraction, project_budget: Fraction,
        currency_symbol: str, ballot_format: "approval" | "knapsack" | "points",
        max_approvals: int | None, max_points: int | None, selection_rule: str,
        allocation_rule: str, completion: str, code_mode: "codes" | "open",
        allocation_tolerance: Fraction, hide_results_until_close: bool,
        status: "draft" | "open" | "closed" | "published", opens_at, closes_at
    Service (dataclass): id, round_id, name, description, unit_cost_text ("£40 buys ..."),
        current_spend: Fraction, floor: Fraction, ceiling: Fraction, position: int
    Project (dataclass): id, round_id, name, description, cost: Fraction, area, category
    StoredBallot (dataclass): id, round_id, receipt, channel: "web"|"paper", submitted_at,
        code_hash, area, age_band, allocation: dict[service_id, Fraction],
        project_scores: dict[project_id, int], superseded: bool

    create_round(conn, **fields) -> str                      # returns round id
    get_round(conn, round_id) -> Round | None
    list_rounds(conn) -> list[Round]
    update_round(conn, round_id, **changes) -> None          # audited
    replace_services(conn, round_id, services) / list_services(conn, round_id)
    replace_projects(conn, round_id, projects) / list_projects(conn, round_id)
    import_services_csv(conn, round_id, text) / import_projects_csv(conn, round_id, text)
        -> raises CsvImportError(line, field, message) listing every problem; nothing written
    issue_voter_codes(conn, round_id, count) -> list[str]   # plain codes returned once
    add_voter_codes(conn, round_id, codes) -> None           # e.g. the demo's known codes
    voter_code_status(conn, round_id, code) -> "valid" | "unknown"
    submit_ballot(conn, round_id, *, allocation, project_scores, channel="web",
        code=None, area=None, age_band=None) -> StoredBallot  # committed before returning;
        supersedes the code's previous ballot in the same transaction; raises
        BallotRejected(problems) when the engine's validation fails or round not open
    latest_ballot(conn, round_id, code) -> StoredBallot | None
    ballot_count(conn, round_id) -> int                      # current (not superseded)
    current_ballots(conn, round_id) -> list[StoredBallot]
    projector_snapshot(conn, round_id) -> ProjectorSnapshot(ballot_count,
        mean_allocation: dict[service_id, Fraction], project_totals: dict[project_id, int])
    audit_log(conn, round_id=None) -> list[AuditEntry]      # append-only
"""
