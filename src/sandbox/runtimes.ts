/**
 * Interpreters the sandbox can run, and the host folders each one needs to
 * see (read-only) inside the sandbox's otherwise empty filesystem.
 *
 * A runtime is probed once on the host, outside the sandbox: it is the host's
 * own trusted binary. Shims (pyenv, nvm) are resolved to the real executable,
 * because a shim's shell script cannot run in the bare sandbox.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export type RuntimeLanguage = "python" | "javascript";

export interface SandboxRuntime {
    language: RuntimeLanguage;
    /** Absolute real path of the interpreter binary. */
    executable: string;
    /** Interpreter version, for logs and bench tables. */
    version: string;
    /** Host folders bound read-only at the same path (besides /usr, which is always there). */
    bindPaths: string[];
    /** Virtual memory the runtime reserves beyond what it uses; added to RLIMIT_AS. */
    addressSpaceOverheadBytes: number;
    /**
     * RLIMIT_STACK. glibc also gives every thread a stack this size, counted
     * against RLIMIT_DATA, so multi-threaded runtimes keep the usual 8 MiB.
     */
    stackBytes?: number;
}

const MiB = 1024 * 1024;

/** True when `p` is `root` or inside it. */
export function isWithin(p: string, root: string): boolean {
    const rel = path.relative(root, p);
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Drops folders already covered by another one in the list (and by /usr). */
export function minimalBindSet(paths: Iterable<string>, alwaysBound: string[] = ["/usr"]): string[] {
    const sorted = [...new Set(paths)].filter((p) => path.isAbsolute(p)).sort((a, b) => a.length - b.length);
    const kept: string[] = [];
    for (const p of sorted) {
        if ([...alwaysBound, ...kept].some((root) => isWithin(p, root))) continue;
        if (p === "/") throw new Error("a runtime asked for the whole host filesystem (/) to be visible in the sandbox");
        kept.push(p);
    }
    return kept;
}

/** Folders of the shared libraries `ldd` reports for `executable` (real paths). */
async function libraryDirs(executable: string): Promise<string[]> {
    try {
        const { stdout } = await execFileAsync("ldd", [executable], { timeout: 10_000 });
        const dirs: string[] = [];
        for (const m of stdout.matchAll(/(?:=>\s*)?(\/[^\s()]+)\s+\(0x/g)) {
            try {
                dirs.push(path.dirname(fs.realpathSync(m[1]!)));
            } catch {
                // a library ldd names but that is not there: the probe run will fail loudly
            }
        }
        return dirs;
    } catch {
        return []; // static binary, or no ldd: the live probe catches what is missing
    }
}

function realExecutable(p: string): string {
    return fs.realpathSync(p);
}

async function probePython(candidate: string): Promise<SandboxRuntime> {
    const code =
        "import sys, json; print(json.dumps({'exe': sys.executable, 'prefix': sys.prefix, " +
        "'base': sys.base_prefix, 'exec': sys.exec_prefix, 'base_exec': sys.base_exec_prefix, " +
        "'version': sys.version.split()[0]}))";
    const { stdout } = await execFileAsync(candidate, ["-c", code], { timeout: 20_000 });
    const info = JSON.parse(stdout) as Record<string, string>;
    if (!info.exe) throw new Error(`${candidate} does not report sys.executable`);
    const executable = realExecutable(info.exe);
    const dirs = [info.prefix!, info.base!, info.exec!, info.base_exec!]
        .filter((p) => p !== undefined && p !== "")
        .map((p) => fs.realpathSync(p));
    dirs.push(path.dirname(executable), ...(await libraryDirs(executable)));
    return {
        language: "python",
        executable,
        version: info.version ?? "unknown",
        bindPaths: minimalBindSet(dirs),
        addressSpaceOverheadBytes: 64 * MiB,
        // C-level recursion (functools.lru_cache, key functions) needs a deep
        // stack: 8 MiB overflows at ~20 000 cached calls, 64 MiB passes 100 000.
        stackBytes: 64 * MiB,
    };
}

async function probeNode(candidate: string): Promise<SandboxRuntime> {
    const { stdout } = await execFileAsync(
        candidate,
        ["-e", "process.stdout.write(JSON.stringify({exe: process.execPath, version: process.version}))"],
        { timeout: 20_000, env: { PATH: "/usr/bin:/bin" } },
    );
    const info = JSON.parse(stdout) as { exe: string; version: string };
    const executable = realExecutable(info.exe);
    // A Node outside /usr (nvm, a tarball) keeps its lib/ beside bin/.
    const dirs = [path.dirname(executable), ...(await libraryDirs(executable))];
    return {
        language: "javascript",
        executable,
        version: info.version,
        bindPaths: minimalBindSet(dirs),
        addressSpaceOverheadBytes: 1024 * MiB,
        stackBytes: 8 * MiB, // ~10 threads of its own
    };
}

function which(name: string): string | null {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        if (dir === "") continue;
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // next
        }
    }
    return null;
}

const cache = new Map<string, Promise<SandboxRuntime>>();

/**
 * The Python interpreter for sandboxed programs: `explicit`, else
 * `$R1_SANDBOX_PYTHON`, else /usr/bin/python3 (the distribution's, quick to
 * start), else `python3` on PATH.
 */
export function resolvePythonRuntime(explicit?: string): Promise<SandboxRuntime> {
    const candidate =
        explicit ??
        process.env.R1_SANDBOX_PYTHON ??
        (fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : which("python3"));
    if (!candidate) {
        return Promise.reject(new Error("no Python interpreter found: install python3 or set python: \"/path/to/python3\""));
    }
    return cached(`python:${candidate}`, () => probePython(candidate), "python", candidate);
}

/**
 * The Node interpreter for sandboxed programs: `explicit`, else
 * `$R1_SANDBOX_NODE`, else the Node running this process.
 */
export function resolveNodeRuntime(explicit?: string): Promise<SandboxRuntime> {
    const candidate = explicit ?? process.env.R1_SANDBOX_NODE ?? process.execPath;
    return cached(`node:${candidate}`, () => probeNode(candidate), "node", candidate);
}

/** The runtime for a language. */
export function resolveRuntime(language: RuntimeLanguage, explicit?: string): Promise<SandboxRuntime> {
    return language === "python" ? resolvePythonRuntime(explicit) : resolveNodeRuntime(explicit);
}

function cached(key: string, make: () => Promise<SandboxRuntime>, field: string, candidate: string): Promise<SandboxRuntime> {
    let p = cache.get(key);
    if (!p) {
        p = make().catch((err: unknown) => {
            cache.delete(key);
            throw new Error(`${field}: cannot use "${candidate}" as the sandbox interpreter: ${(err as Error).message}`);
        });
        cache.set(key, p);
    }
    return p;
}
