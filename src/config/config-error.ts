/**
 * Configuration errors. Every problem found in `manifold.yaml` becomes one issue with the file, line,
 * column and key path of the offending node, so an operator can fix all of them in one pass.
 */

/** One problem in a configuration file. */
export interface ConfigIssue {
  file: string;
  /** 1-based line of the offending node. */
  line: number;
  /** 1-based column of the offending node. */
  column: number;
  /** Key path of the offending node, e.g. `subscriptions[2].target`; empty for the whole document. */
  path: string;
  /** The offending value, when there is one and it is not a secret. */
  value?: unknown;
  /** What is wrong and what would be valid. */
  message: string;
  /** `warning`: the configuration loads anyway; absent: an error, the configuration is refused. */
  severity?: 'warning';
}

/** Formats an issue as `file:line:column path: message`, the form operators and editors understand. */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}${issue.severity === 'warning' ? ' warning:' : ''}`;
  return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

/** The configuration is invalid; `issues` lists every problem found, in file order. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly issues: ConfigIssue[];
  /** Warnings found beside the errors; `check-config` prints them too. */
  readonly warnings: ConfigIssue[];

  constructor(issues: ConfigIssue[], options?: { cause?: unknown; warnings?: ConfigIssue[] }) {
    super(issues.map(formatIssue).join('\n'), options);
    this.name = 'ConfigError';
    this.issues = issues;
    this.warnings = options?.warnings ?? [];
  }
}
