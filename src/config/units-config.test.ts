import { describe, expect, it } from 'vitest';
import { configIssues as issuesOf } from '../../test/support/config-issues.js';
import { compileConfig } from './load-config.js';

const BASE = `server: { adminKey: admin-key-0000000001 }
systems:
  erp: { kind: erp, key: erp-key-000000000001 }
  acme:
    kind: edi
    key: acme-key-00000000001
    x12: { id: ACME, qualifier: ZZ, units: { CS: CA } }
locations: { DC-EAST: { channels: [web] } }
channels: { web: { safetyStock: 0 } }
`;

describe('units of measure in the config', () => {
  it('compiles the unit table and a partner code map', () => {
    const config = compileConfig(
      `${BASE}units:\n  '*': { CA: 12, PL: 480 }\n  WIDGET: { CA: 6 }\n`,
      'manifold.yaml',
      {},
    );
    expect(config.units).toEqual({ '*': { CA: 12, PL: 480 }, WIDGET: { CA: 6 } });
    expect(config.systems.get('acme')?.x12?.units).toEqual({ CS: 'CA' });
  });

  it('has an empty table without units:', () => {
    expect(compileConfig(BASE.replace(', units: { CS: CA }', ''), 'manifold.yaml', {}).units).toEqual({});
  });

  it('reports bad factors and codes with file and line', () => {
    const text = `${BASE.replace(', units: { CS: CA }', '')}units:
  '*': { CA: 0, PL: 2.5 }
  WIDGET: { EA: 1, case: 6, BX: -3 }
  GADGET: 12
`;
    const issues = issuesOf(text);
    const lines = text.split('\n');
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    const at = (path: string) => issues.find((i) => i.path === path);
    expect(at("units['*'].CA")).toMatchObject({ file: 'manifold.yaml', line: lineOf("'*'") });
    expect(at("units['*'].CA")?.message).toContain('expected an integer ≥ 1');
    expect(at("units['*'].PL")?.message).toContain('expected an integer ≥ 1');
    expect(at('units.WIDGET.EA')).toMatchObject({ line: lineOf('WIDGET') });
    expect(at('units.WIDGET.EA')?.message).toContain('EA is the base unit');
    expect(at('units.WIDGET.case')?.message).toContain('not a unit code');
    expect(at('units.WIDGET.BX')?.message).toContain('expected an integer ≥ 1');
    expect(at('units.GADGET')).toMatchObject({ line: lineOf('GADGET') });
    expect(issues).toHaveLength(6);
  });

  it('reports a partner code mapped to a unit the table does not have, at its line', () => {
    const text = `${BASE}units:\n  '*': { PL: 480 }\n`;
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'systems.acme.x12.units.CS', line: 7 });
    expect(issues[0]?.message).toContain("unit 'CA' is not in the unit table");
  });

  it('reports a partner code map to a bad unit code', () => {
    const text = BASE.replace('units: { CS: CA }', 'units: { CS: case }');
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'systems.acme.x12.units.CS', line: 7 });
    expect(issues[0]?.message).toContain("invalid unit code 'case'");
  });
});
