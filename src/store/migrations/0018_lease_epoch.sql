-- Lease epochs (docs/durability.md#fencing): each lease counts its tenures. `epoch` grows by one whenever the
-- lease passes to a different holder (or is taken again after a release), never on a renewal; a released
-- lease keeps its row (owner '' and no expiry) so that the count goes on. The singletons' writes carry the
-- epoch they hold and check it inside their own transaction: a process that lost its lease writes nothing.
ALTER TABLE leases ADD COLUMN epoch BIGINT NOT NULL DEFAULT 1;
