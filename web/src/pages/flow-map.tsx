/**
 * The flow map: the hub in the middle, every configured system around it, and one arrow per subscription
 * from the hub to its target, coloured by the subscription's health and labelled with its name and backlog.
 * Several subscriptions to one target bend apart so each stays readable.
 */
import type { Overview } from '../types.js';

const WIDTH = 880;
const HEIGHT = 520;
const CENTER = { x: WIDTH / 2, y: HEIGHT / 2 };
const NODE = { width: 156, height: 40 };
const HUB = { width: 150, height: 56 };

interface Point {
  x: number;
  y: number;
}

/** Where the segment from the centre of a w×h box towards `to` leaves the box. */
function boxEdge(center: Point, to: Point, width: number, height: number): Point {
  const dx = to.x - center.x;
  const dy = to.y - center.y;
  if (dx === 0 && dy === 0) return center;
  const scale = Math.min(Math.abs(width / 2 / (dx || 1e-9)), Math.abs(height / 2 / (dy || 1e-9)));
  return { x: center.x + dx * scale, y: center.y + dy * scale };
}

export function FlowMap({ overview }: { overview: Overview }) {
  const systems = overview.systems;
  const positions = new Map<string, Point>();
  systems.forEach((system, index) => {
    const angle = (index / Math.max(systems.length, 1)) * 2 * Math.PI - Math.PI / 2;
    positions.set(system.name, {
      x: CENTER.x + Math.cos(angle) * (WIDTH / 2 - NODE.width / 2 - 16),
      y: CENTER.y + Math.sin(angle) * (HEIGHT / 2 - NODE.height / 2 - 14),
    });
  });
  const perTarget = new Map<string, number>();
  const edges = overview.subscriptions.map((subscription) => {
    const index = perTarget.get(subscription.target) ?? 0;
    perTarget.set(subscription.target, index + 1);
    return { subscription, index };
  });

  return (
    <svg
      className="flow-map"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-labelledby="flow-map-title"
      data-testid="flow-map"
    >
      <title id="flow-map-title">Flow map: the hub and the subscriptions it delivers to each system</title>
      <defs>
        {(['ok', 'degraded', 'failing'] as const).map((health) => (
          <marker
            key={health}
            id={`arrow-${health}`}
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerUnits="userSpaceOnUse"
            markerWidth="12"
            markerHeight="12"
            orient="auto-start-reverse"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" className={`arrow-${health}`} />
          </marker>
        ))}
      </defs>
      {edges.map(({ subscription, index }) => {
        const target = positions.get(subscription.target);
        if (!target) return null;
        const count = perTarget.get(subscription.target) ?? 1;
        const start = boxEdge(CENTER, target, HUB.width, HUB.height);
        const end = boxEdge(target, CENTER, NODE.width + 8, NODE.height + 8);
        const mid = { x: (start.x + end.x) / 2, y: (start.y + end.y) / 2 };
        const length = Math.hypot(end.x - start.x, end.y - start.y) || 1;
        const normal = { x: -(end.y - start.y) / length, y: (end.x - start.x) / length };
        const bend = (index - (count - 1) / 2) * 46;
        const control = { x: mid.x + normal.x * bend * 2, y: mid.y + normal.y * bend * 2 };
        // Parallel edges of a mostly vertical pair sit side by side: stack their labels as well.
        const stack = Math.abs(normal.x) > Math.abs(normal.y) ? (index - (count - 1) / 2) * 30 : 0;
        const label = { x: mid.x + normal.x * bend, y: mid.y + normal.y * bend + stack };
        return (
          <g
            key={subscription.name}
            className={`edge edge-${subscription.health}`}
            data-testid={`flow-edge-${subscription.name}`}
            data-health={subscription.health}
          >
            <title>
              {`${subscription.name} → ${subscription.target}: ${subscription.health}${
                subscription.reasons.length ? ` (${subscription.reasons.join(', ')})` : ''
              }`}
            </title>
            <path
              d={`M ${start.x} ${start.y} Q ${control.x} ${control.y} ${end.x} ${end.y}`}
              markerEnd={`url(#arrow-${subscription.health})`}
            />
            <text x={label.x} y={label.y - 4} textAnchor="middle" className="edge-label">
              {subscription.name}
            </text>
            <text x={label.x} y={label.y + 10} textAnchor="middle" className="edge-sublabel">
              {`${subscription.backlog} queued · ${subscription.parked} parked`}
            </text>
          </g>
        );
      })}
      <g className="node hub" data-testid="flow-node-hub">
        <rect
          x={CENTER.x - HUB.width / 2}
          y={CENTER.y - HUB.height / 2}
          width={HUB.width}
          height={HUB.height}
          rx="10"
        />
        <text x={CENTER.x} y={CENTER.y - 3} textAnchor="middle" className="node-name">
          Manifold hub
        </text>
        <text x={CENTER.x} y={CENTER.y + 14} textAnchor="middle" className="node-kind">
          {`${overview.hub.store} store`}
        </text>
      </g>
      {systems.map((system) => {
        const at = positions.get(system.name) as Point;
        const circuit = overview.targets.find((t) => t.system === system.name)?.circuit;
        const detail = system.channel ? `channel ${system.channel}` : system.locations.join(', ');
        return (
          <g
            key={system.name}
            className={`node system${circuit === 'open' ? ' circuit-open' : ''}`}
            data-testid={`flow-node-${system.name}`}
          >
            <title>{`${system.name} (${system.kind})${circuit ? ` circuit ${circuit}` : ''}`}</title>
            <rect
              x={at.x - NODE.width / 2}
              y={at.y - NODE.height / 2}
              width={NODE.width}
              height={NODE.height}
              rx="8"
            />
            <text x={at.x} y={at.y - 3} textAnchor="middle" className="node-name">
              {system.name}
            </text>
            <text x={at.x} y={at.y + 12} textAnchor="middle" className="node-kind">
              {detail ? `${system.kind} · ${detail}` : system.kind}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
