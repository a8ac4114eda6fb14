-- schema_migrations: one row per migration applied. Grain: version.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,  -- NNN of warehouse/migrations/NNN_name.sql
    name       VARCHAR NOT NULL,     -- the file's name part
    applied_at TIMESTAMP NOT NULL    -- UTC
);
