-- The open exceptions of one code, oldest first: how the order processor finds `oversold` positions to
-- rebalance, each time it has caught up with the log. Without it the lookup walked every open exception
-- (exceptions_status) and tested its code, so an idle hub's work grew with the size of the queue
-- (docs/benchmarks.md#volume--npm-run-benchvolume).
CREATE INDEX exceptions_code ON exceptions (code, status, id);
