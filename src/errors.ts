/**
 * Named errors with a stable `code`. The code doubles as the last segment of the RFC 9457 problem `type`
 * (`https://manifold.dev/problems/<code>`), so clients can branch on it; `status` is the HTTP status the API
 * answers with. The HTTP mapping lives in one place (`api/problem.ts`).
 */

/** One offending field of a request, located by an RFC 6901 JSON pointer. */
export interface FieldProblem {
  pointer: string;
  detail: string;
  /** In a batch: the index of the item, and the item's own problem code. */
  index?: number;
  code?: string;
}

/** Where problem `type` URIs start (RFC 9457); the error's `code` completes it. */
export const PROBLEM_BASE = 'https://manifold.dev/problems/';

export class ManifoldError extends Error {
  override readonly name: string = 'ManifoldError';
  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly errors: FieldProblem[] = [],
    /** Extra members for the problem document (e.g. `owners`). */
    readonly extensions: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}

/** 400: the request is not a valid instance of its contract. */
export class ValidationError extends ManifoldError {
  override readonly name = 'ValidationError';
  constructor(detail: string, errors: FieldProblem[], code = 'validation-failed') {
    super(code, 400, 'Request does not match its schema', detail, errors);
  }
}

/** 401: no key, or a key no system has. */
export class AuthenticationError extends ManifoldError {
  override readonly name = 'AuthenticationError';
  constructor(detail: string) {
    super('unauthenticated', 401, 'Authentication required', detail);
  }
}

/** 403: the caller is known but may not do this. */
export class ForbiddenError extends ManifoldError {
  override readonly name = 'ForbiddenError';
  constructor(
    code: 'forbidden' | 'source-mismatch' | 'ownership-violation',
    detail: string,
    errors: FieldProblem[] = [],
    extensions: Record<string, unknown> = {},
  ) {
    super(
      code,
      403,
      code === 'ownership-violation' ? 'Not the owner of this fact' : 'Forbidden',
      detail,
      errors,
      extensions,
    );
  }
}

/** 404: no such resource. */
export class NotFoundError extends ManifoldError {
  override readonly name = 'NotFoundError';
  constructor(detail: string) {
    super('not-found', 404, 'Not found', detail);
  }
}

/** 409: the request conflicts with the current state (not enough stock, a closed reservation, a key in use). */
export class ConflictError extends ManifoldError {
  override readonly name = 'ConflictError';
  constructor(code: string, title: string, detail: string, extensions: Record<string, unknown> = {}) {
    super(code, 409, title, detail, [], extensions);
  }
}

/** 422: understood but refused (an Idempotency-Key reused with a different body). */
export class UnprocessableError extends ManifoldError {
  override readonly name = 'UnprocessableError';
  constructor(code: string, title: string, detail: string) {
    super(code, 422, title, detail);
  }
}

/** The RFC 9457 document of an error, as the API answers it (and as an idempotent replay stores it). */
export function problemOf(error: ManifoldError, instance?: string): Record<string, unknown> {
  return {
    type: PROBLEM_BASE + error.code,
    title: error.title,
    status: error.status,
    detail: error.message,
    ...(instance ? { instance } : {}),
    ...(error.errors.length > 0 ? { errors: error.errors } : {}),
    ...error.extensions,
  };
}
