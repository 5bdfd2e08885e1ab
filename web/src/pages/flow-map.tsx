/**
 * The flow map: the hub in the middle, the systems that send on the left with an arrow each for what
 * they sent over the window (event types and rate), the subscriptions' targets on the right with an
 * arrow per subscription coloured by its health and labelled with its name and backlog, and the systems
 * with no arrow in a row below. The layout is `layoutFlowMap` (flow-layout.ts), computed for the width
 * the map has, with the text measured as the browser will draw it.
 */
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { formatRate, shortType } from '../format.js';
import type { Overview } from '../types.js';
import {
  FONT_PX,
  type LayoutEdge,
  type LayoutSystem,
  layoutFlowMap,
  type Measure,
  type TextStyle,
} from './flow-layout.js';

const WEIGHT: Record<TextStyle, number> = { label: 600, sublabel: 400, name: 700, kind: 400 };
const FALLBACK_WIDTH = 880;

/** Text widths from a canvas in the page's font; a rough estimate where there is no canvas. */
function canvasMeasure(): Measure {
  const context = typeof document === 'undefined' ? null : document.createElement('canvas').getContext('2d');
  const family =
    typeof document === 'undefined' ? 'system-ui' : getComputedStyle(document.documentElement).fontFamily;
  const cache = new Map<string, number>();
  return (text, style) => {
    const key = `${style}\u0000${text}`;
    const known = cache.get(key);
    if (known !== undefined) return known;
    let width = text.length * FONT_PX[style] * 0.62;
    if (context) {
      context.font = `${WEIGHT[style]} ${FONT_PX[style]}px ${family}`;
      width = context.measureText(text).width;
    }
    // A pixel of slack per side: the SVG's text may round differently from the canvas.
    width = Math.ceil(width) + 2;
    cache.set(key, width);
    return width;
  };
}

/** The systems and arrows of the overview, as the layout takes them. */
export function flowMapInput(overview: Overview): { systems: LayoutSystem[]; edges: LayoutEdge[] } {
  const systems = overview.systems.map((s) => {
    const detail = s.channel ? `channel ${s.channel}` : s.locations.join(', ');
    return { name: s.name, detail: detail ? `${s.kind} · ${detail}` : s.kind };
  });
  const edges: LayoutEdge[] = overview.subscriptions.map((s) => ({
    id: `out:${s.name}`,
    system: s.target,
    direction: 'out',
    label: s.name,
    sublabel: `${s.backlog} queued · ${s.parked} parked`,
  }));
  const bySystem = new Map<string, Overview['inbound']>();
  for (const flow of overview.inbound)
    bySystem.set(flow.system, [...(bySystem.get(flow.system) ?? []), flow]);
  for (const [system, flows] of bySystem) {
    const sorted = [...flows].sort((a, b) => b.count - a.count || (a.type < b.type ? -1 : 1));
    const count = flows.reduce((sum, f) => sum + f.count, 0);
    const windowSeconds = flows[0]?.windowSeconds ?? 60;
    edges.push({
      id: `in:${system}`,
      system,
      direction: 'in',
      label: sorted.map((f) => shortType(f.type)).join(', '),
      sublabel: `${formatRate(count / windowSeconds)}/s · ${count} in ${windowSeconds} s`,
    });
  }
  return { systems, edges };
}

