/**
 * A fake Shopify GraphQL Admin API on 127.0.0.1 (its own node:http server), checking what the public docs
 * say Shopify checks (docs/recipes/shopify.md#what-the-test-fake-checks):
 * - `POST /admin/api/<version>/graphql.json` only, for the pinned version; another path answers 404;
 * - the `X-Shopify-Access-Token` header; without it, or with another token, 401;
 * - every document parsed and validated (graphql-js) against the 2026-04 schema of schema.ts: a document
 *   that does not validate answers `errors` and executes nothing;
 * - the calculated query cost (a mutation 10, each object field 1, a connection times its `first`)
 *   taken from a leaky bucket (`maximumAvailable`, `restoreRate` per second); when the bucket lacks the
 *   requested cost, the answer is the THROTTLED error and nothing runs; every answer carries
 *   `extensions.cost` with `throttleStatus`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type DocumentNode,
  execute,
  GraphQLObjectType,
  type GraphQLSchema,
  getDirectiveValues,
  getNamedType,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
  validate,
} from 'graphql';
import { API_VERSION, shopifySchema } from './schema.js';
import { FakeShop } from './shop.js';

export interface ReceivedCall {
  at: number;
  operation: string;
  /** The top-level field: `inventorySetQuantities`, `inventoryItem`… */
  field: string;
  variables: Record<string, unknown>;
  /** What the fake answered: `ok`, `throttled`, `invalid`. */
  outcome: 'ok' | 'throttled' | 'invalid' | 'error';
  idempotencyKey?: string;
  requestedCost: number;
  body: unknown;
}

export interface FakeShopifyOptions {
  accessToken: string;
  maximumAvailable?: number;
  restoreRate?: number;
  /** The port to listen on (default: any free one). */
  port?: number;
}

export class FakeShopify {
  readonly shop = new FakeShop();
  readonly calls: ReceivedCall[] = [];
  readonly refused: { status: number; path: string }[] = [];
  private readonly schema: GraphQLSchema = shopifySchema();
  private server: Server | undefined;
  private available: number;
  private lastRefill = Date.now();
  private drainFor: string | undefined;
  readonly maximumAvailable: number;
  readonly restoreRate: number;
  url = '';

  constructor(private readonly options: FakeShopifyOptions) {
    this.maximumAvailable = options.maximumAvailable ?? 1000;
    this.restoreRate = options.restoreRate ?? 100;
    this.available = this.maximumAvailable;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(this.options.port ?? 0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  /**
   * Empties the bucket just before the next call to `field` is read (another app of the store used the
   * quota): that call is throttled, and the next ones until the bucket refills at `restoreRate`.
   */
  drainBeforeNext(field: string): void {
    this.drainFor = field;
  }

  /** What the bucket holds now (cost points), refilled for the time passed. */
  bucket(): number {
    return this.refill();
  }

  private refill(): number {
    const now = Date.now();
    this.available = Math.min(
      this.maximumAvailable,
      this.available + ((now - this.lastRefill) / 1000) * this.restoreRate,
    );
    this.lastRefill = now;
    return this.available;
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const raw = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    const path = req.url ?? '';
    if (req.method !== 'POST' || path !== `/admin/api/${API_VERSION}/graphql.json`) {
      this.refused.push({ status: 404, path });
      return { status: 404, body: { errors: 'Not Found' } };
    }
    if (req.headers['x-shopify-access-token'] !== this.options.accessToken) {
      this.refused.push({ status: 401, path });
      return {
        status: 401,
        body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' },
      };
    }
    let request: { query?: unknown; variables?: unknown };
    try {
      request = JSON.parse(raw) as typeof request;
    } catch {
      return { status: 400, body: { errors: { query: 'Required parameter missing or invalid' } } };
    }
    const variables = (request.variables ?? {}) as Record<string, unknown>;
    let document: DocumentNode;
    try {
      if (typeof request.query !== 'string') throw new Error('Required parameter missing or invalid');
      document = parse(request.query);
    } catch (error) {
      return this.invalid(variables, [{ message: (error as Error).message }]);
    }
    const problems = validate(this.schema, document);
    if (problems.length > 0)
      return this.invalid(
        variables,
        problems.map((p) => ({ message: p.message })),
      );
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    ) as OperationDefinitionNode;
    const top = operation.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
    const field = top?.kind === Kind.FIELD ? top.name.value : '';
    const requestedCost = this.cost(operation);
    const call: ReceivedCall = {
      at: Date.now(),
      operation: operation.operation,
      field,
      variables,
      outcome: 'ok',
      requestedCost,
      body: undefined,
    };
    this.calls.push(call);
    if (this.drainFor === field) {
      this.drainFor = undefined;
      this.refill();
      this.available = 0;
    }
    const available = this.refill();
    if (available < requestedCost) {
      call.outcome = 'throttled';
      call.body = {
        errors: [
          {
            message: 'Throttled',
            extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
          },
        ],
        extensions: { cost: this.costExtension(requestedCost, null) },
      };
      return { status: 200, body: call.body };
    }
    this.available -= requestedCost;
    let idempotencyKey: string | undefined;
    if (top?.kind === Kind.FIELD) {
      const directive = this.schema.getDirective('idempotent');
      const values = directive ? getDirectiveValues(directive, top, variables) : undefined;
      if (typeof values?.key === 'string') idempotencyKey = values.key;
    }
    if (idempotencyKey !== undefined) call.idempotencyKey = idempotencyKey;
    const result = await execute({
      schema: this.schema,
      document,
      rootValue: this.shop.root(() => idempotencyKey),
      variableValues: variables,
    });
    if (result.errors !== undefined) call.outcome = 'error';
    call.body = {
      ...(result.data !== undefined ? { data: result.data } : {}),
      ...(result.errors ? { errors: result.errors.map((e) => ({ message: e.message, path: e.path })) } : {}),
      extensions: { cost: this.costExtension(requestedCost, requestedCost) },
    };
    return { status: 200, body: call.body };
  }

  private invalid(variables: Record<string, unknown>, errors: { message: string }[]) {
    const body = { errors };
    this.calls.push({
      at: Date.now(),
      operation: '',
      field: '',
      variables,
      outcome: 'invalid',
      requestedCost: 0,
      body,
    });
    return { status: 200, body };
  }

  private costExtension(requested: number, actual: number | null) {
    return {
      requestedQueryCost: requested,
      actualQueryCost: actual,
      throttleStatus: {
        maximumAvailable: this.maximumAvailable,
        currentlyAvailable: Math.floor(this.available),
        restoreRate: this.restoreRate,
      },
    };
  }

  /** The calculated cost: a mutation 10; a query, 1 per object field, a connection times its `first`. */
  private cost(operation: OperationDefinitionNode): number {
    if (operation.operation === 'mutation') return 10;
    const walk = (set: SelectionSetNode, parent: GraphQLObjectType): number => {
      let total = 0;
      for (const selection of set.selections) {
        if (selection.kind !== Kind.FIELD) continue;
        const definition = parent.getFields()[selection.name.value];
        const type = definition ? getNamedType(definition.type) : undefined;
        if (!(type instanceof GraphQLObjectType)) continue;
        const first = selection.arguments?.find((a) => a.name.value === 'first');
        const times = first?.value.kind === Kind.INT ? Number(first.value.value) : 1;
        total += 1 + (selection.selectionSet ? times * walk(selection.selectionSet, type) : 0);
      }
      return total;
    };
    return Math.max(1, walk(operation.selectionSet, this.schema.getQueryType() as GraphQLObjectType));
  }
}
