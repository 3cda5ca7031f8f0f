/**
 * Runs untrusted programs in a throw-away Linux sandbox.
 *
 * Each run gets fresh mount, PID, network, IPC, UTS and cgroup namespaces
 * (`unshare`), a root filesystem of read-only system folders plus a small
 * tmpfs (see rootfs.ts), a uid of its own with no capabilities and
 * no_new_privs (`setpriv`), nested in a user namespace that may create no
 * further ones, a new empty session keyring, and rlimits on CPU, memory,
 * file size, processes and descriptors (`prlimit`). Wall time and output
 * size are enforced here:
 * on either, the namespace's PID 1 is killed, which makes the kernel kill
 * everything left in the namespace before `unshare` exits, so nothing
 * outlives a run. The new network namespace has only a downed loopback: no
 * address, 127.0.0.1 included, is reachable.
 *
 * Where namespaces are unavailable (not root, tools missing, a container that
 * forbids unshare) `run` throws a SandboxUnavailableError, unless the caller
 * opted into `allowUnsandboxed`, which runs the program directly with only
 * rlimits and a killed process group.
 */
import { type ChildProcess, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import {
    detectIsolation,
    type IsolationReport,
    type SandboxFeatures,
    type SandboxTools,
    SandboxUnavailableError,
    unavailableMessage,
} from "./isolation.js";
import { DEFAULT_SANDBOX_LIMITS, resolveLimits, type SandboxLimits } from "./limits.js";
import { ConcurrencyPool } from "./pool.js";
import { ensureSkeleton, mountTable, sandboxBaseDir, setupScript } from "./rootfs.js";
import type { SandboxRuntime } from "./runtimes.js";

export interface SandboxOptions {
    /**
     * Run programs without isolation when no sandbox can be built here. Unsafe:
     * the program can read and write your files and reach the network; only
     * rlimits and a killed process group remain. Default false (throw instead).
     */
    allowUnsandboxed?: boolean;
    /** Runs at once; the rest wait. Default: the number of cores. */
    concurrency?: number;
    /** Limits for every run, each field defaulting to DEFAULT_SANDBOX_LIMITS. */
    limits?: Partial<SandboxLimits>;
    /** Replaces the static isolation check (tests and benchmarks use it to force a mode). */
    detect?: () => IsolationReport;
}

export interface SandboxRunSpec {
    /** The interpreter (or any binary) and the host folders it needs. */
    runtime: Pick<SandboxRuntime, "executable" | "bindPaths" | "addressSpaceOverheadBytes" | "stackBytes">;
    /** Arguments after the executable, given the folder where `files` are (`/src` in the sandbox). */
    args: (srcDir: string) => string[];
    /** Files placed read-only in `srcDir` (flat names only). */
    files?: Record<string, string | Uint8Array>;
    /** Bytes on the program's stdin (a regular file, as judges give it). Default: empty. */
    stdin?: string | Uint8Array;
    /** Overrides of the sandbox's limits for this run. */
    limits?: Partial<SandboxLimits>;
    /** Extra environment variables (the environment is otherwise minimal, never the host's). */
    env?: Record<string, string>;
    /** Give the program a third output pipe on fd 3 (returned as `result`). Default false. */
    resultChannel?: boolean;
    /** Kills the run when aborted. */
    signal?: AbortSignal;
}

/**
 * How a run ended: `exited` (exitCode set), `signaled` (killed by a signal
 * from inside: SIGXCPU/SIGKILL at the CPU limit, SIGXFSZ at the file limit,
 * SIGSEGV...), `timeout` (wall limit), `output_limit` (a stream passed
 * outputBytes), `aborted` (the caller's AbortSignal).
 */
export type SandboxStatus = "exited" | "signaled" | "timeout" | "output_limit" | "aborted";

export interface SandboxResult {
    status: SandboxStatus;
    exitCode: number | null;
    signal: string | null;
    stdout: string;
    stderr: string;
    /** What the program wrote on fd 3 when `resultChannel` was set. */
    result: string;
    /** The stream that passed outputBytes, when status is `output_limit`. */
    overflowed: "stdout" | "stderr" | "result" | null;
    wallMs: number;
    /** False when the run was unsandboxed (allowUnsandboxed). */
    isolated: boolean;
    /** The uid the program ran as (null when unsandboxed). */
    uid: number | null;
}

/** The sandbox itself failed (not the program): set-up error, spawn failure. */
export class SandboxError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SandboxError";
    }
}

