import { describe, expect, it } from "vitest";
import { ancestors, criticalPath, descendants, findCycle, waves } from "../../src/plan/dag.js";

const n = (id: string, ...depends_on: string[]) => ({ id, depends_on });
const dag = [n("a"), n("b"), n("c", "a"), n("d", "b", "c"), n("e")];

describe("dag", () => {
  it("finds no cycle in a DAG and names one when there is", () => {
    expect(findCycle(dag)).toBeUndefined();
    expect(findCycle([n("x", "z"), n("y", "x"), n("z", "y")])).toEqual(["x", "z", "y", "x"]);
  });

  it("lists ancestors and descendants", () => {
    expect([...ancestors(dag, "d")].sort()).toEqual(["a", "b", "c"]);
    expect([...descendants(dag, "a")].sort()).toEqual(["c", "d"]);
  });

  it("computes the weighted critical path", () => {
    const ms: Record<string, number> = { a: 100, b: 500, c: 100, d: 50, e: 300 };
    expect(criticalPath(dag, (id) => ms[id] ?? 0)).toBe(550);
  });

  it("groups steps into waves by depth", () => {
    expect(waves(dag).map((w) => w.map((x) => x.id))).toEqual([["a", "b", "e"], ["c"], ["d"]]);
  });
});
