/**
 * The PyTorch eager peer of the model benchmarks: bench/torch/*.py run by
 * /usr/bin/python3 (override with R1_BENCH_PYTHON) on the same shape, with the
 * same thread count. torch is not a dependency: when it or the script is
 * missing the peer is reported unavailable, with the reason, never an error.
 *
 * The child's environment is set for torch's best case on a small shared
 * machine: OMP/OpenBLAS threads = T, and OMP_WAIT_POLICY=PASSIVE (unless set),
 * since spinning OpenMP workers starve the BLAS threads (measured: 10× slower
 * steps with the default policy on 2 cores). `blasDir` puts a folder holding
 * a libblas.so.3 (e.g. OpenBLAS) first on LD_LIBRARY_PATH: Debian's torch
 * calls whatever libblas.so.3 the system selects, which may be the netlib
 * reference BLAS (~50× slower GEMM than OpenBLAS).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import type { DecoderConfig } from "../model/config.js";
import { decoderConfigToJson } from "../model/config.js";

export interface TorchPeerOptions {
    threads: number;
    /** A folder with libblas.so.3 to load in the child. */
    blasDir?: string;
    /** Wall-clock limit of the child. Defaults to 1 hour. */
    timeoutMs?: number;
}

/** What the peer scripts print (their JSON line); fields beyond these are kept. */
export interface TorchPeerResult {
    library: string;
    blas: string;
    params: number;
    threads: number;
    best_ms: number;
    median_ms: number;
    tokens_per_s: number;
    [field: string]: unknown;
}

export type TorchPeerOutcome = { ok: true; result: TorchPeerResult; blasNote?: string } | { ok: false; reason: string };

function scriptPath(name: string): string {
    return fileURLToPath(new URL(`../../bench/torch/${name}`, import.meta.url));
}

/** A warning when the peer ran on the netlib reference BLAS (not a fair figure). */
function blasNote(blas: string): string | undefined {
    return /\/blas\/libblas\.so/.test(blas) && !/openblas|mkl|blis/i.test(blas)
        ? "torch ran on the reference (netlib) BLAS: pass --torch-blas DIR with an OpenBLAS libblas.so.3"
        : undefined;
}

/** Runs `bench/torch/<script>` with the model's config.json and `args`; never throws. */
export async function runTorchPeer(
    script: string,
    config: DecoderConfig,
    args: string[],
    options: TorchPeerOptions,
): Promise<TorchPeerOutcome> {
    const file = scriptPath(script);
    if (!fs.existsSync(file)) return { ok: false, reason: `torch peer script not found (${file})` };
    if (config.architecture !== "qwen2") return { ok: false, reason: `torch peer models qwen2 only (model is ${config.architecture})` };
    const python = process.env.R1_BENCH_PYTHON ?? "/usr/bin/python3";
    const t = String(options.threads);
    const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t };
    env.OMP_WAIT_POLICY ??= "PASSIVE";
    env.PYTHONDONTWRITEBYTECODE = "1";  // no __pycache__ beside the scripts
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    if (options.blasDir) {
        if (!fs.existsSync(options.blasDir)) return { ok: false, reason: `--torch-blas: folder ${options.blasDir} does not exist` };
        env.LD_LIBRARY_PATH = [options.blasDir, env.LD_LIBRARY_PATH].filter(Boolean).join(":");
    }
    const argv = [file, "--config-json", JSON.stringify(decoderConfigToJson(config)), "--threads", t, "--json", ...args];
    const { code, stdout, stderr, error } = await new Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }>(
        (resolve) => {
            const child = spawn(python, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
            let out = "", err = "";
            child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
            child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
            const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 3_600_000);
            child.on("error", (e) => {
                clearTimeout(timer);
                resolve({ code: null, stdout: out, stderr: err, error: e });
            });
            child.on("close", (c) => {
                clearTimeout(timer);
                resolve({ code: c, stdout: out, stderr: err });
            });
        },
    );
    if (error) return { ok: false, reason: `torch unavailable (${python}: ${error.message})` };
    let parsed: Partial<TorchPeerResult> & { error?: string } = {};
    try {
        parsed = JSON.parse(stdout.trim().split("\n").pop() ?? "") as typeof parsed;
    } catch {
        const lastErr = stderr.trim().split("\n").pop() ?? "";
        return { ok: false, reason: `torch peer failed (exit ${code})${lastErr ? `: ${lastErr}` : ""}` };
    }
    if (parsed.error) return { ok: false, reason: parsed.error };
    if (code !== 0 || typeof parsed.tokens_per_s !== "number") {
        return { ok: false, reason: `torch peer failed (exit ${code})` };
    }
    const result = parsed as TorchPeerResult;
    return { ok: true, result, blasNote: blasNote(result.blas) };
}

/** A short name of the BLAS the peer loaded, from the library paths it reports. */
export function blasName(blas: string): string {
    const openblas = /libopenblas\w*-r(\d[\d.]*\d)/.exec(blas);
    if (openblas) return `OpenBLAS ${openblas[1]}`;
    if (/openblas/i.test(blas)) return "OpenBLAS";
    if (/mkl/i.test(blas)) return "MKL";
    if (/\/blas\/libblas\.so/.test(blas)) return "netlib BLAS";
    return blas.split(", ")[0]?.split("/").pop() ?? blas;
}

/** The peer's name for a table cell: library and BLAS, or why it is missing. */
export function peerLabel(outcome: TorchPeerOutcome | null): string {
    if (!outcome) return "";
    if (!outcome.ok) return outcome.reason;
    return `${outcome.result.library} eager, ${blasName(outcome.result.blas)}`;
}
