/**
 * Code-judging throughput: programs judged per second through the sandbox,
 * for a trivial program (one test) and for a realistic stdin/stdout problem
 * (longest increasing subsequence, 10 tests up to n = 20 000), in Python and
 * JavaScript. Beside each figure: the same programs run unsandboxed (plain
 * spawn with rlimits), which is what the isolation costs.
 *
 *     npm run build && node dist/bench/judgeBench.js
 *
 * or from TypeScript: `await runJudgeBench()` (e.g. through vite-node).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { CodeJudge } from "../rewards/code/judge.js";
import type { CodeTestCase } from "../rewards/code/codeTests.js";
import type { CodeLanguage } from "../rewards/code/extractProgram.js";
import { Sandbox } from "../sandbox/sandbox.js";

export interface JudgeBenchOptions {
    /** Programs judged per case. Default 40 (trivial) and 12 (realistic). */
    programs?: { trivial?: number; realistic?: number };
    /** Sandboxes at once. Default: the number of cores. */
    concurrency?: number;
    /** Also time unsandboxed runs as the baseline. Default true. */
    baseline?: boolean;
    /** Where judge.json and judge.md go; null to skip writing. Default `bench/results`. */
    outDir?: string | null;
    /** Print the table. Default true. */
    print?: boolean;
}

export interface JudgeBenchRow {
    case: string;
    language: CodeLanguage;
    testsPerProgram: number;
    programs: number;
    seconds: number;
    programsPerSecond: number;
    testsPerSecond: number;
    msPerTest: number;
    baselineProgramsPerSecond: number | null;
    /** Sandboxed time / unsandboxed time. */
    overhead: number | null;
    allAccepted: boolean;
}

export interface JudgeBenchResult {
    machine: { cores: number; cpu: string; node: string; kernel: string };
    concurrency: number;
    rows: JudgeBenchRow[];
}

/** Deterministic LCG so every run judges the same inputs. */
function lcg(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return s;
    };
}

function lisLength(a: number[]): number {
    const tails: number[] = [];
    for (const x of a) {
        let lo = 0;
        let hi = tails.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (tails[mid]! < x) lo = mid + 1;
            else hi = mid;
        }
        tails[lo] = x;
    }
    return tails.length;
}

/** Ten LIS tests, n from 10 to 20 000, answers computed here. */
export function lisTests(): CodeTestCase[] {
    const next = lcg(12345);
    const sizes = [10, 50, 100, 500, 1000, 2000, 5000, 10_000, 15_000, 20_000];
    return sizes.map((n) => {
        const a = Array.from({ length: n }, () => next() % 1_000_000);
        return { kind: "stdio", input: `${n}\n${a.join(" ")}\n`, output: `${lisLength(a)}\n` };
    });
}

const PROGRAMS: Record<CodeLanguage, { trivial: string; realistic: string }> = {
    python: {
        trivial: "print(int(input()) * 2)\n",
        realistic: [
            "import sys",
            "from bisect import bisect_left",
            "def main():",
            "    data = sys.stdin.buffer.read().split()",
            "    n = int(data[0])",
            "    tails = []",
            "    for tok in data[1:n + 1]:",
            "        x = int(tok)",
            "        i = bisect_left(tails, x)",
            "        if i == len(tails):",
            "            tails.append(x)",
            "        else:",
            "            tails[i] = x",
            "    print(len(tails))",
            "main()",
        ].join("\n"),
    },
    javascript: {
        trivial: "const n = Number(require('fs').readFileSync(0, 'utf8').trim());\nconsole.log(n * 2);\n",
        realistic: [
            "const data = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);",
            "const n = data[0];",
            "const tails = [];",
            "for (let k = 1; k <= n; k++) {",
            "    const x = data[k];",
            "    let lo = 0, hi = tails.length;",
            "    while (lo < hi) { const mid = (lo + hi) >> 1; if (tails[mid] < x) lo = mid + 1; else hi = mid; }",
            "    tails[lo] = x;",
            "}",
            "console.log(tails.length);",
        ].join("\n"),
    },
};

