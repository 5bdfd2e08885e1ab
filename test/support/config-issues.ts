/** What config tests share: the issues a configuration text is refused with, and where a text stands. */
import { expect } from 'vitest';
import { ConfigError, type ConfigIssue, compileConfig } from '../../src/config/load-config.js';
import { connectorKeys } from '../../src/connectors/registry.js';

/** The issues `compileConfig` throws for `text` (fails the test when it compiles). */
export function configIssues(text: string, env: NodeJS.ProcessEnv = {}): ConfigIssue[] {
  try {
    compileConfig(text, 'manifold.yaml', env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

/** The 1-based line of the first `needle` in `text`. */
export function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

/**
 * The keys of a subscription as an unknown-key message lists them: its own, then every registered
 * connector kind's (registry order, so adding a kind changes only the registry), then its policies.
 */
export function subscriptionKeys(): string {
  const own = ['name', 'target', 'types', 'filter'];
  const policies = ['retry', 'rateLimit', 'onFailure', 'coalesce', 'health'];
  return [...own, ...connectorKeys(), ...policies].join(', ');
}
