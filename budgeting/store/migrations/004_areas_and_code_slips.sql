-- Areas of a round with the number of residents who live there, so turnout can be read
-- against population; voter codes issued for an area (printed slips go to one area's
-- letterboxes); revoked codes stop voting but stay listed (and logged) as revoked.
CREATE TABLE areas (
    round_id VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    population BIGINT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (round_id, id)
);

ALTER TABLE voter_codes ADD COLUMN area VARCHAR;
ALTER TABLE voter_codes ADD COLUMN revoked_at TIMESTAMP;
