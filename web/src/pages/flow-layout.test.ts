/** The flow map's layout: columns, no overlapping labels, no label on an arrow or a node, idle systems apart. */
import { describe, expect, it } from 'vitest';
import {
  type Box,
  type FlowLayout,
  FONT_PX,
  fitText,
  type LayoutEdge,
  type LayoutSystem,
  layoutFlowMap,
  type Measure,
  overlaps,
} from './flow-layout.js';

/** A wide sans-serif estimate: every character 0.62 em. */
const measure: Measure = (text, style) => Math.ceil(text.length * FONT_PX[style] * 0.62);

/** The example configuration's systems and subscriptions (examples/manifold.yaml) and some inbound traffic. */
const systems: LayoutSystem[] = [
  ['erp', 'erp'],
  ['wms-east', 'wms · DC-EAST'],
  ['wms-west', 'wms · DC-WEST'],
  ['tms', 'tms'],
  ['shop', 'commerce · channel web'],
  ['portal', 'commerce · channel b2b'],
  ['acme', 'edi · channel edi'],
  ['fastfreight', 'carrier'],
  ['oncall', 'alerts'],
].map(([name, detail]) => ({ name: name as string, detail: detail as string }));

const out = (name: string, target: string): LayoutEdge => ({
  id: `out:${name}`,
  system: target,
  direction: 'out',
  label: name,
  sublabel: '0 queued · 0 parked',
});
const inbound = (system: string, types: string): LayoutEdge => ({
  id: `in:${system}`,
  system,
  direction: 'in',
  label: types,
  sublabel: '0.25/s · 15 in 60 s',
});

const edges: LayoutEdge[] = [
  out('erp-orders', 'erp'),
  out('erp-inventory', 'erp'),
  out('wms-east-releases', 'wms-east'),
  out('wms-west-releases', 'wms-west'),
  out('tms-shipments', 'tms'),
  out('shop-availability', 'shop'),
  out('shop-orders', 'shop'),
  out('portal-orders', 'portal'),
  out('portal-availability', 'portal'),
  out('acme-edi', 'acme'),
  out('acme-inventory', 'acme'),
  out('oncall-alerts', 'oncall'),
  inbound('shop', 'order.created'),
  inbound('wms-east', 'order.shipped, inventory.adjusted'),
  inbound('erp', 'inventory.received'),
];

function labels(layout: FlowLayout): Box[] {
  return layout.edges.flatMap((e) => [e.label.box, e.sublabel.box]).filter((b) => b.width > 0);
}

/** Points along every arrow's path (its lines and curves sampled). */
function pathPoints(path: string): { x: number; y: number }[] {
  const numbers = path.match(/-?\d+(\.\d+)?/g)?.map(Number) ?? [];
  const [m0, m1, c1x, c1y, c2x, c2y, ax, ay, lx, ly, d1x, d1y, d2x, d2y, bx, by] = numbers as number[];
  const cubic = (p0: number[], p1: number[], p2: number[], p3: number[]) =>
    Array.from({ length: 21 }, (_, i) => {
      const t = i / 20;
      const u = 1 - t;
      const at = (k: 0 | 1) =>
        u * u * u * (p0[k] as number) +
        3 * u * u * t * (p1[k] as number) +
        3 * u * t * t * (p2[k] as number) +
        t * t * t * (p3[k] as number);
      return { x: at(0), y: at(1) };
    });
  const line = Array.from({ length: 41 }, (_, i) => ({
    x: (ax as number) + (((lx as number) - (ax as number)) * i) / 40,
    y: (ay as number) + (((ly as number) - (ay as number)) * i) / 40,
  }));
  return [
    ...cubic(
      [m0 as number, m1 as number],
      [c1x as number, c1y as number],
      [c2x as number, c2y as number],
      [ax as number, ay as number],
    ),
    ...line,
    ...cubic(
      [lx as number, ly as number],
      [d1x as number, d1y as number],
      [d2x as number, d2y as number],
      [bx as number, by as number],
    ),
  ];
}

const inside = (p: { x: number; y: number }, b: Box, margin = 1) =>
  p.x > b.x - margin && p.x < b.x + b.width + margin && p.y > b.y - margin && p.y < b.y + b.height + margin;

