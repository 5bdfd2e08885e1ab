/**
 * The answers of the cross-reference routes the console reads (docs/connectors.md#cross-reference-tables,
 * docs/console.md#cross-reference-tables): a table's settings with its entry count and the open exceptions
 * waiting on it, and a page of its entries.
 */
import { type Static, Type } from '@sinclair/typebox';

/** One entry: our key, the value a system uses for it, when it last changed. */
export const XrefEntrySchema = Type.Object({
  key: Type.String(),
  value: Type.Unknown(),
  updatedAt: Type.String(),
});
export type XrefEntryView = Static<typeof XrefEntrySchema>;

/** A page of a table in key order; `next` is the `after` of the following page. */
export const XrefEntryPageSchema = Type.Object({
  entries: Type.Array(XrefEntrySchema),
  next: Type.Optional(Type.String()),
});
export type XrefEntryPage = Static<typeof XrefEntryPageSchema>;

/** A table under `xref:`: its settings, how many entries it holds, how many open exceptions wait on it. */
export const XrefTableSummarySchema = Type.Object({
  name: Type.String(),
  description: Type.Optional(Type.String()),
  onMissing: Type.Union([Type.Literal('park'), Type.Literal('skip'), Type.Literal('default')]),
  default: Type.Optional(Type.Unknown()),
  reverse: Type.Optional(Type.String()),
  entries: Type.Integer(),
  waiting: Type.Integer({ description: 'open exceptions whose detail names this table and a key it lacks' }),
});
export type XrefTableSummary = Static<typeof XrefTableSummarySchema>;

export const XrefTableListSchema = Type.Object({ tables: Type.Array(XrefTableSummarySchema) });
export type XrefTableList = Static<typeof XrefTableListSchema>;

/** An open exception waiting on a table: the key it lacks, and where the exception came from. */
export const XrefWaitingSchema = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  system: Type.Optional(Type.String()),
  subscription: Type.Optional(Type.String()),
  key: Type.Optional(Type.String()),
  detail: Type.String(),
  createdAt: Type.String(),
});
export type XrefWaiting = Static<typeof XrefWaitingSchema>;

export const XrefTableDetailSchema = Type.Composite([
  XrefTableSummarySchema,
  Type.Object({ waitingExceptions: Type.Array(XrefWaitingSchema) }),
]);
export type XrefTableDetail = Static<typeof XrefTableDetailSchema>;
