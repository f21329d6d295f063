// Preloaded into a benchmarked child (`node --import`): writes the process's own resource usage
// (CPU time since start, peak RSS) to BENCH_CPU_OUT when it exits, by returning or by process.exit().
import { writeFileSync } from "node:fs";
import process from "node:process";

const out = process.env.BENCH_CPU_OUT;
if (out) process.on("exit", () => writeFileSync(out, JSON.stringify(process.resourceUsage())));
