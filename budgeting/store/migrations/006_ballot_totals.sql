-- Running totals over each round's current ballots, kept by every ballot write in the same
-- transaction, so the projector reads a few rows however many ballots a round has. Kinds:
-- 'ballots' and 'paper' count ballots (item ''); 'service' sums a service's amounts in
-- pence and 'project' a project's scores (item: the service or project id). Derived from
-- the ballot tables, which alone decide results; filled from them here.
CREATE TABLE ballot_totals (
    round_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    item VARCHAR NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (round_id, kind, item)
);

INSERT INTO ballot_totals (round_id, kind, item, total)
SELECT round_id, 'ballots', '', count(*) FROM ballots WHERE NOT superseded GROUP BY round_id;

INSERT INTO ballot_totals (round_id, kind, item, total)
SELECT round_id, 'paper', '', count(*) FROM ballots
WHERE NOT superseded AND channel = 'paper' GROUP BY round_id;

INSERT INTO ballot_totals (round_id, kind, item, total)
SELECT b.round_id, 'service', a.service_id, sum(a.amount_minor)
FROM ballot_allocations a JOIN ballots b ON b.id = a.ballot_id
WHERE NOT b.superseded GROUP BY b.round_id, a.service_id;

INSERT INTO ballot_totals (round_id, kind, item, total)
SELECT b.round_id, 'project', s.project_id, sum(s.score)
FROM ballot_project_scores s JOIN ballots b ON b.id = s.ballot_id
WHERE NOT b.superseded GROUP BY b.round_id, s.project_id;
