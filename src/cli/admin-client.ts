/** A small client of the hub's admin API for the shell commands (`replay`, `exceptions`). */

export interface AdminTarget {
  /** Base URL of a running hub, e.g. `http://127.0.0.1:8080`. */
  hub: string;
  key: string;
}

/** Thrown when the hub answers with a problem document; the message is the problem's detail. */
export class HubRequestError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { type?: string; detail?: string; errors?: { pointer: string; detail: string }[] },
  ) {
    const fields = (problem.errors ?? []).map((e) => `\n  ${e.pointer}: ${e.detail}`).join('');
    super(`hub answered ${status}: ${problem.detail ?? problem.type ?? 'error'}${fields}`);
  }
}

/** Calls one admin route and returns the parsed JSON answer. */
export async function callHub<T>(
  target: AdminTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(new URL(path, target.hub), {
    method,
    headers: {
      authorization: `Bearer ${target.key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) throw new HubRequestError(response.status, (parsed ?? {}) as HubRequestError['problem']);
  return parsed as T;
}

/** The admin key from `--key` or `MANIFOLD_ADMIN_KEY`. */
export function adminKey(option: string | undefined): string {
  const key = option ?? process.env.MANIFOLD_ADMIN_KEY;
  if (!key) throw new Error('give the admin key with --key or the MANIFOLD_ADMIN_KEY environment variable');
  return key;
}
