/** `GET /v1/alerts`: every alert rule instance and its state (admin key). */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ALERT_KINDS, ALERT_SEVERITIES } from '../../domain/alerts/alert-state.js';
import type { ApiContext } from '../api-context.js';

const Problem = { $ref: 'Problem#' };

const AlertView = Type.Object({
  rule: Type.String(),
  scope: Type.Optional(
    Type.String({ description: 'The subscription, target, system or code this instance watches.' }),
  ),
  severity: Type.Union(ALERT_SEVERITIES.map((s) => Type.Literal(s))),
  kind: Type.Union(ALERT_KINDS.map((k) => Type.Literal(k))),
  status: Type.Union([Type.Literal('ok'), Type.Literal('pending'), Type.Literal('firing')], {
    description: 'pending: the condition holds but not yet for the rule’s `for`',
  }),
  value: Type.Number(),
  threshold: Type.Number(),
  summary: Type.String(),
  since: Type.Optional(Type.String({ description: 'When the condition became true (pending, firing).' })),
  firedAt: Type.Optional(Type.String()),
  resolvedAt: Type.Optional(Type.String()),
});

const AlertList = Type.Object({
  evaluatedAt: Type.Optional(Type.String({ description: 'The last evaluation (every 5 s).' })),
  rules: Type.Integer({ description: 'Rules configured under `alerts:`.' }),
  firing: Type.Integer(),
  alerts: Type.Array(AlertView),
});

export function registerAlertRoutes(app: FastifyInstance, { auth, alerts }: ApiContext): void {
  app.get(
    '/v1/alerts',
    {
      schema: {
        summary: 'Alert rules and their current state, firing first',
        tags: ['operations'],
        security: [{ bearer: [] }],
        response: { 200: AlertList, 401: Problem, 403: Problem },
      },
    },
    async (request) => {
      auth.requireAdmin(request);
      const { evaluatedAt, alerts: list } = await alerts.list();
      return {
        ...(evaluatedAt ? { evaluatedAt } : {}),
        rules: alerts.rules.length,
        firing: list.filter((a) => a.status === 'firing').length,
        alerts: list,
      };
    },
  );
}
