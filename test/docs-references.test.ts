/**
 * The documentation stands alone: a reader has the code, `docs/` and the ADRs, nothing else. So no file
 * cites a design document or an issue the repository does not hold, and every link into the project's own
 * docs (a `docs/….md` path in a comment, a relative Markdown link) leads to a file and heading that exist.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const SCANNED = ['src', 'test', 'web', 'bench', 'docs', 'examples', 'bin', 'scripts'];
const TOP_FILES = ['README.md', 'DEVELOPERS.md', 'CONTRIBUTING.md'];
// bench/.volume: the volume benchmark's cached stores (gigabytes, git-ignored).
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', '.volume']);
const BINARY = new Set(['.png', '.jpg', '.jpeg', '.gif', '.ico', '.woff', '.woff2', '.db', '.sqlite']);

// Built from pieces so that this file does not match its own patterns.
const FORBIDDEN: { name: string; pattern: RegExp }[] = [
  { name: 'a design-document section', pattern: new RegExp(['DESIGN', '\\s*§'].join('')) },
  { name: 'the design document', pattern: new RegExp(['DESIGN', '\\.md'].join('')) },
  { name: 'an issue number', pattern: new RegExp(['\\bissues?', '\\s*\\(?#\\s*\\d'].join(''), 'i') },
  { name: 'an issue number', pattern: new RegExp(['\\bissues?', '\\s+\\d'].join(''), 'i') },
  { name: 'an issue number', pattern: new RegExp(['\\(', '#\\d+\\)'].join('')) },
];

function walk(dir: string, into: string[]): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIPPED_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, into);
    else if (!BINARY.has(extname(name).toLowerCase())) into.push(path);
  }
  return into;
}

const FILES = [
  ...SCANNED.filter((dir) => existsSync(join(ROOT, dir))).flatMap((dir) => walk(join(ROOT, dir), [])),
  ...TOP_FILES.map((file) => join(ROOT, file)).filter(existsSync),
];

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

const anchorsByFile = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
  let anchors = anchorsByFile.get(file);
  if (anchors === undefined) {
    anchors = new Set();
    let fenced = false;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.startsWith('```')) fenced = !fenced;
      const heading = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
      if (heading) anchors.add(slug(heading[1] as string));
    }
    anchorsByFile.set(file, anchors);
  }
  return anchors;
}

/** Why `target` (a path with an optional `#anchor`) does not resolve from `base`, or undefined if it does. */
function brokenLink(base: string, target: string): string | undefined {
  const [path = '', anchor] = target.split('#');
  const file = path === '' ? base : resolve(dirname(base), path);
  if (!existsSync(file)) return `no file ${relative(ROOT, file)}`;
  if (anchor === undefined || anchor === '' || extname(file) !== '.md') return undefined;
  return anchorsOf(file).has(anchor) ? undefined : `no heading #${anchor} in ${relative(ROOT, file)}`;
}

describe('docs stand alone', () => {
  it('scans the sources, tests, console, benchmarks and docs', () => {
    const names = FILES.map((file) => relative(ROOT, file));
    expect(names).toContain('README.md');
    expect(names).toContain('docs/architecture.md');
    expect(names).toContain('src/engine/ingest-service.ts');
    expect(names).toContain('web/src/main.tsx');
    expect(names.length).toBeGreaterThan(200);
  });

  it('cites no design document and no issue number', () => {
    const found: string[] = [];
    for (const file of FILES) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          for (const { name, pattern } of FORBIDDEN) {
            if (pattern.test(line))
              found.push(`${relative(ROOT, file)}:${index + 1}: ${name}: ${line.trim()}`);
          }
        });
    }
    expect(found).toEqual([]);
  });

  it('names only docs that exist, with headings that exist, in code and comments', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of FILES) {
      if (extname(file) === '.md') continue;
      for (const match of readFileSync(file, 'utf8').matchAll(/\bdocs\/[\w/.-]+\.md(?:#[\w-]+)?/g)) {
        checked += 1;
        const why = brokenLink(join(ROOT, 'README.md'), match[0]);
        if (why) broken.push(`${relative(ROOT, file)}: ${match[0]}: ${why}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });

  it('has no broken relative link in the Markdown files', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of FILES.filter((f) => extname(f) === '.md')) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1] as string;
        if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
        checked += 1;
        const why = brokenLink(file, target);
        if (why) broken.push(`${relative(ROOT, file)}: ${target}: ${why}`);
      }
    }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(30);
  });
});
