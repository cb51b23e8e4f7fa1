-- A ballot's rows found by the ballot's id, and a voter code's ballots by its hash, without
-- reading the whole tables: a receipt check, a resident's code bringing back their ballot,
-- and a revision each look these up. PostgreSQL scans the tables without an index (a
-- receipt check took 109 ms at 100,000 ballots, about ten times that at a million); DuckDB
-- finds the rows from its zone maps (6 ms at 100,000) and would hold an index in memory, so
-- the indexes are made on PostgreSQL only.
-- postgresql only:
CREATE INDEX ballot_allocations_by_ballot ON ballot_allocations (ballot_id);
CREATE INDEX ballot_project_scores_by_ballot ON ballot_project_scores (ballot_id);
CREATE INDEX ballots_by_code ON ballots (round_id, code_hash);
