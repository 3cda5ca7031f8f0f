/** Shared pieces of the sandbox tests: small limits, runners, host-side process checks. */
import crypto from "node:crypto";
import fs from "node:fs";
import { detectIsolation } from "../../../src/sandbox/isolation.js";
import { resolveNodeRuntime, resolvePythonRuntime } from "../../../src/sandbox/runtimes.js";
import { Sandbox, type SandboxResult, type SandboxRunSpec } from "../../../src/sandbox/sandbox.js";

export const isolation = detectIsolation();
/** Root on Linux with util-linux: the machine CI runs on, where the suite must not skip. */
export const shouldHaveSandbox = process.platform === "linux" && process.getuid?.() === 0;

export const MiB = 1024 * 1024;
/** Small limits keep the suite quick: 1 s CPU, 2 s wall, 256 MiB. */
export const TEST_LIMITS = { cpuSeconds: 1, wallSeconds: 2, memoryBytes: 256 * MiB, outputBytes: 64 * 1024 };

let shared: Sandbox | null = null;
export function testSandbox(): Sandbox {
    shared ??= new Sandbox({ limits: TEST_LIMITS, concurrency: 2 });
    return shared;
}

export function marker(): string {
    return `r1mark${crypto.randomBytes(6).toString("hex")}`;
}

export async function runPython(source: string, extra: Partial<SandboxRunSpec> = {}): Promise<SandboxResult> {
    const runtime = await resolvePythonRuntime();
    return testSandbox().run({ runtime, args: (src) => [`${src}/main.py`], files: { "main.py": source }, ...extra });
}

export async function runNode(source: string, extra: Partial<SandboxRunSpec> = {}): Promise<SandboxResult> {
    const runtime = await resolveNodeRuntime();
    return testSandbox().run({
        runtime,
        args: (src) => ["--max-old-space-size=192", `${src}/main.js`],
        files: { "main.js": source },
        ...extra,
    });
}

/** The JSON object a probe program printed last. */
export function report<T = Record<string, unknown>>(r: SandboxResult): T {
    const line = r.stdout.trim().split("\n").at(-1) ?? "";
    try {
        return JSON.parse(line) as T;
    } catch {
        throw new Error(`no JSON report: status ${r.status} exit ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
}

/** Host PIDs whose real uid is `uid`. */
export function processesOfUid(uid: number): number[] {
    const out: number[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const status = fs.readFileSync(`/proc/${entry}/status`, "utf8");
            const m = /^Uid:\s+(\d+)/m.exec(status);
            if (m && Number(m[1]) === uid) out.push(Number(entry));
        } catch {
            // exited while we looked
        }
    }
    return out;
}

/** Host PIDs whose command line contains `text`. */
export function processesWith(text: string): number[] {
    const out: number[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
        try {
            if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) out.push(Number(entry));
        } catch {
            // exited while we looked
        }
    }
    return out;
}