export function FlowMap({ overview }: { overview: Overview }) {
  const holder = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(FALLBACK_WIDTH);
  useLayoutEffect(() => {
    const element = holder.current;
    if (!element) return;
    const read = () => setWidth(Math.floor(element.clientWidth) || FALLBACK_WIDTH);
    read();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(read);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const measure = useMemo(canvasMeasure, []);
  const { systems, edges } = flowMapInput(overview);
  const layout = layoutFlowMap(systems, edges, width, measure);
  const subscriptions = new Map(overview.subscriptions.map((s) => [`out:${s.name}`, s]));
  const inbound = (system: string) => overview.inbound.filter((f) => f.system === system);

  return (
    <div ref={holder} className="flow-map-holder">
      <svg
        className="flow-map"
        width={layout.width}
        height={layout.height}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        role="img"
        aria-labelledby="flow-map-title"
        data-testid="flow-map"
      >
        <title id="flow-map-title">
          Flow map: what each system sends the hub, and the subscriptions the hub delivers to each system
        </title>
        <defs>
          {(['ok', 'degraded', 'failing', 'inbound'] as const).map((kind) => (
            <marker
              key={kind}
              id={`arrow-${kind}`}
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerUnits="userSpaceOnUse"
              markerWidth="10"
              markerHeight="10"
              orient="auto-start-reverse"
            >
              <path d="M 0 0 L 10 5 L 0 10 z" className={`arrow-${kind}`} />
            </marker>
          ))}
        </defs>
        {layout.edges.map((edge) => {
          const subscription = subscriptions.get(edge.id);
          const health = subscription?.health;
          const title = subscription
            ? `${subscription.name} → ${subscription.target}: ${subscription.health}${
                subscription.reasons.length ? ` (${subscription.reasons.join(', ')})` : ''
              } · ${subscription.backlog} queued · ${subscription.parked} parked`
            : `${edge.system} → hub over the last ${inbound(edge.system)[0]?.windowSeconds ?? 60} s: ${inbound(
                edge.system,
              )
                .map((f) => `${shortType(f.type)} × ${f.count}`)
                .join(', ')}`;
          return (
            <g
              key={edge.id}
              className={health ? `edge edge-${health}` : 'edge edge-inbound'}
              data-testid={subscription ? `flow-edge-${subscription.name}` : `flow-inbound-${edge.system}`}
              {...(health ? { 'data-health': health } : {})}
            >
              <title>{title}</title>
              <path d={edge.path} markerEnd={`url(#arrow-${health ?? 'inbound'})`} />
              <text x={edge.label.x} y={edge.label.y} className="edge-label" data-testid="flow-label">
                {edge.label.text}
              </text>
              <text
                x={edge.sublabel.x}
                y={edge.sublabel.y}
                className="edge-sublabel"
                data-testid="flow-label"
              >
                {edge.sublabel.text}
              </text>
            </g>
          );
        })}
        <g className="node hub" data-testid="flow-node-hub">
          <rect
            x={layout.hub.x}
            y={layout.hub.y}
            width={layout.hub.width}
            height={layout.hub.height}
            rx="10"
          />
          <text
            x={layout.hub.x + layout.hub.width / 2}
            y={layout.hub.y + layout.hub.height / 2 - 3}
            textAnchor="middle"
            className="node-name"
          >
            Manifold hub
          </text>
          <text
            x={layout.hub.x + layout.hub.width / 2}
            y={layout.hub.y + layout.hub.height / 2 + 13}
            textAnchor="middle"
            className="node-kind"
          >
            {`${overview.hub.store} store`}
          </text>
        </g>
        {layout.idleCaption ? (
          <text x={layout.idleCaption.x} y={layout.idleCaption.y} className="idle-caption">
            No flow in the window:
          </text>
        ) : null}
        {layout.nodes.map((node) => {
          const system = overview.systems.find((s) => s.name === node.name);
          const circuit = overview.targets.find((t) => t.system === node.name)?.circuit;
          return (
            <g
              key={node.name}
              className={`node system node-${node.place}${circuit === 'open' ? ' circuit-open' : ''}`}
              data-testid={`flow-node-${node.name}`}
              data-place={node.place}
            >
              <title>{`${node.name} (${system?.kind ?? ''})${circuit ? ` circuit ${circuit}` : ''}`}</title>
              <rect x={node.box.x} y={node.box.y} width={node.box.width} height={node.box.height} rx="8" />
              <text x={node.label.x} y={node.label.y} className="node-name">
                {node.label.text}
              </text>
              <text x={node.detail.x} y={node.detail.y} className="node-kind">
                {node.detail.text}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
