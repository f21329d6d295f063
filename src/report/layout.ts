import { dependencyDepths } from "../plan/dag.js";

export interface DagInput {
  id: string;
  dependsOn: string[];
}

export interface DagNode {
  id: string;
  layer: number;
  x: number;
  y: number;
}

export interface DagLayout {
  nodes: DagNode[];
  edges: { from: string; to: string; path: string }[];
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
}

export interface DagOptions {
  nodeWidth?: number;
  nodeHeight?: number;
  /** A layer with more steps than this is split into several columns. */
  maxPerColumn?: number;
}

const GAP_X = 56;
const GAP_Y = 12;
const MARGIN = 16;

/**
 * A layered layout of a plan's dependency graph: one column per dependency depth (wide layers
 * wrap into several columns), steps ordered inside a column by the mean position of their
 * dependencies (one barycentre sweep, which removes most crossings in plan-shaped graphs), edges
 * as curves from a step's right side to its dependent's left side.
 */
export function layoutDag(steps: DagInput[], options: DagOptions = {}): DagLayout {
  const w = options.nodeWidth ?? 176;
  const h = options.nodeHeight ?? 42;
  const maxPerColumn = Math.max(1, options.maxPerColumn ?? 18);
  const ids = new Set(steps.map((s) => s.id));
  const depth = dependencyDepths(steps.map((s) => ({ id: s.id, depends_on: s.dependsOn })));
  const layers: DagInput[][] = [];
  for (const s of steps) (layers[depth.get(s.id) ?? 0] ??= []).push(s);

  // Order within each layer by the barycentre of the dependencies' positions.
  const position = new Map<string, number>();
  for (const layer of layers) {
    if (!layer) continue;
    const bary = (s: DagInput) => {
      const ps = s.dependsOn.filter((d) => ids.has(d)).map((d) => position.get(d) ?? 0);
      return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : Number.NaN;
    };
    const keyed = layer.map((s, i) => ({ s, i, b: bary(s) }));
    keyed.sort((a, b) => (Number.isNaN(a.b) || Number.isNaN(b.b) ? a.i - b.i : a.b - b.b || a.i - b.i));
    layer.splice(0, layer.length, ...keyed.map((k) => k.s));
    layer.forEach((s, i) => position.set(s.id, layer.length > 1 ? i / (layer.length - 1) : 0.5));
  }

  // Columns: a layer of n steps takes ceil(n / maxPerColumn) columns.
  const columns: { layer: number; steps: DagInput[] }[] = [];
  layers.forEach((layer, index) => {
    if (!layer) return;
    for (let i = 0; i < layer.length; i += maxPerColumn)
      columns.push({ layer: index, steps: layer.slice(i, i + maxPerColumn) });
  });
  const tallest = Math.max(1, ...columns.map((c) => c.steps.length));
  const height = MARGIN * 2 + tallest * h + (tallest - 1) * GAP_Y;
  const nodes: DagNode[] = [];
  const byId = new Map<string, DagNode>();
  columns.forEach((column, c) => {
    const used = column.steps.length * h + (column.steps.length - 1) * GAP_Y;
    const top = MARGIN + (height - MARGIN * 2 - used) / 2;
    column.steps.forEach((s, r) => {
      const node = { id: s.id, layer: column.layer, x: MARGIN + c * (w + GAP_X), y: top + r * (h + GAP_Y) };
      nodes.push(node);
      byId.set(s.id, node);
    });
  });
  const width = MARGIN * 2 + columns.length * w + Math.max(0, columns.length - 1) * GAP_X;

  const edges: DagLayout["edges"] = [];
  for (const s of steps) {
    const to = byId.get(s.id) as DagNode;
    for (const dep of s.dependsOn) {
      const from = byId.get(dep);
      if (!from) continue;
      const x1 = from.x + w;
      const y1 = from.y + h / 2;
      const x2 = to.x;
      const y2 = to.y + h / 2;
      const bend = Math.max(24, (x2 - x1) / 2);
      edges.push({
        from: dep,
        to: s.id,
        path: `M${r(x1)},${r(y1)} C${r(x1 + bend)},${r(y1)} ${r(x2 - bend)},${r(y2)} ${r(x2)},${r(y2)}`,
      });
    }
  }
  return { nodes, edges, width, height, nodeWidth: w, nodeHeight: h };
}

const r = (n: number) => Math.round(n * 10) / 10;
