/**
 * `/mapping-preview`: `bin/manifold map diff` in the console. A new configuration (YAML) is posted to
 * `POST /v1/inbound-requests/preview`; the hub maps its kept webhook requests again with the new routes and
 * answers, per request, whether the events are the same, differ (each JSON pointer, before → after), now
 * fail, are now accepted or still fail. Nothing is deployed.
 */
import { type FormEvent, useState } from 'react';
import { ApiError, api } from '../api.js';
import { Badge, Empty, ErrorBox, PageHeader, When } from '../components.js';
import type { MappingChange, MappingPreview, MappingPreviewResult } from '../types.js';

const TONE: Record<MappingPreviewResult['verdict'], 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = {
  same: 'ok',
  differs: 'warn',
  'now fails': 'bad',
  'now accepted': 'info',
  'still fails': 'muted',
};

interface ConfigIssue {
  line: number;
  column: number;
  path: string;
  message: string;
}

const show = (value: unknown) => (value === undefined ? '—' : JSON.stringify(value));

function ChangeLine({ change }: { change: MappingChange }) {
  return (
    <li>
      <code>{change.path || '/'}</code> {change.op}:{' '}
      {change.op === 'added' ? show(change.after) : show(change.before)}
      {change.op === 'changed' ? <> → {show(change.after)}</> : null}
    </li>
  );
}

export function MappingPreviewPage() {
  const [config, setConfig] = useState('');
  const [system, setSystem] = useState('');
  const [route, setRoute] = useState('');
  const [running, setRunning] = useState(false);
  const [failure, setFailure] = useState<Error>();
  const [report, setReport] = useState<MappingPreview>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(undefined);
    setRunning(true);
    try {
      const answer = await api<MappingPreview>('/v1/inbound-requests/preview', {
        method: 'POST',
        body: {
          config,
          ...(system.trim() ? { system: system.trim() } : {}),
          ...(route.trim() ? { route: route.trim() } : {}),
        },
      });
      setReport(answer);
    } catch (reason) {
      setReport(undefined);
      setFailure(reason as Error);
    } finally {
      setRunning(false);
    }
  };

  const issues =
    failure instanceof ApiError
      ? (failure.problem as { issues?: ConfigIssue[] } | undefined)?.issues
      : undefined;
  return (
    <section data-testid="mapping-preview-page">
      <PageHeader title="Mapping preview" />
      <p className="muted">
        Paste a new configuration: the hub maps the webhook requests it kept again with its{' '}
        <code>inbound</code> routes and compares the events with those each request produced. Nothing is
        deployed. The same as <code>bin/manifold map diff</code>.
      </p>
      <form className="card form-grid" onSubmit={submit} data-testid="preview-form">
        <label className="wide">
          Configuration (YAML)
          <textarea
            required
            rows={16}
            spellCheck={false}
            value={config}
            onChange={(e) => setConfig(e.target.value)}
            data-testid="preview-config"
          />
        </label>
        <label>
          System (empty: every system with inbound routes)
          <input value={system} onChange={(e) => setSystem(e.target.value)} data-testid="preview-system" />
        </label>
        <label>
          Route (empty: all)
          <input value={route} onChange={(e) => setRoute(e.target.value)} data-testid="preview-route" />
        </label>
        <div className="wide">
          <button
            type="submit"
            className="primary"
            disabled={running || config.trim() === ''}
            data-testid="preview-run"
          >
            {running ? 'Running…' : 'Run'}
          </button>
        </div>
      </form>
      {issues && issues.length > 0 ? (
        <div className="error" role="alert" data-testid="preview-issues">
          The configuration has {issues.length} problem(s):
          <ul>
            {issues.map((issue) => (
              <li key={`${issue.line}:${issue.column}:${issue.path}`}>
                line {issue.line}, column {issue.column}
                {issue.path ? <> ({issue.path})</> : null}: {issue.message}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <ErrorBox error={failure} />
      )}
      {report ? <Report report={report} /> : null}
    </section>
  );
}

function Report({ report }: { report: MappingPreview }) {
  const { totals } = report;
  return (
    <div className="card" data-testid="preview-report">
      <p data-testid="preview-totals">
        {totals.requests} requests: {totals.same} same, {totals.differs} differs, {totals['now fails']} now
        fail, {totals['now accepted']} now accepted, {totals['still fails']} still fail
        {report.truncated ? ' (only the oldest; more were kept)' : ''}
      </p>
      {report.results.length === 0 ? (
        <Empty>No kept requests match.</Empty>
      ) : (
        <table className="compact" data-testid="preview-results">
          <thead>
            <tr>
              <th>Received</th>
              <th>Request</th>
              <th>Was</th>
              <th>Verdict</th>
              <th>Changes or error</th>
            </tr>
          </thead>
          <tbody>
            {report.results.map((r) => (
              <tr key={r.id} data-testid="preview-row">
                <td>
                  <When at={r.receivedAt} />
                </td>
                <td>
                  {r.system}/{r.route}
                  <div className="small muted">{r.id}</div>
                </td>
                <td>
                  {r.outcome}
                  {r.exceptionId !== undefined ? (
                    <div className="small muted">exception {r.exceptionId}</div>
                  ) : null}
                </td>
                <td data-testid="preview-verdict">
                  <Badge tone={TONE[r.verdict]}>{r.verdict}</Badge>
                </td>
                <td className="detail">
                  {r.changes ? (
                    <ul>
                      {r.changes.map((c) => (
                        <ChangeLine key={`${c.op}${c.path}`} change={c} />
                      ))}
                    </ul>
                  ) : null}
                  {r.error ? (
                    <span>
                      <code>{r.error.key}</code>
                      {r.error.pointer !== undefined ? (
                        <>
                          {' '}
                          at <code>{r.error.pointer || '/'}</code>
                        </>
                      ) : null}
                      : {r.error.message}
                    </span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
