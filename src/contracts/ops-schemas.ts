/**
 * Data schema of the operations events the hub emits (docs/operations.md): an alert rule starting or stopping to
 * fire. Routed like any hub event, so a subscription delivers them to an on-call webhook with retries.
 */
import { type Static, Type } from '@sinclair/typebox';
import { ALERT_KINDS, ALERT_SEVERITIES } from '../domain/alerts/alert-state.js';
import { DateTime, dataSchema, Identifier, StringEnum, Text } from './common-schemas.js';

/** `com.manifold.ops.alert.v1`: an alert rule fired or resolved. */
export const OpsAlertSchema = dataSchema(
  {
    type: 'com.manifold.ops.alert.v1',
    title: 'Alert',
    description:
      'An alert rule of the configuration started firing or resolved (backlog, oldest pending, exception rate, circuit open, drift).',
  },
  {
    rule: Identifier('The alert rule name (the partition key).'),
    scope: Type.Optional(
      Identifier('What the rule fired for: a subscription, target system, system or exception code.'),
    ),
    state: StringEnum(['firing', 'resolved'] as const, 'Whether the rule started firing or resolved.'),
    severity: StringEnum(ALERT_SEVERITIES, 'The rule severity.'),
    kind: StringEnum(ALERT_KINDS, 'The condition of the rule.'),
    value: Type.Number({ description: 'The observed value when the state changed.' }),
    threshold: Type.Number({ description: 'The value the rule compares against.' }),
    summary: Text('One line for a person on call.', 1024),
    since: DateTime('When the condition became true (firing) or stopped being true (resolved).'),
  },
);
/** The `data` of `com.manifold.ops.alert.v1`. */
export type OpsAlertData = Static<typeof OpsAlertSchema>;

export const OPS_DATA_SCHEMAS = [OpsAlertSchema] as const;
