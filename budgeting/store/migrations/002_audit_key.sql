-- The audit log's anchor. Entries appended while an audit key is configured
-- (BUDGET_AUDIT_KEY_FILE or BUDGET_AUDIT_KEY, kept outside the database) are hashed with
-- HMAC-SHA256 under that key, and key_id holds the key's fingerprint (never the key).
-- NULL: hashed with plain SHA-256, as every entry written before this migration was.
ALTER TABLE audit_log ADD COLUMN key_id VARCHAR;