type Backend =
    | { mode: "namespaces"; tools: SandboxTools; features: SandboxFeatures }
    | { mode: "none"; prlimit: string | null };

const SIGNAL_NAMES = new Map<number, string>(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));
// Each run gets its own uid, so RLIMIT_NPROC (counted per uid) bounds that run alone.
const UID_BASE = 1_000_000 + crypto.randomInt(0, 2_000_000_000);
let uidCounter = 0;
const SANDBOX_ENV: Record<string, string> = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: "/tmp",
    TMPDIR: "/tmp",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONIOENCODING: "utf-8",
};

function defaultConcurrency(): number {
    return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

function checkFileName(name: string): void {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name.length > 128) {
        throw new TypeError(`files: "${name}" is not a plain file name (letters, digits, _ . -; not starting with a dot)`);
    }
}

/** PIDs of the direct children of `pid` (the namespace's PID 1 for an unshare process). */
function childrenOf(pid: number): number[] {
    try {
        return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
        // kernels without CONFIG_PROC_CHILDREN: scan /proc for the parent pid
        const out: number[] = [];
        for (const entry of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(entry)) continue;
            try {
                const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
                const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
                if (ppid === pid) out.push(Number(entry));
            } catch {
                // gone
            }
        }
        return out;
    }
}

export class Sandbox {
    readonly limits: Readonly<SandboxLimits>;
    readonly allowUnsandboxed: boolean;
    private readonly pool: ConcurrencyPool;
    private backendPromise: Promise<Backend> | null = null;
    private readonly detect: () => IsolationReport;

    constructor(options: SandboxOptions = {}) {
        if (options === null || typeof options !== "object") throw new TypeError("sandbox options must be an object");
        this.limits = Object.freeze(resolveLimits(options.limits, DEFAULT_SANDBOX_LIMITS, "limits"));
        if (options.allowUnsandboxed !== undefined && typeof options.allowUnsandboxed !== "boolean") {
            throw new TypeError("allowUnsandboxed must be a boolean");
        }
        this.allowUnsandboxed = options.allowUnsandboxed ?? false;
        this.pool = new ConcurrencyPool(options.concurrency ?? defaultConcurrency());
        this.detect = options.detect ?? detectIsolation;
    }

    /** Runs at once. */
    get concurrency(): number {
        return this.pool.size;
    }

    /** "namespaces" when programs run isolated, "none" when unsandboxed (opted in); throws when neither. */
    async isolation(): Promise<"namespaces" | "none"> {
        return (await this.backend()).mode;
    }

    /** Runs one program when a pool slot is free. */
    run(spec: SandboxRunSpec): Promise<SandboxResult> {
        const limits = resolveLimits(spec.limits, this.limits, "limits");
        for (const name of Object.keys(spec.files ?? {})) checkFileName(name);
        if (typeof spec.args !== "function") throw new TypeError("args must be a function of the source folder");
        return this.pool.run(async () => {
            const backend = await this.backend();
            try {
                return backend.mode === "namespaces"
                    ? await runNamespaced(backend, spec, limits)
                    : await runDirect(backend.prlimit, spec, limits);
            } catch (err) {
                if (err instanceof SandboxError) throw err;
                // staging files, a full disk...: the machine's fault, not the program's
                throw new SandboxError(`sandbox run failed: ${(err as Error).message}`);
            }
        });
    }

    private backend(): Promise<Backend> {
        this.backendPromise ??= this.probe();
        return this.backendPromise;
    }

