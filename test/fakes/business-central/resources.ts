/**
 * The fake Business Central's company resources: customers, items, salesOrders (deep insert of
 * salesOrderLines on create, `If-Match` on PATCH and DELETE, `$filter` on any field such as
 * externalDocumentNumber) and itemLedgerEntries (read-only, by entryNumber), and
 * the recipe's credit-check adapter, which is not a BC API.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFilter, applyOrderBy, odataError, sendJson, weakEtag } from './odata.js';

export interface Customer {
  id: string;
  number: string;
  displayName: string;
  creditLimit: number;
  balanceDue: number;
}
export interface Item {
  id: string;
  number: string;
  displayName: string;
}
export interface SalesOrder {
  header: Record<string, unknown>;
  lines: Record<string, unknown>[];
  version: number;
}
export interface Store {
  customers: Customer[];
  items: Item[];
  salesOrders: Map<string, SalesOrder>;
  /** How many coming creates of a sales order make it, then reset the connection (the answer lost). */
  dropCreateAnswers?: number;
}
export interface Ledger {
  entries: Record<string, unknown>[];
  next: number;
}

/** Writable properties of a salesOrder (API v2.0 salesOrder resource). */
const ORDER_FIELDS = new Set([
  'externalDocumentNumber',
  'orderDate',
  'postingDate',
  'customerId',
  'customerNumber',
  'currencyCode',
  'paymentTermsId',
  'shipmentMethodId',
  'salesperson',
  'partialShipping',
  'requestedDeliveryDate',
  'discountAmount',
  'shipToName',
  'shipToContact',
  'shipToAddressLine1',
  'shipToAddressLine2',
  'shipToCity',
  'shipToCountry',
  'shipToState',
  'shipToPostCode',
  'phoneNumber',
  'email',
]);
/** Writable properties of a salesOrderLine. */
const LINE_FIELDS = new Set([
  'sequence',
  'itemId',
  'accountId',
  'lineType',
  'lineObjectNumber',
  'description',
  'unitOfMeasureCode',
  'quantity',
  'unitPrice',
  'discountPercent',
  'shipmentDate',
  'locationId',
]);
const LINE_TYPES = new Set(['Comment', 'Account', 'Item', 'Resource', 'Fixed Asset', 'Charge']);

function unknownProperty(res: ServerResponse, name: string, type: string) {
  odataError(
    res,
    400,
    'BadRequest_NotFound',
    `The property '${name}' does not exist on type 'Microsoft.NAV.${type}'. Make sure to only use property names that are defined by the type.`,
  );
}

function orderView(order: SalesOrder): Record<string, unknown> {
  return { '@odata.etag': weakEtag(order.header.id as string, order.version), ...order.header };
}

export function companyRoutes(
  store: Store,
  ledger: Ledger,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  body: unknown,
) {
  const method = req.method ?? 'GET';
  if (path === 'customers' && method === 'GET') return list(res, store.customers as never, query);
  if (path === 'items' && method === 'GET') return list(res, store.items as never, query);
  if (path === 'itemLedgerEntries' && method === 'GET') return list(res, ledger.entries, query);
  if (path === 'salesOrders' && method === 'GET') {
    return list(res, [...store.salesOrders.values()].map(orderView), query);
  }
  if (path === 'salesOrders' && method === 'POST')
    return createOrder(store, res, body as Record<string, unknown>);
  const one = /^salesOrders\(([0-9a-f-]+)\)(\/salesOrderLines)?$/.exec(path);
  const order = one ? store.salesOrders.get(one[1] as string) : undefined;
  if (one && order === undefined) {
    return odataError(
      res,
      404,
      'Internal_RecordNotFound',
      `The Sales Header does not exist. Identification fields and values: Id='${one[1]}'`,
    );
  }
  if (one && order && one[2] && method === 'GET') return list(res, order.lines, query);
  if (one && order && !one[2] && method === 'GET')
    return sendJson(res, 200, orderView(order), { etag: weakEtag(order.header.id as string, order.version) });
  if (one && order && !one[2] && (method === 'PATCH' || method === 'DELETE')) {
    // If-Match is required on both (API v2.0 "Update salesOrders", "Delete salesOrders").
    const ifMatch = req.headers['if-match'];
    if (ifMatch === undefined || ifMatch === '') {
      return odataError(
        res,
        400,
        'BadRequest_InvalidToken',
        'Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.',
      );
    }
    if (ifMatch !== '*' && ifMatch !== weakEtag(order.header.id as string, order.version)) {
      return odataError(res, 412, 'Request_EntityChanged', 'Another user has already changed the record.');
    }
  }
  if (one && order && !one[2] && method === 'DELETE') {
    // "Do not supply a request body for this method"; the answer is 204 No Content.
    if (body !== undefined) return odataError(res, 400, 'BadRequest', 'DELETE takes no request body.');
    store.salesOrders.delete(order.header.id as string);
    res.writeHead(204);
    res.end();
    return;
  }
  if (one && order && !one[2] && method === 'PATCH') {
    const changes = (body ?? {}) as Record<string, unknown>;
    for (const name of Object.keys(changes)) {
      if (!ORDER_FIELDS.has(name)) return unknownProperty(res, name, 'salesOrder');
    }
    Object.assign(order.header, changes, { lastModifiedDateTime: new Date().toISOString() });
    order.version++;
    return sendJson(res, 200, orderView(order), { etag: weakEtag(order.header.id as string, order.version) });
  }
  odataError(
    res,
    404,
    'BadRequest_ResourceNotFound',
    `Resource not found for the segment '${path.split(/[(/]/)[0]}'.`,
  );
}