async function timeJudging(judge: CodeJudge, program: string, language: CodeLanguage, tests: CodeTestCase[], count: number) {
    // one warm-up (interpreter probe, skeleton, page cache)
    await judge.judge(program, language, tests);
    const t0 = process.hrtime.bigint();
    const results = await judge.judgeMany(Array.from({ length: count }, () => ({ program, language, tests })));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { seconds, allAccepted: results.every((r) => r.verdict === "accepted") };
}

function formatTable(rows: JudgeBenchRow[]): string {
    const header = ["case", "language", "tests", "programs", "programs/s", "ms/test", "unsandboxed programs/s", "overhead", "ok"];
    const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
    for (const r of rows) {
        lines.push(`| ${[
            r.case, r.language, r.testsPerProgram, r.programs, r.programsPerSecond.toFixed(1), r.msPerTest.toFixed(1),
            r.baselineProgramsPerSecond === null ? "" : r.baselineProgramsPerSecond.toFixed(1),
            r.overhead === null ? "" : `${r.overhead.toFixed(2)}×`, r.allAccepted ? "yes" : "NO",
        ].join(" | ")} |`);
    }
    return lines.join("\n");
}

/** Runs the benchmark; prints a table and returns (and saves) the figures. */
export async function runJudgeBench(options: JudgeBenchOptions = {}): Promise<JudgeBenchResult> {
    const concurrency = options.concurrency ?? (typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
    const counts = { trivial: options.programs?.trivial ?? 40, realistic: options.programs?.realistic ?? 12 };
    const sandboxed = new CodeJudge({ concurrency });
    const bare = options.baseline === false ? null : new CodeJudge({
        sandbox: new Sandbox({
            concurrency,
            allowUnsandboxed: true,
            detect: () => ({ available: false, reason: "benchmark baseline", prlimit: "/usr/bin/prlimit" }),
        }),
    });
    const cases = [
        { name: "trivial (1 test)", kind: "trivial" as const, tests: [{ kind: "stdio", input: "21\n", output: "42\n" }] as CodeTestCase[] },
        { name: "LIS stdin/stdout (10 tests)", kind: "realistic" as const, tests: lisTests() },
    ];
    const rows: JudgeBenchRow[] = [];
    for (const language of ["python", "javascript"] as const) {
        for (const c of cases) {
            const program = PROGRAMS[language][c.kind];
            const count = counts[c.kind];
            const ours = await timeJudging(sandboxed, program, language, c.tests, count);
            const base = bare ? await timeJudging(bare, program, language, c.tests, count) : null;
            rows.push({
                case: c.name,
                language,
                testsPerProgram: c.tests.length,
                programs: count,
                seconds: ours.seconds,
                programsPerSecond: count / ours.seconds,
                testsPerSecond: (count * c.tests.length) / ours.seconds,
                msPerTest: (1000 * ours.seconds * concurrency) / (count * c.tests.length),
                baselineProgramsPerSecond: base ? count / base.seconds : null,
                overhead: base ? ours.seconds / base.seconds : null,
                allAccepted: ours.allAccepted && (base?.allAccepted ?? true),
            });
        }
    }
    const result: JudgeBenchResult = {
        machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? "unknown", node: process.version, kernel: os.release() },
        concurrency,
        rows,
    };
    const table = formatTable(rows);
    if (options.print !== false) {
        console.log(`code judging, ${concurrency} sandboxes at once on ${result.machine.cores} cores (${result.machine.cpu})\n`);
        console.log(table);
        console.log("\nms/test: wall time of one test in one slot (set-up, interpreter start, run, compare).");
    }
    const outDir = options.outDir === undefined ? path.join("bench", "results") : options.outDir;
    if (outDir !== null) {
        fs.mkdirSync(outDir, { recursive: true });
        fs.writeFileSync(path.join(outDir, "judge.json"), `${JSON.stringify(result, null, 2)}\n`);
        fs.writeFileSync(path.join(outDir, "judge.md"), `${table}\n`);
    }
    return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
    await runJudgeBench();
}
