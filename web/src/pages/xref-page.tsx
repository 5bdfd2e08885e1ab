/**
 * `/xref`: the cross-reference tables under `xref:` (settings, entry count, exceptions waiting on each);
 * `/xref/<table>`: one table's entries in key order, searched by key prefix or found by value, edited,
 * added, deleted and bulk-loaded from a CSV or NDJSON file, and the open exceptions waiting on it.
 */
import { type FormEvent, useState } from 'react';
import { api, query } from '../api.js';
import { Badge, Empty, ErrorBox, PageHeader, When } from '../components.js';
import { Link, navigate, useLocation } from '../router.js';
import type { XrefEntryPage, XrefEntryView, XrefTableDetail, XrefTableList } from '../types.js';
import { useApi } from '../use-api.js';

const PAGE_SIZE = 50;
const tablePath = (name: string) => `/v1/xref/${encodeURIComponent(name)}`;

export function XrefTablesPage() {
  const tables = useApi<XrefTableList>('/v1/xref-tables');
  const list = tables.data?.tables ?? [];
  return (
    <section data-testid="xref-page">
      <PageHeader title="Cross-reference tables" />
      <p className="muted">
        Keys of ours and the value each system uses for them, read by <code>$xref</code> in mappings and by
        the EDI item tables. Entries change without a restart.
      </p>
      <ErrorBox error={tables.error} />
      <div className="card">
        {list.length === 0 && !tables.loading ? (
          <Empty>No tables under xref: in the configuration.</Empty>
        ) : (
          <table data-testid="xref-tables">
            <thead>
              <tr>
                <th>Table</th>
                <th>Description</th>
                <th>Missing key</th>
                <th>Entries</th>
                <th>Waiting</th>
              </tr>
            </thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.name} data-testid="xref-table-row">
                  <td>
                    <Link href={`/xref/${encodeURIComponent(t.name)}`}>{t.name}</Link>
                  </td>
                  <td>{t.description ?? <span className="muted">—</span>}</td>
                  <td>
                    {t.onMissing}
                    {t.onMissing === 'default' ? ` (${JSON.stringify(t.default)})` : ''}
                  </td>
                  <td data-testid="xref-entries">{t.entries}</td>
                  <td data-testid="xref-waiting">
                    {t.waiting > 0 ? <Badge tone="bad">{t.waiting}</Badge> : <span className="muted">0</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}

/** A value as typed in the form: JSON when it parses, else the text itself. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function XrefTablePage({ name }: { name: string }) {
  const { search } = useLocation();
  const prefix = search.get('prefix') ?? '';
  const reverse = search.get('reverse') ?? '';
  const after = search.get('after') ?? '';
  const table = useApi<XrefTableDetail>(`/v1/xref-tables/${encodeURIComponent(name)}`);
  const entries = useApi<XrefEntryPage>(
    `${tablePath(name)}${query(reverse ? { reverse } : { prefix, after, limit: PAGE_SIZE })}`,
  );
  const [prefixText, setPrefixText] = useState(prefix);
  const [reverseText, setReverseText] = useState(reverse);
  const [editKey, setEditKey] = useState('');
  const [editValue, setEditValue] = useState('');
  const [failure, setFailure] = useState<Error>();
  const [message, setMessage] = useState<string>();
  const [format, setFormat] = useState<'csv' | 'ndjson'>('csv');
  const [file, setFile] = useState<File>();

  const go = (params: Record<string, string>) =>
    navigate(`/xref/${encodeURIComponent(name)}${query(params)}`);
  const reload = () => {
    table.reload();
    entries.reload();
  };
  const act = async (what: () => Promise<string>) => {
    setFailure(undefined);
    setMessage(undefined);
    try {
      setMessage(await what());
      reload();
    } catch (reason) {
      setFailure(reason as Error);
    }
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      await api(`${tablePath(name)}/${encodeURIComponent(editKey)}`, {
        method: 'PUT',
        body: parseValue(editValue),
      });
      return `Saved ${editKey}.`;
    });
  };
  const remove = (key: string) =>
    act(async () => {
      await api(`${tablePath(name)}/${encodeURIComponent(key)}`, { method: 'DELETE' });
      return `Deleted ${key}.`;
    });
  const upload = (event: FormEvent) => {
    event.preventDefault();
    if (file === undefined) return;
    void act(async () => {
      const text = await file.text();
      const contentType = format === 'csv' ? 'text/csv' : 'application/x-ndjson';
      const answer = await api<{ loaded: number }>(tablePath(name), {
        method: 'POST',
        raw: { contentType, text },
      });
      return `Loaded ${answer.loaded} entries from ${file.name}.`;
    });
  };
  const edit = (entry: XrefEntryView) => {
    setEditKey(entry.key);
    setEditValue(typeof entry.value === 'string' ? entry.value : JSON.stringify(entry.value));
  };

  const shown = table.data;
  const rows = entries.data?.entries ?? [];
  return (
    <section data-testid="xref-table-page">
      <PageHeader title={`Table ${name}`}>
        <Link href="/xref">All tables</Link>
      </PageHeader>
      <ErrorBox error={table.error} />
      {shown ? (
        <p data-testid="xref-summary">
          {shown.description ? `${shown.description} · ` : ''}
          {shown.entries} entries · missing key: {shown.onMissing}
          {shown.reverse ? ` · reverse field: ${shown.reverse}` : ''}
        </p>
      ) : null}
      {shown && shown.waitingExceptions.length > 0 ? (
        <div className="card" data-testid="xref-waiting-list">
          <h2>Waiting on this table ({shown.waitingExceptions.length})</h2>
          <p className="muted">
            Open exceptions naming a key this table lacks. Add the key, then retry them on the exceptions
            page.
          </p>
          <ul>
            {shown.waitingExceptions.map((e) => (
              <li key={e.id} data-testid="xref-waiting-item">
                <Link href={`/exceptions${query({ code: e.code })}`}>#{e.id}</Link>{' '}
                <Badge tone="bad">{e.code}</Badge> key <code>{e.key}</code> ·{' '}
                {e.system ?? e.subscription ?? ''} · <When at={e.createdAt} />
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="card toolbar">
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            go({ prefix: prefixText });
          }}
        >
          <label>
            Key starts with
            <input
              value={prefixText}
              onChange={(e) => setPrefixText(e.target.value)}
              data-testid="xref-prefix"
            />
          </label>
          <button type="submit" data-testid="xref-search">
            Search
          </button>
        </form>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            go({ reverse: reverseText });
          }}
        >
          <label>
            Keys whose value is
            <input
              value={reverseText}
              onChange={(e) => setReverseText(e.target.value)}
              data-testid="xref-reverse"
            />
          </label>
          <button type="submit" data-testid="xref-reverse-search">
            Find
          </button>
        </form>
      </div>
      <form className="card form-grid" onSubmit={save} data-testid="xref-edit-form">
        <label>
          Key
          <input
            required
            value={editKey}
            onChange={(e) => setEditKey(e.target.value)}
            data-testid="xref-key"
          />
        </label>
        <label>
          Value (JSON, or plain text for a string)
          <input
            required
            value={editValue}
            onChange={(e) => setEditValue(e.target.value)}
            data-testid="xref-value"
          />
        </label>
        <div className="wide">
          <button type="submit" className="primary" data-testid="xref-save">
            Save entry
          </button>
        </div>
      </form>
      <form className="card inline-form" onSubmit={upload} data-testid="xref-upload-form">
        <label>
          Load a file (all or nothing)
          <input
            type="file"
            accept=".csv,.ndjson,.jsonl,text/csv,application/x-ndjson"
            onChange={(e) => {
              const chosen = e.target.files?.[0];
              setFile(chosen);
              if (chosen) setFormat(/\.(ndjson|jsonl)$/i.test(chosen.name) ? 'ndjson' : 'csv');
            }}
            data-testid="xref-file"
          />
        </label>
        <select value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'ndjson')}>
          <option value="csv">CSV (key,value…)</option>
          <option value="ndjson">NDJSON ({'{"key","value"}'} per line)</option>
        </select>
        <button type="submit" disabled={file === undefined} data-testid="xref-upload">
          Upload
        </button>
      </form>
      {message ? (
        <p className="notice" role="status" data-testid="xref-message">
          {message}
        </p>
      ) : null}
      <ErrorBox error={failure ?? entries.error} />
      <div className="card">
        {prefix || reverse ? (
          <p className="muted">
            {reverse ? `Keys whose value is “${reverse}”` : `Keys starting with “${prefix}”`} ·{' '}
            <button type="button" className="link-button" onClick={() => go({})}>
              show all
            </button>
          </p>
        ) : null}
        {rows.length === 0 && !entries.loading ? (
          <Empty>No entries.</Empty>
        ) : (
          <table data-testid="xref-entries-table">
            <thead>
              <tr>
                <th>Key</th>
                <th>Value</th>
                <th>Changed</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((entry) => (
                <tr key={entry.key} data-testid="xref-entry">
                  <td data-testid="xref-entry-key">{entry.key}</td>
                  <td data-testid="xref-entry-value">
                    <code>{JSON.stringify(entry.value)}</code>
                  </td>
                  <td className="nowrap">
                    <When at={entry.updatedAt} />
                  </td>
                  <td className="actions">
                    <button type="button" className="link-button" onClick={() => edit(entry)}>
                      Edit
                    </button>{' '}
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => void remove(entry.key)}
                      data-testid="xref-delete"
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {entries.data?.next ? (
          <div className="pager">
            <button
              type="button"
              onClick={() => go({ prefix, after: entries.data?.next ?? '' })}
              data-testid="xref-next"
            >
              Next page
            </button>
          </div>
        ) : null}
        {after ? (
          <button type="button" className="link-button" onClick={() => go({ prefix })}>
            First page
          </button>
        ) : null}
      </div>
    </section>
  );
}
