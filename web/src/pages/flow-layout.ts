/**
 * The flow map's layout, a pure function of what it shows and how wide it may be: the hub in the middle,
 * systems that only send on the left, systems the hub delivers to on the right (a system that does both
 * goes to the side with fewer arrows so far), and systems with no arrow in a row of their own below.
 *
 * Every arrow has a lane: a horizontal stretch in the gap between its column and the hub, with its label
 * written just above it. Lanes of one gap are stacked one label-height apart, in the order of their
 * systems and of the systems' arrows, so labels never overlap each other, no arrow passes through a
 * label (arrows only bend outside the stretch where labels are), and no arrow crosses another (each
 * system's lanes sit together, and the arrows meet the hub in lane order). A label too long for its
 * gap is cut with an ellipsis: the whole text is in the arrow's tooltip.
 */

/** The width of `text` in pixels, written in the given style. */
export type Measure = (text: string, style: TextStyle) => number;
export type TextStyle = 'label' | 'sublabel' | 'name' | 'kind';

/** Font sizes of the styles (px), as in styles.css; a test's measure may use them. */
export const FONT_PX: Record<TextStyle, number> = { label: 11, sublabel: 10, name: 13, kind: 10.5 };

export interface LayoutSystem {
  name: string;
  detail: string;
}

