-- Rounds, their services and projects, voter codes, ballots and the audit log.
-- Money columns ending in _minor hold integer minor units (pence).
-- Times are UTC (TIMESTAMP without time zone).

CREATE TABLE rounds (
    id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    service_budget_minor BIGINT NOT NULL,
    project_budget_minor BIGINT NOT NULL,
    currency_symbol VARCHAR NOT NULL,
    ballot_format VARCHAR NOT NULL,
    max_approvals INTEGER,
    max_points INTEGER,
    selection_rule VARCHAR NOT NULL,
    allocation_rule VARCHAR NOT NULL,
    completion VARCHAR NOT NULL,
    code_mode VARCHAR NOT NULL,
    allocation_tolerance_minor BIGINT NOT NULL,
    hide_results_until_close BOOLEAN NOT NULL,
    status VARCHAR NOT NULL,
    opens_at TIMESTAMP,
    closes_at TIMESTAMP,
    code_salt VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE services (
    round_id VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    unit_cost_text VARCHAR NOT NULL,
    current_spend_minor BIGINT NOT NULL,
    floor_minor BIGINT NOT NULL,
    ceiling_minor BIGINT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (round_id, id)
);

CREATE TABLE projects (
    round_id VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    cost_minor BIGINT NOT NULL,
    area VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (round_id, id)
);

-- Only salted hashes of voter codes: the code itself is never stored.
CREATE TABLE voter_codes (
    round_id VARCHAR NOT NULL,
    code_hash VARCHAR NOT NULL,
    issued_at TIMESTAMP NOT NULL,
    PRIMARY KEY (round_id, code_hash)
);

CREATE SEQUENCE ballot_ids START 1;

CREATE TABLE ballots (
    id BIGINT PRIMARY KEY,
    round_id VARCHAR NOT NULL,
    receipt VARCHAR NOT NULL UNIQUE,
    channel VARCHAR NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    code_hash VARCHAR,
    area VARCHAR,
    age_band VARCHAR,
    superseded BOOLEAN NOT NULL
);

CREATE TABLE ballot_allocations (
    ballot_id BIGINT NOT NULL,
    service_id VARCHAR NOT NULL,
    amount_minor BIGINT NOT NULL
);

CREATE TABLE ballot_project_scores (
    ballot_id BIGINT NOT NULL,
    project_id VARCHAR NOT NULL,
    score INTEGER NOT NULL
);

-- Append-only: entries are only ever inserted; each entry's hash covers its content and
-- the previous entry's hash, so any later edit or deletion breaks the chain.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    round_id VARCHAR,
    logged_at TIMESTAMP NOT NULL,
    kind VARCHAR NOT NULL,
    details VARCHAR NOT NULL,
    prev_hash VARCHAR NOT NULL,
    hash VARCHAR NOT NULL
);
