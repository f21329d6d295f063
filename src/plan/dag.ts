/** Graph algorithms over plan steps (only `id` and `depends_on` matter). Pure, no LangGraph. */

export interface DagNode {
  id: string;
  depends_on: readonly string[];
}

/** The first dependency cycle found, as a closed path (`["a", "b", "a"]`), or undefined. */
export function findCycle(nodes: readonly DagNode[]): string[] | undefined {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];

  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const dep of byId.get(id)?.depends_on ?? []) {
      if (!byId.has(dep)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };

  for (const node of nodes) {
    const cycle = visit(node.id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every step `id` depends on, directly or through other steps (cycles tolerated). */
export function ancestors(nodes: readonly DagNode[], id: string): Set<string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const pending = [...(byId.get(id)?.depends_on ?? [])];
  while (pending.length > 0) {
    const next = pending.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...(byId.get(next)?.depends_on ?? []));
  }
  return seen;
}

/** Every step that depends on `id`, directly or transitively. */
export function descendants(nodes: readonly DagNode[], id: string): Set<string> {
  return new Set(nodes.filter((n) => n.id !== id && ancestors(nodes, n.id).has(id)).map((n) => n.id));
}

/**
 * Length of the longest dependency chain, weighting each step by its duration: the makespan
 * no scheduler can beat with unlimited parallelism. Dependencies outside `nodes` count as done.
 */
export function criticalPath(nodes: readonly DagNode[], duration: (id: string) => number): number {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const finish = new Map<string, number>();
  const finishOf = (id: string): number => {
    const known = finish.get(id);
    if (known !== undefined) return known;
    const deps = (byId.get(id)?.depends_on ?? []).filter((d) => byId.has(d));
    const value = Math.max(0, ...deps.map(finishOf)) + duration(id);
    finish.set(id, value);
    return value;
  };
  return Math.max(0, ...nodes.map((n) => finishOf(n.id)));
}

/** Groups steps into waves: wave k holds the steps whose longest dependency chain has k links. */
export function waves<T extends DagNode>(nodes: readonly T[]): T[][] {
  const depth = new Map<string, number>();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const deps = (byId.get(id)?.depends_on ?? []).filter((d) => byId.has(d));
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf));
    depth.set(id, value);
    return value;
  };
  const result: T[][] = [];
  for (const node of nodes) (result[depthOf(node.id)] ??= []).push(node);
  return result.filter((w) => w !== undefined);
}

/** Column of each step in its version's graph: 0 without dependencies, else 1 + the deepest one. */
export function dependencyDepths(steps: readonly DagNode[]): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle (never in a validated plan): stop here
    visiting.add(id);
    const deps = (byId.get(id)?.depends_on ?? []).filter((d) => byId.has(d));
    const d = deps.length ? 1 + Math.max(...deps.map(visit)) : 0;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const s of steps) visit(s.id);
  return depth;
}
