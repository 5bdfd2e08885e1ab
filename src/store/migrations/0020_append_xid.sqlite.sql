-- Concurrent appends are PostgreSQL's (docs/scaling.md#appends-that-commit-concurrently): SQLite has one
-- writer, so its commit order is its seq order and its rows need no transaction id. Kept so both engines
-- apply the same versions.
SELECT 1;