    private async probe(): Promise<Backend> {
        const report = this.detect();
        let reason: string;
        if (report.available) {
            try {
                // The whole chain once: namespaces, mounts, pivot_root, setpriv, prlimit,
                // and, where nested, that the program cannot make a user namespace.
                const backend = { mode: "namespaces" as const, tools: report.tools, features: report.features };
                const checks = ["test -r /src/probe", "test ! -e /etc/shadow"];
                if (backend.features.blockUserNamespaces) checks.push(`! ${report.tools.unshare} --user true 2>/dev/null`);
                const res = await runNamespaced(backend, {
                    runtime: { executable: report.tools.sh, bindPaths: [], addressSpaceOverheadBytes: 0 },
                    args: () => ["-c", `${checks.join(" && ")} && echo sandbox-ok`],
                    files: { probe: "1" },
                }, { ...DEFAULT_SANDBOX_LIMITS, wallSeconds: 20 });
                if (res.status === "exited" && res.exitCode === 0 && res.stdout.trim() === "sandbox-ok") {
                    return backend;
                }
                reason = `the sandbox probe failed (${res.status}, exit ${res.exitCode}): ${res.stderr.trim().slice(0, 500)}`;
            } catch (err) {
                reason = `the sandbox probe failed: ${(err as Error).message}`;
            }
        } else {
            reason = report.reason;
        }
        if (!this.allowUnsandboxed) {
            this.backendPromise = null; // a later call may find the machine fixed
            throw new SandboxUnavailableError(unavailableMessage(reason));
        }
        process.emitWarning(`code sandbox unavailable (${reason}); running programs UNSANDBOXED as allowUnsandboxed asks`);
        return { mode: "none", prlimit: report.available ? report.tools.prlimit : report.prlimit };
    }
}

interface Collected {
    chunks: Buffer[];
    bytes: number;
}

async function stage(spec: SandboxRunSpec): Promise<{ runDir: string; srcDir: string; stdinFile: string | null }> {
    const runDir = await fsp.mkdtemp(path.join(sandboxBaseDir(), "run-"));
    const srcDir = path.join(runDir, "src");
    await fsp.mkdir(srcDir, { mode: 0o755 });
    await fsp.chmod(srcDir, 0o755);
    await Promise.all(
        Object.entries(spec.files ?? {}).map(([name, content]) => fsp.writeFile(path.join(srcDir, name), content, { mode: 0o644 })),
    );
    let stdinFile: string | null = null;
    if (spec.stdin !== undefined && spec.stdin.length > 0) {
        stdinFile = path.join(srcDir, ".stdin");
        await fsp.writeFile(stdinFile, spec.stdin, { mode: 0o644 });
    }
    return { runDir, srcDir, stdinFile };
}

