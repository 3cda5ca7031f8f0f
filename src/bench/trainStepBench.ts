/**
 * `r1-native bench train-step`: tokens/s of one training step (forward,
 * backward, AdamW with gradient clipping) of a model on B packed sequences of
 * L random tokens, SFT loss on every non-first token. One warm-up step (it
 * allocates gradients and optimizer state), then `steps` timed steps; the
 * figure is tokens per step / best step time. With `peer: "torch"` the same
 * step in PyTorch eager runs first (bench/torch/qwen2_train_step.py), so the
 * two models never hold memory at once, and the ratio stands beside ours.
 */
import path from "node:path";
import { runtimeInfo, setNumThreads } from "../engine/kernels.js";
import { type Column, fmtNumber, fmtParams, formatColumns, machineInfo, saveKeyedResult } from "./modelBenchResults.js";
import { loadBenchPolicy, randomTokens, resolveBenchModel } from "./presets.js";
import { type TorchPeerOutcome, peerLabel, runTorchPeer } from "./torchPeer.js";

export interface TrainStepBenchOptions {
    /** A model folder or `preset:<name>`. */
    model: string;
    /** L: tokens per sequence. */
    seqLen: number;
    /** B: sequences per step. */
    batch: number;
    /** Worker threads (setNumThreads); the peer gets the same. Defaults to the pool's size. */
    threads?: number;
    /** Timed steps after the warm-up. Defaults to `3`. */
    steps?: number;
    /** Also time a forward-only pass (logprobs) to split forward from backward. Defaults to `false`. */
    breakdown?: boolean;
    /** Run the PyTorch eager peer. */
    peer?: "torch";
    /** A folder with libblas.so.3 for the torch peer (see torchPeer.ts). */
    torchBlas?: string;
    /** Print only one JSON line. Defaults to `false`. */
    json?: boolean;
    /** Defaults to `bench/results`. */
    outDir?: string;
}

export interface TrainStepBenchResult {
    model: string;
    params: number;
    seq_len: number;
    batch: number;
    threads: number;
    steps: number;
    tokens_per_step: number;
    warmup_ms: number;
    best_ms: number;
    median_ms: number;
    tokens_per_s: number;
    median_tokens_per_s: number;
    /** CPU time (user + system, all threads) of the best step: a figure less bent by other load than wall time. */
    cpu_ms: number;
    tokens_per_cpu_s: number;
    /** forwardBackward and optimizerStep of the best step. */
    forward_backward_ms: number;
    optimizer_ms: number;
    /** Best forward-only (Policy.logprobs) time, with `breakdown`. */
    forward_ms?: number;
    loss: number;
    peer?: string;
    peer_tokens_per_s?: number;
    peer_best_ms?: number;
    peer_median_ms?: number;
    peer_tokens_per_cpu_s?: number;
    /** ours / peer tokens per second. */
    ratio?: number;
    note?: string;
    date: string;
    cpu: string | undefined;
    cores: number;
}

const COLUMNS: Column<TrainStepBenchResult>[] = [
    { header: "model", cell: (e) => e.model },
    { header: "params", cell: (e) => fmtParams(e.params) },
    { header: "L", cell: (e) => String(e.seq_len) },
    { header: "B", cell: (e) => String(e.batch) },
    { header: "threads", cell: (e) => String(e.threads) },
    { header: "ms/step", cell: (e) => fmtNumber(e.best_ms) },
    { header: "tokens/s", cell: (e) => fmtNumber(e.tokens_per_s) },
    { header: "fwd+bwd / adamw ms", cell: (e) => `${fmtNumber(e.forward_backward_ms)} / ${fmtNumber(e.optimizer_ms)}` },
    { header: "fwd-only ms", cell: (e) => fmtNumber(e.forward_ms) },
    { header: "peer", cell: (e) => e.peer ?? "" },
    { header: "peer ms/step", cell: (e) => fmtNumber(e.peer_best_ms) },
    { header: "peer tokens/s", cell: (e) => fmtNumber(e.peer_tokens_per_s) },
    { header: "ratio", cell: (e) => (e.ratio === undefined ? "" : `${e.ratio.toFixed(2)}×`) },
    { header: "tokens/cpu-s ours / peer", cell: (e) => `${fmtNumber(e.tokens_per_cpu_s)} / ${fmtNumber(e.peer_tokens_per_cpu_s)}` },
    { header: "note", cell: (e) => e.note ?? "" },
];

/** Checks that `value` is an integer >= `min`, naming the CLI flag otherwise. */
export function checkCount(flag: string, value: number | undefined, min: number): number {
    if (value === undefined || !Number.isInteger(value) || value < min) {
        throw new RangeError(`${flag} must be an integer >= ${min} (got ${value})`);
    }
    return value;
}

/** Applies --threads (when given) and returns the pool size the run uses. */
export function applyThreads(threads: number | undefined): number {
    if (threads !== undefined) setNumThreads(checkCount("--threads", threads, 1));
    return runtimeInfo().numThreads;
}

