/**
 * A conditional write of a unit found its condition false (`UPDATE … WHERE available >= ?` or
 * `… AND version = ?` changed no row): the whole unit was rolled back. `step` is the index of that write
 * in the unit, so the caller knows which condition failed. Both adapters raise it.
 */
export class ConditionNotMet extends Error {
  constructor(readonly step: number) {
    super(`conditional write ${step} found its condition false; nothing was written`);
    this.name = 'ConditionNotMet';
  }
}