/** Shared plumbing of both modes: capped capture, wall timer, abort, result assembly. */
function supervise(
    child: ChildProcess,
    limits: SandboxLimits,
    spec: SandboxRunSpec,
    kill: () => void,
    started: bigint,
): Promise<{ killed: SandboxStatus | null; code: number | null; signal: NodeJS.Signals | null; out: Record<"stdout" | "stderr" | "result" | "control", string>; overflowed: SandboxResult["overflowed"]; wallMs: number }> {
    return new Promise((resolve, reject) => {
        let killed: SandboxStatus | null = null;
        let overflowed: SandboxResult["overflowed"] = null;
        const stop = (why: SandboxStatus): void => {
            if (killed !== null) return;
            killed = why;
            kill();
        };
        const streams: Record<"stdout" | "stderr" | "result" | "control", Collected> = {
            stdout: { chunks: [], bytes: 0 },
            stderr: { chunks: [], bytes: 0 },
            result: { chunks: [], bytes: 0 },
            control: { chunks: [], bytes: 0 },
        };
        const watch = (stream: Readable | null | undefined, name: keyof typeof streams, cap: number): void => {
            if (!stream) return;
            const c = streams[name];
            stream.on("data", (chunk: Buffer) => {
                const room = cap - c.bytes;
                if (chunk.length > room) {
                    c.chunks.push(chunk.subarray(0, room));
                    c.bytes = cap;
                    if (name !== "control") {
                        overflowed ??= name;
                        stop("output_limit");
                    }
                    return;
                }
                c.chunks.push(chunk);
                c.bytes += chunk.length;
            });
            stream.on("error", () => undefined);
        };
        watch(child.stdio[1] as Readable, "stdout", limits.outputBytes);
        watch(child.stdio[2] as Readable, "stderr", limits.outputBytes);
        watch(child.stdio[3] as Readable | null, "result", limits.outputBytes);
        watch(child.stdio[4] as Readable | null, "control", 4096);
        const timer = setTimeout(() => stop("timeout"), limits.wallSeconds * 1000);
        const onAbort = (): void => stop("aborted");
        if (spec.signal?.aborted) onAbort();
        spec.signal?.addEventListener("abort", onAbort, { once: true });
        child.once("error", (err) => {
            clearTimeout(timer);
            spec.signal?.removeEventListener("abort", onAbort);
            reject(new SandboxError(`cannot start the sandbox: ${err.message}`));
        });
        child.once("close", (code, signal) => {
            clearTimeout(timer);
            spec.signal?.removeEventListener("abort", onAbort);
            const text = (c: Collected): string => Buffer.concat(c.chunks).toString("utf8");
            resolve({
                killed,
                code,
                signal,
                out: {
                    stdout: text(streams.stdout),
                    stderr: text(streams.stderr),
                    result: text(streams.result),
                    control: text(streams.control),
                },
                overflowed,
                wallMs: Number(process.hrtime.bigint() - started) / 1e6,
            });
        });
    });
}

function statusFromCode(st: number): Pick<SandboxResult, "status" | "exitCode" | "signal"> {
    // sh reports a child killed by signal N as 128 + N.
    const sig = st > 128 ? SIGNAL_NAMES.get(st - 128) : undefined;
    return sig ? { status: "signaled", exitCode: null, signal: sig } : { status: "exited", exitCode: st, signal: null };
}

async function runNamespaced(
    backend: { tools: SandboxTools; features: SandboxFeatures },
    spec: SandboxRunSpec,
    limits: SandboxLimits,
): Promise<SandboxResult> {
    const { tools } = backend;
    const skeleton = ensureSkeleton(spec.runtime.bindPaths, tools, backend.features);
    const { runDir, srcDir, stdinFile } = await stage(spec);
    try {
        const uid = UID_BASE + (uidCounter++ % 1_000_000);
        const fstabPath = path.join(runDir, "fstab");
        await fsp.writeFile(fstabPath, mountTable(skeleton, srcDir, limits, uid), { mode: 0o600 });
        const script = setupScript({
            tools,
            skeleton,
            fstabPath,
            limits,
            uid,
            addressSpaceBytes: limits.memoryBytes + spec.runtime.addressSpaceOverheadBytes,
            stackBytes: spec.runtime.stackBytes ?? 8 * 1024 * 1024,
            stdinPath: stdinFile === null ? null : "/src/.stdin",
            features: backend.features,
            command: [spec.runtime.executable, ...spec.args("/src")],
        });
        const started = process.hrtime.bigint();
        const child = spawn(
            tools.unshare,
            ["--mount", "--net", "--pid", "--ipc", "--uts", "--cgroup", "--fork", "--kill-child", "--", tools.sh, "-c", script],
            {
                detached: true,
                cwd: "/",
                env: { ...SANDBOX_ENV, ...spec.env },
                stdio: ["ignore", "pipe", "pipe", spec.resultChannel ? "pipe" : "ignore", "pipe"],
            },
        );
        let backup: NodeJS.Timeout | null = null;
        const kill = (): void => {
            const pid = child.pid;
            if (pid === undefined) return;
            const group = (): void => {
                try {
                    process.kill(-pid, "SIGKILL");
                } catch {
                    // already gone
                }
            };
            // Killing the namespace's PID 1 lets the kernel reap the whole namespace
            // before unshare exits, so "close" means nothing is left.
            const inits = childrenOf(pid);
            for (const init of inits) {
                try {
                    process.kill(init, "SIGKILL");
                } catch {
                    // already gone
                }
            }
            if (inits.length === 0) group();
            else backup = setTimeout(group, 2000);
        };
        const r = await supervise(child, limits, spec, kill, started);
        if (backup !== null) clearTimeout(backup);
        const control = r.out.control;
        const base = {
            stdout: r.out.stdout,
            stderr: r.out.stderr,
            result: r.out.result,
            overflowed: r.overflowed,
            wallMs: r.wallMs,
            isolated: true,
            uid,
        };
        if (r.killed !== null) {
            // unshare's own complaint when its child dies of SIGKILL, not the program's output
            base.stderr = base.stderr.replace(/unshare: sigprocmask unblock failed[^\n]*\n?$/, "");
            return { ...base, status: r.killed, exitCode: null, signal: "SIGKILL" };
        }
        if (!control.startsWith("ready\n")) {
            throw new SandboxError(
                `sandbox set-up failed (unshare exit ${r.code ?? r.signal}): ${r.out.stderr.trim().slice(0, 1000) || "no message"}`,
            );
        }
        if (backend.features.sessionKeyring !== null && !/^keyring$/m.test(control)) {
            const why = /keyring-failed (.*)/.exec(control)?.[1] ?? "the step did not run";
            throw new SandboxError(`could not give the program a session keyring of its own: ${why}`);
        }
        const m = /^exit (\d+)$/m.exec(control);
        if (!m) throw new SandboxError(`the sandbox ended without the program's status (unshare exit ${r.code ?? r.signal})`);
        return { ...base, ...statusFromCode(Number(m[1])) };
    } finally {
        await fsp.rm(runDir, { recursive: true, force: true });
    }
}

