-- Failed sign-ins and voter-code attempts, counted per scope ("officer" name, "officer_client",
-- "code_session", "code_client") and subject (the name, address or session), so guessing is
-- slowed down across reruns, sessions and restarts. Rows are forgotten after a quiet hour and
-- cleared when the same officer or session then succeeds.

CREATE TABLE attempt_failures (
    scope VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP,
    PRIMARY KEY (scope, subject)
);