function list(res: ServerResponse, rows: Record<string, unknown>[], query: URLSearchParams) {
  for (const name of query.keys()) {
    if (name.startsWith('$') && !['$filter', '$orderby', '$top', '$skip', '$select'].includes(name)) {
      return odataError(res, 400, 'BadRequest', `The query parameter '${name}' is not supported.`);
    }
  }
  const filtered = applyFilter(rows, query.get('$filter'));
  if ('error' in filtered) return odataError(res, 400, 'BadRequest', filtered.error);
  const ordered = applyOrderBy(filtered, query.get('$orderby'));
  if ('error' in ordered) return odataError(res, 400, 'BadRequest', ordered.error);
  const skip = Number(query.get('$skip') ?? 0);
  const top = query.has('$top') ? Number(query.get('$top')) : ordered.length;
  sendJson(res, 200, { value: ordered.slice(skip, skip + top) });
}

function createOrder(store: Store, res: ServerResponse, body: Record<string, unknown>) {
  for (const name of Object.keys(body)) {
    if (name !== 'salesOrderLines' && !ORDER_FIELDS.has(name))
      return unknownProperty(res, name, 'salesOrder');
  }
  if (body.customerNumber === undefined && body.customerId === undefined) {
    return odataError(
      res,
      400,
      'Application_DialogException',
      'A customerNumber or a customerID must be provided.',
    );
  }
  const customer = store.customers.find((c) => c.number === body.customerNumber || c.id === body.customerId);
  if (!customer) {
    return odataError(
      res,
      400,
      'Internal_RecordNotFound',
      `The Customer does not exist. Identification fields and values: No.='${String(body.customerNumber ?? body.customerId)}'`,
    );
  }
  const id = randomUUID();
  const lines: Record<string, unknown>[] = [];
  const given = body.salesOrderLines ?? [];
  if (!Array.isArray(given)) return odataError(res, 400, 'BadRequest', 'Invalid Request Body');
  for (const [index, raw] of given.entries()) {
    const line = raw as Record<string, unknown>;
    for (const name of Object.keys(line))
      if (!LINE_FIELDS.has(name)) return unknownProperty(res, name, 'salesOrderLine');
    if (line.lineType !== undefined && !LINE_TYPES.has(String(line.lineType))) {
      return odataError(
        res,
        400,
        'Application_EvaluateException',
        `The value "${String(line.lineType)}" cannot be evaluated into type Option.`,
      );
    }
    const item = store.items.find((i) => i.number === line.lineObjectNumber || i.id === line.itemId);
    if ((line.lineType ?? 'Item') === 'Item' && !item) {
      return odataError(
        res,
        400,
        'Internal_RecordNotFound',
        `The Item does not exist. Identification fields and values: No.='${String(line.lineObjectNumber)}'`,
      );
    }
    if (typeof line.quantity !== 'number' || line.quantity < 0) {
      return odataError(res, 400, 'BadRequest', 'Unable to convert value to Decimal for quantity.');
    }
    lines.push({
      id: randomUUID(),
      documentId: id,
      sequence: (index + 1) * 10000,
      lineType: 'Item',
      itemId: item?.id,
      ...line,
    });
  }
  const header: Record<string, unknown> = {
    id,
    number: `S-ORD${101000 + store.salesOrders.size + 1}`,
    externalDocumentNumber: '',
    orderDate: new Date().toISOString().slice(0, 10),
    postingDate: new Date().toISOString().slice(0, 10),
    currencyCode: '',
    partialShipping: false,
    requestedDeliveryDate: '0001-01-01',
    status: 'Draft',
    fullyShipped: false,
    ...Object.fromEntries(Object.entries(body).filter(([name]) => name !== 'salesOrderLines')),
    customerId: customer.id,
    customerNumber: customer.number,
    customerName: customer.displayName,
    lastModifiedDateTime: new Date().toISOString(),
  };
  const order: SalesOrder = { header, lines, version: 1 };
  store.salesOrders.set(id, order);
  if ((store.dropCreateAnswers ?? 0) > 0) {
    // Created, but the answer never reaches the client (a reset connection, a gateway timeout).
    store.dropCreateAnswers = (store.dropCreateAnswers ?? 0) - 1;
    res.socket?.destroy();
    return;
  }
  sendJson(res, 201, { ...orderView(order), salesOrderLines: lines }, { etag: weakEtag(id, 1) });
}

/**
 * The recipe's adapter (NOT a Business Central API): answers the hub's `orders.validate` call with the
 * customer's credit — refused when its `balanceDue` plus the order's total passes its `creditLimit`
 * (a limit of 0 means no limit, as in BC).
 */
export function creditCheck(store: Store, raw: string, res: ServerResponse) {
  let order: { customer?: { id?: string }; lines?: { quantity: number; unitPrice?: number }[] };
  try {
    order = JSON.parse(raw);
  } catch {
    return sendJson(res, 400, { detail: 'not JSON' });
  }
  const customer = store.customers.find((c) => c.number === order.customer?.id);
  if (!customer)
    return sendJson(res, 200, {
      decision: 'refuse',
      reason: `customer ${order.customer?.id} is not in Business Central`,
    });
  const total = (order.lines ?? []).reduce((sum, l) => sum + l.quantity * (l.unitPrice ?? 0), 0);
  if (customer.creditLimit > 0 && customer.balanceDue + total > customer.creditLimit) {
    return sendJson(res, 200, {
      decision: 'refuse',
      reason: `credit limit ${customer.creditLimit} exceeded: balance due ${customer.balanceDue} + order ${total}`,
    });
  }
  sendJson(res, 200, { decision: 'accept', order: { customer: { name: customer.displayName } } });
}