async function runDirect(prlimit: string | null, spec: SandboxRunSpec, limits: SandboxLimits): Promise<SandboxResult> {
    const { runDir, srcDir, stdinFile } = await stage(spec);
    const work = path.join(runDir, "work");
    await fsp.mkdir(work);
    const stdin = stdinFile === null ? null : await fsp.open(stdinFile, "r");
    try {
        const command = [spec.runtime.executable, ...spec.args(srcDir)];
        const argv = prlimit === null ? command : [
            prlimit, `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`, `--data=${limits.memoryBytes}`,
            `--as=${limits.memoryBytes + spec.runtime.addressSpaceOverheadBytes}`, `--fsize=${limits.fileBytes}`,
            `--stack=${Math.min(spec.runtime.stackBytes ?? 8 * 1024 * 1024, Math.floor(limits.memoryBytes / 2))}`,
            `--nofile=${limits.openFiles}`, "--core=0", "--", ...command,
        ];
        const started = process.hrtime.bigint();
        const child = spawn(argv[0]!, argv.slice(1), {
            detached: true,
            cwd: work,
            env: { ...SANDBOX_ENV, HOME: work, TMPDIR: work, ...spec.env },
            stdio: [stdin?.fd ?? "ignore", "pipe", "pipe", spec.resultChannel ? "pipe" : "ignore"],
        });
        const kill = (): void => {
            try {
                if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
            } catch {
                // already gone
            }
        };
        const r = await supervise(child, limits, spec, kill, started);
        kill(); // whatever the program left in its process group
        const base = { stdout: r.out.stdout, stderr: r.out.stderr, result: r.out.result, overflowed: r.overflowed, wallMs: r.wallMs, isolated: false, uid: null };
        if (r.killed !== null) return { ...base, status: r.killed, exitCode: null, signal: "SIGKILL" };
        if (r.signal !== null) return { ...base, status: "signaled", exitCode: null, signal: r.signal };
        return { ...base, status: "exited", exitCode: r.code, signal: null };
    } finally {
        await stdin?.close();
        await fsp.rm(runDir, { recursive: true, force: true });
    }
}