describe('layoutFlowMap', () => {
  for (const width of [710, 880, 1240]) {
    it(`at ${width} px: no label overlaps another label, an arrow or a node; nothing leaves the map`, () => {
      const layout = layoutFlowMap(systems, edges, width, measure);
      expect(layout.width).toBe(width);
      const boxes = labels(layout);
      expect(boxes).toHaveLength(2 * edges.length);
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          expect(overlaps(boxes[i] as Box, boxes[j] as Box), `labels ${i} and ${j}`).toBe(false);
        }
      }
      const nodeBoxes = [...layout.nodes.map((n) => n.box), layout.hub];
      for (const box of boxes) {
        for (const node of nodeBoxes) expect(overlaps(box, node)).toBe(false);
        for (const edge of layout.edges) {
          expect(
            pathPoints(edge.path).some((p) => inside(p, box)),
            `${edge.id} through a label`,
          ).toBe(false);
        }
      }
      // Every arrow touches its own system's box (on the side facing the hub).
      for (const edge of layout.edges) {
        const box = layout.nodes.find((n) => n.name === edge.system)?.box as Box;
        const points = pathPoints(edge.path);
        const ends = [points[0], points[points.length - 1]] as { x: number; y: number }[];
        expect(
          ends.some((p) => inside(p, box, 0.5)),
          `${edge.id} reaches ${edge.system}`,
        ).toBe(true);
      }
      for (let i = 0; i < nodeBoxes.length; i++) {
        for (let j = i + 1; j < nodeBoxes.length; j++) {
          expect(overlaps(nodeBoxes[i] as Box, nodeBoxes[j] as Box)).toBe(false);
        }
      }
      for (const box of [...boxes, ...nodeBoxes]) {
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(width);
        expect(box.y).toBeGreaterThanOrEqual(0);
        expect(box.y + box.height).toBeLessThanOrEqual(layout.height);
      }
    });
  }

  it('puts pure senders left, targets right and systems without an arrow in a row below everything', () => {
    const layout = layoutFlowMap(systems, edges, 880, measure);
    const place = Object.fromEntries(layout.nodes.map((n) => [n.name, n.place]));
    expect(place.fastfreight).toBe('idle');
    expect(place.tms).toBe('right');
    const others = layout.nodes.filter((n) => n.place !== 'idle');
    const idle = layout.nodes.find((n) => n.name === 'fastfreight') as FlowLayout['nodes'][number];
    const lowest = Math.max(...others.map((n) => n.box.y + n.box.height), layout.hub.y + layout.hub.height);
    expect(idle.box.y).toBeGreaterThan(lowest);
    for (const edge of layout.edges) {
      expect(pathPoints(edge.path).every((p) => p.y < idle.box.y)).toBe(true);
    }
    // A system that only sends goes left.
    const senders = layoutFlowMap(
      systems,
      [out('tms-shipments', 'tms'), inbound('shop', 'order.created')],
      880,
      measure,
    );
    expect(senders.nodes.find((n) => n.name === 'shop')?.place).toBe('left');
    expect(senders.nodes.find((n) => n.name === 'tms')?.place).toBe('right');
  });

  it('draws a subscription from the hub to its target and a sender’s arrow to the hub', () => {
    const layout = layoutFlowMap(
      systems,
      [out('tms-shipments', 'tms'), inbound('shop', 'order.created')],
      880,
      measure,
    );
    const start = (path: string) =>
      path
        .match(/^M (\S+) (\S+)/)
        ?.slice(1)
        .map(Number) as number[];
    const end = (path: string) =>
      path
        .match(/(\S+) (\S+)$/)
        ?.slice(1)
        .map(Number) as number[];
    const toTms = layout.edges.find((e) => e.id === 'out:tms-shipments')?.path as string;
    const fromShop = layout.edges.find((e) => e.id === 'in:shop')?.path as string;
    const hubRight = layout.hub.x + layout.hub.width;
    expect(start(toTms)[0]).toBeCloseTo(hubRight, 0);
    expect(end(toTms)[0]).toBeCloseTo(layout.nodes.find((n) => n.name === 'tms')?.box.x as number, 0);
    expect(end(fromShop)[0]).toBeCloseTo(layout.hub.x, 0);
  });

  it('is deterministic, never narrower than its minimum, and cuts a label too long for its gap', () => {
    expect(layoutFlowMap(systems, edges, 880, measure)).toEqual(layoutFlowMap(systems, edges, 880, measure));
    expect(layoutFlowMap(systems, edges, 300, measure).width).toBe(560);
    const long = layoutFlowMap(
      systems,
      [out('a-subscription-with-a-very-long-name-indeed-much-longer-than-any-gap-of-the-map', 'tms')],
      560,
      measure,
    );
    expect(long.edges[0]?.label.text.endsWith('…')).toBe(true);
    expect(fitText('abcdef', 'label', 1000, measure)).toBe('abcdef');
    expect(measure(fitText('abcdefghijkl', 'label', 40, measure), 'label')).toBeLessThanOrEqual(40);
  });
});