export interface LayoutEdge {
  id: string;
  system: string;
  /** `out`: hub → system (a subscription); `in`: system → hub (what it sent). */
  direction: 'in' | 'out';
  label: string;
  sublabel: string;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedText {
  text: string;
  x: number;
  y: number;
  /** The box the text takes (its anchor is the box's left edge). */
  box: Box;
}

export interface PlacedNode {
  name: string;
  box: Box;
  label: PlacedText;
  detail: PlacedText;
  /** Which column: sources, targets, or the row of systems without an arrow. */
  place: 'left' | 'right' | 'idle';
}

export interface PlacedEdge {
  id: string;
  system: string;
  direction: 'in' | 'out';
  /** SVG path, drawn from the arrow's tail to its head. */
  path: string;
  label: PlacedText;
  sublabel: PlacedText;
}

export interface FlowLayout {
  width: number;
  height: number;
  hub: Box;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  /** The caption over the row of systems without an arrow (absent when there are none). */
  idleCaption?: { x: number; y: number };
}

export const MIN_WIDTH = 560;
const PAD = 8;
const NODE_H = 40;
const NODE_GAP = 14;
const NODE_MIN_W = 104;
const NODE_MAX_W = 168;
const HUB_W = 100;
const HUB_MIN_H = 56;
const LABEL_LINE = 13;
/** From one lane to the next: two label lines and room for the arrow's stroke. */
const LANE = 2 * LABEL_LINE + 10;
/** Horizontal room at each end of a gap for the arrows to bend from the lane to a node or the hub. */
const BEND = 20;
const IDLE_CAPTION = 20;

/** `text`, cut with an ellipsis to fit `max` pixels. */
export function fitText(text: string, style: TextStyle, max: number, measure: Measure): string {
  if (measure(text, style) <= max) return text;
  let n = text.length;
  while (n > 0 && measure(`${text.slice(0, n)}…`, style) > max) n -= 1;
  return n === 0 ? '' : `${text.slice(0, n)}…`;
}

function placed(text: string, style: TextStyle, x: number, baseline: number, measure: Measure): PlacedText {
  const size = FONT_PX[style];
  return {
    text,
    x,
    y: baseline,
    box: { x, y: baseline - size, width: measure(text, style), height: size + 3 },
  };
}

/** Lays the flow map out in `width` pixels (at least MIN_WIDTH). Deterministic: same input, same layout. */
export function layoutFlowMap(
  systems: readonly LayoutSystem[],
  edges: readonly LayoutEdge[],
  requestedWidth: number,
  measure: Measure,
): FlowLayout {
  const width = Math.max(MIN_WIDTH, Math.floor(requestedWidth));
  const known = new Set(systems.map((s) => s.name));
  const ofSystem = new Map<string, LayoutEdge[]>();
  for (const edge of edges) {
    if (!known.has(edge.system)) continue;
    ofSystem.set(edge.system, [...(ofSystem.get(edge.system) ?? []), edge]);
  }
  // Columns: senders left, receivers right, both to the lighter side (ties right); arrows out first.
  const left: LayoutSystem[] = [];
  const right: LayoutSystem[] = [];
  const idle: LayoutSystem[] = [];
  const lanes = { left: 0, right: 0 };
  for (const system of systems) {
    const own = ofSystem.get(system.name) ?? [];
    const outs = own.some((e) => e.direction === 'out');
    const ins = own.some((e) => e.direction === 'in');
    let side: 'left' | 'right' | 'idle';
    if (!outs && !ins) side = 'idle';
    else if (!outs) side = 'left';
    else if (!ins) side = 'right';
    else side = lanes.left < lanes.right ? 'left' : 'right';
    if (side === 'idle') idle.push(system);
    else {
      (side === 'left' ? left : right).push(system);
      lanes[side] += own.length;
    }
  }
  const sorted = (system: string) =>
    [...(ofSystem.get(system) ?? [])].sort(
      (a, b) => (a.direction === b.direction ? 0 : a.direction === 'out' ? -1 : 1) || cmp(a.id, b.id),
    );

  const nodeWidth = (s: LayoutSystem) =>
    Math.min(
      NODE_MAX_W,
      Math.max(NODE_MIN_W, measure(s.name, 'name') + 2 * PAD, measure(s.detail, 'kind') + 2 * PAD),
    );
  const columnWidth = (column: LayoutSystem[]) => Math.max(NODE_MIN_W, ...column.map(nodeWidth));
  const leftW = left.length > 0 ? columnWidth(left) : 0;
  const rightW = right.length > 0 ? columnWidth(right) : 0;
  // The hub sits in the middle of the space between the columns, whose two gaps share what remains.
  const inner = width - 2 * PAD - leftW - rightW - HUB_W;
  const gap = inner / (left.length > 0 && right.length > 0 ? 2 : left.length + right.length > 0 ? 1 : 2);
  const leftGap = left.length > 0 ? gap : 0;
  const hubX = PAD + leftW + leftGap;
  const rightX = hubX + HUB_W + (right.length > 0 ? gap : 0);
  const labelMax = Math.max(24, gap - 2 * BEND);

  // Each system gets a slot tall enough for its node and for its lanes; columns stack their slots.
  const slotHeight = (s: LayoutSystem) => Math.max(NODE_H + NODE_GAP, sorted(s.name).length * LANE);
  const columnHeight = (column: LayoutSystem[]) => column.reduce((sum, s) => sum + slotHeight(s), 0);
  const laneCount = Math.max(lanes.left, lanes.right, 1);
  const bodyHeight = Math.max(columnHeight(left), columnHeight(right), HUB_MIN_H + NODE_GAP);
  const top = PAD;
  const hubHeight = Math.max(HUB_MIN_H, Math.min(bodyHeight - 2 * NODE_GAP, laneCount * 18 + 16));
  const hub: Box = { x: hubX, y: top + (bodyHeight - hubHeight) / 2, width: HUB_W, height: hubHeight };

  const nodes: PlacedNode[] = [];
  const placedEdges: PlacedEdge[] = [];
  for (const [side, column, x0, w] of [
    ['left', left, PAD, leftW],
    ['right', right, rightX, rightW],
  ] as const) {
    if (column.length === 0) continue;
    let y = top + (bodyHeight - columnHeight(column)) / 2;
    const columnLanes: { edge: LayoutEdge; laneY: number; nodeY: number }[] = [];
    for (const system of column) {
      const slot = slotHeight(system);
      const own = sorted(system.name);
      // Aligned on the side facing the hub, so every arrow meets its node's edge.
      const nw = nodeWidth(system);
      const box = {
        x: side === 'left' ? x0 + w - nw : x0,
        y: y + (slot - NODE_H) / 2,
        width: nw,
        height: NODE_H,
      };
      nodes.push(node(system, box, side, measure));
      // Lanes centred in the slot; each leaves the node at its own height on the node's side.
      const lanesTop = y + (slot - own.length * LANE) / 2;
      own.forEach((edge, i) => {
        const laneY = lanesTop + i * LANE + LANE - 6;
        const nodeY = box.y + (box.height * (i + 1)) / (own.length + 1);
        columnLanes.push({ edge, laneY, nodeY });
      });
      y += slot;
    }
    // The hub's side: ports in lane order, spread over its height.
    const nodeSide = side === 'left' ? x0 + w : x0;
    const hubSide = side === 'left' ? hub.x : hub.x + hub.width;
    const near = side === 'left' ? nodeSide + BEND : hubSide + BEND; // the lane's end on the left of the gap
    const far = side === 'left' ? hubSide - BEND : nodeSide - BEND;
    columnLanes.forEach(({ edge, laneY, nodeY }, i) => {
      const portY = hub.y + (hub.height * (i + 1)) / (columnLanes.length + 1);
      const [leftX, leftY, rightX_, rightY] =
        side === 'left' ? [nodeSide, nodeY, hubSide, portY] : [hubSide, portY, nodeSide, nodeY];
      const c = BEND / 2;
      const forward = `M ${r(leftX)} ${r(leftY)} C ${r(leftX + c)} ${r(leftY)} ${r(near - c)} ${r(laneY)} ${r(near)} ${r(laneY)} L ${r(far)} ${r(laneY)} C ${r(far + c)} ${r(laneY)} ${r(rightX_ - c)} ${r(rightY)} ${r(rightX_)} ${r(rightY)}`;
      const backward = `M ${r(rightX_)} ${r(rightY)} C ${r(rightX_ - c)} ${r(rightY)} ${r(far + c)} ${r(laneY)} ${r(far)} ${r(laneY)} L ${r(near)} ${r(laneY)} C ${r(near - c)} ${r(laneY)} ${r(leftX + c)} ${r(leftY)} ${r(leftX)} ${r(leftY)}`;
      // Tail to head: hub → system for a subscription, system → hub for what it sent.
      const towardsRight = (edge.direction === 'in') === (side === 'left');
      const label = fitText(edge.label, 'label', labelMax, measure);
      const sublabel = fitText(edge.sublabel, 'sublabel', labelMax, measure);
      const lx = near + (far - near - Math.max(measure(label, 'label'), measure(sublabel, 'sublabel'))) / 2;
      placedEdges.push({
        id: edge.id,
        system: edge.system,
        direction: edge.direction,
        path: towardsRight ? forward : backward,
        label: placed(label, 'label', lx, laneY - 5 - LABEL_LINE, measure),
        sublabel: placed(sublabel, 'sublabel', lx, laneY - 5, measure),
      });
    });
  }

  // Systems without an arrow: a row (wrapping) under the columns, with a caption.
  let height = top + bodyHeight;
  let idleCaption: FlowLayout['idleCaption'];
  if (idle.length > 0) {
    idleCaption = { x: PAD, y: height + IDLE_CAPTION - 4 };
    let x = PAD;
    let y = height + IDLE_CAPTION + 4;
    for (const system of idle) {
      const w = nodeWidth(system);
      if (x + w > width - PAD && x > PAD) {
        x = PAD;
        y += NODE_H + NODE_GAP;
      }
      nodes.push(node(system, { x, y, width: w, height: NODE_H }, 'idle', measure));
      x += w + NODE_GAP;
    }
    height = y + NODE_H;
  }
  return {
    width,
    height: Math.ceil(height + PAD),
    hub,
    nodes,
    edges: placedEdges,
    ...(idleCaption ? { idleCaption } : {}),
  };
}

function node(system: LayoutSystem, box: Box, place: PlacedNode['place'], measure: Measure): PlacedNode {
  const max = box.width - 2 * PAD;
  const name = fitText(system.name, 'name', max, measure);
  const detail = fitText(system.detail, 'kind', max, measure);
  const cx = (text: string, style: TextStyle) => box.x + (box.width - measure(text, style)) / 2;
  return {
    name: system.name,
    box,
    label: placed(name, 'name', cx(name, 'name'), box.y + 17, measure),
    detail: placed(detail, 'kind', cx(detail, 'kind'), box.y + 32, measure),
    place,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function r(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Whether two boxes overlap (touching edges do not). */
export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
