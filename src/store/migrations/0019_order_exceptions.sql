-- The open exceptions about one subject (an order id, sku@location): what `GET /v1/orders/{id}` shows with
-- the order. Without it the lookup walked every open exception (exceptions_status) and tested its subject,
-- so an order's page slowed down with the size of the queue (docs/benchmarks.md#volume--npm-run-benchvolume).
CREATE INDEX exceptions_subject ON exceptions (subject, status, id);
