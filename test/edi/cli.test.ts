/** `bin/manifold edi parse|validate FILE` as users run it (the built CLI). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURES, VALID_SAMPLES } from './support.js';

const BIN = fileURLToPath(new URL('../../bin/manifold', import.meta.url));

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, args, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

const file = (name: string) => fileURLToPath(new URL(name, FIXTURES));

// Each run starts the whole CLI (about a second on the CI machine).
describe('bin/manifold edi', { timeout: 20_000 }, () => {
  it('validate exits 0 for every sound sample', { timeout: 60_000 }, async () => {
    const results = await Promise.all(VALID_SAMPLES.map((name) => run('edi', 'validate', file(name))));
    results.forEach((result, index) => {
      expect(result.code, `${VALID_SAMPLES[index]}: ${result.stdout}${result.stderr}`).toBe(0);
      expect(result.stdout).toMatch(
        /: ok \(1 interchange\(s\), 1 group\(s\), 1 transaction set\(s\), \d+ segment\(s\)\)\n$/,
      );
    });
  });

  it('validate exits 1 listing each error with its place and code', async () => {
    const path = file('bad-control-numbers-edinengine.edi');
    const result = await run('edi', 'validate', path);
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')).toEqual([
      `${path}:7:1 segment 7 SE (byte 265): SE02 "0002" does not match ST02 "0001" [AK502 3 (Transaction set control number in header and trailer do not match)]`,
      `${path}:8:1 segment 8 GE (byte 275): GE02 "3315" does not match GS06 "3314" [AK905 4 (Group control number in the functional group header and trailer do not agree)]`,
      `${path}:9:1 segment 9 IEA (byte 285): IEA02 "000003439" does not match ISA13 "000003438" [TA105 001 (The interchange control number in the header and trailer do not match)]`,
      `${path}: 3 error(s) (1 interchange(s), 1 group(s), 1 transaction set(s), 9 segment(s))`,
      '',
    ]);
    const json = await run('edi', 'validate', '--json', file('bad-counts-edinengine.edi'));
    expect(json.code).toBe(1);
    const { ok, issues } = JSON.parse(json.stdout) as { ok: boolean; issues: Array<Record<string, unknown>> };
    expect(ok).toBe(false);
    expect(issues.map((issue) => [issue.list, issue.code, issue.position])).toEqual([
      ['AK905', '5', { segment: 8, line: 8, column: 1, byte: 275 }],
      ['TA105', '021', { segment: 9, line: 9, column: 1, byte: 285 }],
    ]);
  });

  it('parse prints the structure as JSON, positions in bytes of the file', async () => {
    const result = await run('edi', 'parse', file('214-ellipsis-staedi.edi'));
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout);
    expect(parsed.issues).toEqual([]);
    const [interchange] = parsed.interchanges;
    expect(interchange.delimiters).toEqual({ element: '*', component: '>', segment: '…' });
    expect(interchange.groups[0].header.position).toEqual({ segment: 2, line: 2, column: 1, byte: 109 });
    const set = interchange.groups[0].sets[0];
    expect(set.header).toEqual({
      id: 'ST',
      elements: ['214', '757760001'],
      position: { segment: 3, line: 3, column: 1, byte: 159 },
    });
    expect(set.segments[0]).toMatchObject({ id: 'B10', elements: ['0542550913', '7727019', 'XXXX'] });
    expect(set.trailer.elements).toEqual(['20', '757760001']);
    expect(interchange.trailer.elements).toEqual(['1', '000075776']);
  });

  it('refuses a file that is not X12', async () => {
    const result = await run('edi', 'validate', fileURLToPath(new URL('SOURCES.txt', FIXTURES)));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('[TA105 022 (Invalid control structure)]');
    expect(result.stdout).toContain('no interchange found');
  });
});
