/**
 * The hub's API as the console calls it: same origin, the admin key as a Bearer token. The key lives in
 * `sessionStorage` only (gone when the browser session ends); a 401 or 403 forgets it and sends the
 * operator back to the key form with the hub's message.
 */

const KEY_STORAGE = 'manifold.adminKey';

/** An answer other than 2xx; `problem` is the RFC 9457 document when the hub sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly problem?: { type?: string; title?: string; detail?: string },
  ) {
    super(message);
  }
}

type KeyListener = (message: string | undefined) => void;
const listeners = new Set<KeyListener>();

export function storedKey(): string | undefined {
  return sessionStorage.getItem(KEY_STORAGE) ?? undefined;
}

export function rememberKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
  for (const listener of listeners) listener(undefined);
}

/** Forgets the key; the console shows the key form with `message`. */
export function forgetKey(message?: string): void {
  sessionStorage.removeItem(KEY_STORAGE);
  for (const listener of listeners) listener(message);
}

/** Called with the reason whenever the key is set or forgotten. */
export function onKeyChange(listener: KeyListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Calls the hub; JSON in, JSON out. Throws `ApiError` for any non-2xx answer. */
export async function api<T>(
  path: string,
  init: {
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    body?: unknown;
    /** A body sent as it is, with its content type (a CSV or NDJSON upload). */
    raw?: { contentType: string; text: string };
    key?: string;
    signal?: AbortSignal;
  } = {},
): Promise<T> {
  const key = init.key ?? storedKey();
  const contentType = init.raw?.contentType ?? (init.body === undefined ? undefined : 'application/json');
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers: {
      accept: 'application/json, application/problem+json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(contentType === undefined ? {} : { 'content-type': contentType }),
    },
    ...(init.raw !== undefined
      ? { body: init.raw.text }
      : init.body === undefined
        ? {}
        : { body: JSON.stringify(init.body) }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const problem = (body ?? {}) as { type?: string; title?: string; detail?: string };
    const message = problem.detail ?? problem.title ?? `${response.status} ${response.statusText}`;
    if ((response.status === 401 || response.status === 403) && init.key === undefined) {
      forgetKey(`The hub refused the key (${response.status}): ${message}`);
    }
    throw new ApiError(response.status, message, problem);
  }
  return body as T;
}

/** A query string of the defined, non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
