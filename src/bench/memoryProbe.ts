/**
 * Peak extra memory of the log-prob paths, each measured in a fresh child
 * process: inputs are allocated, the resident size is read, the path runs, and
 * the kernel's peak-RSS counter (VmHWM) says how much it added. A fresh
 * process keeps garbage from earlier benchmarks out of the figure.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../engine/loadAddon.js";

/** fused: logprobs; fusedBackward: logprobsBackward (its dHidden/dWeight outputs excluded); naive: full logits. */
export type LogprobPath = "fused" | "fusedBackward" | "naive";

const script = (kernelsUrl: string, naiveUrl: string, n: number, d: number, v: number, which: LogprobPath) => `
import fs from "node:fs";
import { kernels } from ${JSON.stringify(kernelsUrl)};
import { naiveLogprobs } from ${JSON.stringify(naiveUrl)};
const read = (f) => Number(new RegExp(f + ":\\\\s+(\\\\d+) kB").exec(fs.readFileSync("/proc/self/status", "utf8"))[1]) / 1024;
const hidden = new Float32Array(${n * d}).map((_, i) => Math.sin(i) * 0.1);
const weight = new Float32Array(${v * d}).map((_, i) => Math.cos(i) * 0.1);
const targets = Int32Array.from({ length: ${n} }, (_, i) => (i * 7919) % ${v});
const { lse } = await kernels.logprobs({ hidden, weight, targets });  // loads the addon; lse feeds backward
const dLogp = new Float32Array(${n}).fill(0.01);
fs.writeFileSync("/proc/self/clear_refs", "5");
const before = read("VmRSS");
${which === "fused" ? "await kernels.logprobs({ hidden, weight, targets });" : which === "naive" ? "await naiveLogprobs({ hidden, weight, targets });" : "await kernels.logprobsBackward({ hidden, weight, targets, lse, dLogp });"}
const outputs = ${which === "fusedBackward" ? ((n * d + v * d) * 4) / 2 ** 20 : 0};
console.log(JSON.stringify({ extraMiB: read("VmHWM") - before - outputs }));
`;

/** MiB the path adds at its peak, or null where /proc is not available. */
export function logprobPeakExtraMiB(which: LogprobPath, n: number, d: number, v: number): number | null {
    const dist = path.join(packageRoot, "dist");
    const kernelsUrl = pathToFileURL(path.join(dist, "engine", "kernels.js")).href;
    const naiveUrl = pathToFileURL(path.join(dist, "bench", "naiveKernels.js")).href;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script(kernelsUrl, naiveUrl, n, d, v, which)], {
        encoding: "utf8",
        env: { ...process.env, R1_POISON_OUTPUTS: "0" },
        timeout: 600_000,
    });
    if (child.status !== 0) return null;
    try {
        return (JSON.parse(child.stdout.trim().split("\n").pop() ?? "") as { extraMiB: number }).extraMiB;
    } catch {
        return null;
    }
}