export function describePeer(outcome: TorchPeerOutcome | null): { peer?: string; note?: string } {
    if (!outcome) return {};
    return { peer: peerLabel(outcome), note: outcome.ok ? outcome.blasNote : undefined };
}

export async function runTrainStepBench(options: TrainStepBenchOptions): Promise<TrainStepBenchResult> {
    const seqLen = checkCount("--seq-len", options.seqLen, 2);
    const batch = checkCount("--batch", options.batch, 1);
    const steps = checkCount("--steps", options.steps ?? 3, 1);
    const log = options.json ? () => {} : (line: string) => console.log(line);
    const spec = await resolveBenchModel(options.model);
    const threads = applyThreads(options.threads);
    const n = seqLen * batch;
    log(`train-step: ${spec.label} (${fmtParams(spec.params)} params), L=${seqLen} B=${batch}, ${threads} threads, ${steps} timed steps`);

    let peer: TorchPeerOutcome | null = null;
    if (options.peer === "torch") {
        log("  torch eager peer ...");
        peer = await runTorchPeer(
            "qwen2_train_step.py",
            spec.config,
            ["--seq-len", String(seqLen), "--batch", String(batch), "--steps", String(steps)],
            { threads, blasDir: options.torchBlas },
        );
    } else if (options.peer !== undefined) {
        throw new RangeError(`--peer must be "torch" (got ${JSON.stringify(options.peer)})`);
    }

    log("  building the model ...");
    const policy = await loadBenchPolicy(spec);
    const tokens = randomTokens(n, spec.config.vocabSize, 1);
    const cuSeqlens = Int32Array.from({ length: batch + 1 }, (_, i) => i * seqLen);
    const lossMask = Uint8Array.from({ length: n }, (_, i) => (i % seqLen === 0 ? 0 : 1));
    const step = async () => {
        const cpu0 = process.cpuUsage();
        policy.zeroGrad();
        const t0 = process.hrtime.bigint();
        const { loss } = await policy.forwardBackward({ tokens, cuSeqlens }, { kind: "sft", lossMask });
        const t1 = process.hrtime.bigint();
        await policy.optimizerStep({ lr: 1e-5, maxGradNorm: 1 });
        const t2 = process.hrtime.bigint();
        const cpu = process.cpuUsage(cpu0);
        return { loss, fbMs: Number(t1 - t0) / 1e6, optMs: Number(t2 - t1) / 1e6, ms: Number(t2 - t0) / 1e6, cpuMs: (cpu.user + cpu.system) / 1e3 };
    };
    log("  warm-up step ...");
    const warm = await step();
    const samples: Awaited<ReturnType<typeof step>>[] = [];
    for (let i = 0; i < steps; i++) {
        samples.push(await step());
        log(`  step ${i + 1}/${steps}: ${samples[i]!.ms.toFixed(0)} ms`);
    }
    let forwardMs: number | undefined;
    if (options.breakdown) {
        for (let i = 0; i < Math.min(steps, 2); i++) {
            const t0 = process.hrtime.bigint();
            await policy.logprobs({ tokens, cuSeqlens });
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            forwardMs = forwardMs === undefined ? ms : Math.min(forwardMs, ms);
        }
    }
    const sorted = [...samples].sort((a, b) => a.ms - b.ms);
    const best = sorted[0]!, median = sorted[Math.floor(sorted.length / 2)]!;
    const result: TrainStepBenchResult = {
        model: spec.label,
        params: spec.params,
        seq_len: seqLen,
        batch,
        threads,
        steps,
        tokens_per_step: n,
        warmup_ms: warm.ms,
        best_ms: best.ms,
        median_ms: median.ms,
        tokens_per_s: (n / best.ms) * 1e3,
        median_tokens_per_s: (n / median.ms) * 1e3,
        cpu_ms: best.cpuMs,
        tokens_per_cpu_s: (n / best.cpuMs) * 1e3,
        forward_backward_ms: best.fbMs,
        optimizer_ms: best.optMs,
        forward_ms: forwardMs,
        loss: samples[samples.length - 1]!.loss,
        ...describePeer(peer),
        ...machineInfo(),
    };
    if (peer?.ok) {
        result.peer_tokens_per_s = peer.result.tokens_per_s;
        result.peer_best_ms = peer.result.best_ms;
        result.peer_median_ms = peer.result.median_ms;
        if (typeof peer.result.tokens_per_cpu_s === "number") result.peer_tokens_per_cpu_s = peer.result.tokens_per_cpu_s;
        result.ratio = result.tokens_per_s / peer.result.tokens_per_s;
    }
    const outDir = options.outDir ?? path.join(process.cwd(), "bench", "results");
    const key = `${spec.label}|L=${seqLen}|B=${batch}|threads=${threads}`;
    const files = saveKeyedResult(outDir, "train-step", key, result, COLUMNS);
    if (options.json) {
        console.log(JSON.stringify(result));
    } else {
        console.log(`\n${formatColumns([result], COLUMNS)}\n`);
        console.log(`saved ${files.join(", ")}`);
    }
    return result;
}
