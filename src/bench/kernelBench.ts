/**
 * `r1-native bench kernels`: throughput of the native kernels on the shapes of
 * a Qwen2.5-0.5B layer, each beside a peer (OpenBLAS) or the naive path, and
 * the percentage of this machine's measured FMA peak.
 */
import os from "node:os";
import path from "node:path";
import { kernels, runtimeInfo } from "../engine/kernels.js";
import { loadAddon } from "../engine/loadAddon.js";
import { type BenchRow, formatTable, saveResults, time } from "./harness.js";
import { timeOpenBlas } from "./openblasPeer.js";
import { logprobPeakExtraMiB } from "./memoryProbe.js";
import { naiveAttention, naiveGrpoLoss, naiveLogprobs } from "./naiveKernels.js";

export interface KernelBenchOptions {
    /** Where the table and JSON go. Defaults to `bench/results`. */
    outDir?: string;
    /** Smaller shapes and fewer repetitions (a smoke run). Defaults to `false`. */
    quick?: boolean;
}

function filled(n: number, seed: number): Float32Array {
    const out = new Float32Array(n);
    let s = seed >>> 0;
    for (let i = 0; i < n; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        out[i] = (s / 4294967296 - 0.5) * 0.2;
    }
    return out;
}

async function gemmRows(peak: number, threads: number, quick: boolean): Promise<BenchRow[]> {
    const shapes = [
        { label: "attn/mlp up: x·Wᵀ", m: 512, k: 896, n: 4864 },
        { label: "mlp down: x·Wᵀ", m: 512, k: 4864, n: 896 },
        { label: "attn proj: x·Wᵀ", m: 512, k: 896, n: 896 },
        { label: "LM-head chunk: h·Wᵀ", m: quick ? 256 : 2048, k: 896, n: 151936 },
    ];
    const reps = quick ? 2 : 5;
    const peer = timeOpenBlas(shapes, threads, reps);
    const rows: BenchRow[] = [];
    for (const [i, s] of shapes.entries()) {
        const x = filled(s.m * s.k, 1), weight = filled(s.n * s.k, 2), out = new Float32Array(s.m * s.n);
        // Into a reused output, as the OpenBLAS peer does (numpy's out=).
        const t = await time(() => kernels.matmul({ x, weight, out, m: s.m, k: s.k, n: s.n }), s.n > 100_000 ? Math.min(reps, 2) : reps);
        const flop = 2 * s.m * s.n * s.k;
        const rate = flop / t.bestMs / 1e6;
        const peerMs = peer?.bestMs[i];
        const peerRate = peerMs ? flop / peerMs / 1e6 : undefined;
        rows.push({
            case: `gemm ${s.label}`,
            shape: `${s.m}×${s.k} · ${s.k}×${s.n}`,
            ms: t.bestMs,
            medianMs: t.medianMs,
            rate,
            rateUnit: "GFLOP/s",
            percentOfPeak: (100 * rate) / peak,
            baseline: peer ? `OpenBLAS (${peer.library})` : "OpenBLAS unavailable",
            baselineMs: peerMs,
            baselineRate: peerRate,
            ratio: peerRate ? rate / peerRate : undefined,
        });
    }
    // The backward forms at the MLP shape.
    {
        const m = 512, k = 896, n = 4864;
        const dy = filled(m * n, 3), weight = filled(n * k, 4), x = filled(m * k, 5);
        const flop = 2 * m * n * k;
        const tIn = await time(() => kernels.matmulBackwardInput({ dy, weight, m, k, n }), reps);
        const tW = await time(() => kernels.matmulBackwardWeight({ dy, x, m, k, n }), reps);
        for (const [label, t] of [["dX = dY·W", tIn], ["dW += dYᵀ·X", tW]] as const) {
            const rate = flop / t.bestMs / 1e6;
            rows.push({
                case: `gemm backward ${label}`,
                shape: `${m}×${n} · ${n}×${k}`,
                ms: t.bestMs,
                medianMs: t.medianMs,
                rate,
                rateUnit: "GFLOP/s",
                percentOfPeak: (100 * rate) / peak,
            });
        }
    }
    return rows;
}

async function attentionRows(peak: number, quick: boolean): Promise<BenchRow[]> {
    const numHeads = 14, numKvHeads = 2, headDim = 64;
    const layouts = quick ? [[4, 128]] : [[8, 256], [2, 2048]];
    const rows: BenchRow[] = [];
    for (const [seqs, len] of layouts as [number, number][]) {
        const n = seqs * len;
        const cuSeqlens = Int32Array.from({ length: seqs + 1 }, (_, i) => i * len);
        const q = filled(n * numHeads * headDim, 6);
        const k = filled(n * numKvHeads * headDim, 7);
        const v = filled(n * numKvHeads * headDim, 8);
        const args = { q, k, v, cuSeqlens, numHeads, numKvHeads, headDim };
        const flopFwd = 4 * seqs * ((len * (len + 1)) / 2) * numHeads * headDim;
        const tFwd = await time(() => kernels.attention(args), quick ? 2 : 5);
        const { out, lse } = await kernels.attention(args);
        const dOut = filled(out.length, 9);
        const tBwd = await time(() => kernels.attentionBackward({ ...args, out, lse, dOut }), quick ? 2 : 3);
        const tNaive = await time(() => naiveAttention(args), 1);
        const shape = `${seqs}×${len} tok, ${numHeads}/${numKvHeads} heads, d=${headDim}`;
        const fwdRate = flopFwd / tFwd.bestMs / 1e6;
        rows.push({
            case: "attention forward",
            shape,
            ms: tFwd.bestMs,
            medianMs: tFwd.medianMs,
            rate: fwdRate,
            rateUnit: "GFLOP/s",
            percentOfPeak: (100 * fwdRate) / peak,
            baseline: "naive (TS, materialised scores)",
            baselineMs: tNaive.bestMs,
            ratio: tNaive.bestMs / tFwd.bestMs,
        });
        const bwdRate = (2.5 * flopFwd) / tBwd.bestMs / 1e6;
        rows.push({
            case: "attention backward",
            shape,
            ms: tBwd.bestMs,
            medianMs: tBwd.medianMs,
            rate: bwdRate,
            rateUnit: "GFLOP/s",
            percentOfPeak: (100 * bwdRate) / peak,
            note: "FLOPs counted as 2.5× forward",
        });
    }
    return rows;
}

async function logprobRows(peak: number, quick: boolean): Promise<BenchRow[]> {
    const n = quick ? 256 : 2048, d = 896, v = 151_936;
    const hidden = filled(n * d, 10), weight = filled(v * d, 11);
    const targets = Int32Array.from({ length: n }, (_, i) => (i * 7919) % v);
    const args = { hidden, weight, targets };
    const reps = quick ? 1 : 2;
    let fwd = await kernels.logprobs(args);
    const tFwd = await time(async () => {
        fwd = await kernels.logprobs(args);
    }, reps);
    const extraFwd = logprobPeakExtraMiB("fused", n, d, v);
    const dLogp = filled(n, 12);
    const bwdArgs = { ...args, lse: fwd.lse, dLogp };
    const tBwd = await time(() => kernels.logprobsBackward(bwdArgs), reps);
    const extraBwd = logprobPeakExtraMiB("fusedBackward", n, d, v);
    const tNaive = await time(() => naiveLogprobs(args), 1);
    const extraNaive = logprobPeakExtraMiB("naive", n, d, v);
    const flop = 2 * n * d * v;
    const shape = `N=${n}, D=${d}, V=${v}`;
    const fwdRate = flop / tFwd.bestMs / 1e6;
    const bwdRate = (3 * flop) / tBwd.bestMs / 1e6;
    return [
        {
            case: "logprobs forward (fused, streamed)",
            shape,
            ms: tFwd.bestMs,
            rate: fwdRate,
            rateUnit: "GFLOP/s",
            percentOfPeak: (100 * fwdRate) / peak,
            baseline: "naive N×V logits + log-softmax",
            baselineMs: tNaive.bestMs,
            ratio: tNaive.bestMs / tFwd.bestMs,
            peakExtraMiB: extraFwd ?? undefined,
            baselinePeakExtraMiB: extraNaive ?? undefined,
            note: `N×V logits alone = ${((n * v * 4) / 2 ** 20).toFixed(0)} MiB`,
        },
        {
            case: "logprobs backward (recompute)",
            shape,
            ms: tBwd.bestMs,
            rate: bwdRate,
            rateUnit: "GFLOP/s",
            percentOfPeak: (100 * bwdRate) / peak,
            peakExtraMiB: extraBwd ?? undefined,
            note: "extra excludes the dHidden/dWeight outputs",
        },
    ];
}

async function grpoRows(quick: boolean): Promise<BenchRow[]> {
    const n = quick ? 100_000 : 1_000_000, seqLen = 500;
    const seqs = Math.ceil(n / seqLen);
    const cuSeqlens = Int32Array.from({ length: seqs + 1 }, (_, i) => Math.min(n, i * seqLen));
    const logp = filled(n, 13).map((x) => x - 1);
    const oldLogp = logp.map((x, i) => x + 0.05 * Math.sin(i));
    const refLogp = logp.map((x, i) => x + 0.05 * Math.cos(i));
    const advantages = filled(n, 14);
    const lossMask = Uint8Array.from({ length: n }, (_, i) => (i % seqLen < 100 ? 0 : 1));
    const args = {
        logp, oldLogp, refLogp, advantages, lossMask, cuSeqlens,
        epsLow: 0.2, epsHigh: 0.28, beta: 0.04, lossType: "grpo" as const,
    };
    const t = await time(() => kernels.grpoLoss(args), quick ? 2 : 5);
    const tNaive = await time(() => naiveGrpoLoss(args), quick ? 1 : 2);
    // Bytes touched: five fp32 inputs, the mask, and two fp32 outputs per token.
    const bytes = n * (5 * 4 + 1 + 2 * 4);
    return [
        {
            case: "grpoLoss forward+backward",
            shape: `${n} tokens, ${seqs} seqs, β>0, old+ref`,
            ms: t.bestMs,
            medianMs: t.medianMs,
            rate: bytes / t.bestMs / 1e6,
            rateUnit: "GB/s",
            baseline: "naive (TS, float64)",
            baselineMs: tNaive.bestMs,
            ratio: tNaive.bestMs / t.bestMs,
        },
    ];
}

export async function runKernelBench(options: KernelBenchOptions = {}): Promise<BenchRow[]> {
    const quick = options.quick ?? false;
    const info = runtimeInfo();
    const addon = loadAddon();
    const peak1 = (await addon.fmaPeak({ seconds: 0.5, threads: 1 })).gflops;
    // Best of two probes: a busy moment must not inflate every "% of peak" figure.
    const probe = async () => (await addon.fmaPeak({ seconds: 0.5, threads: info.numThreads })).gflops;
    const peakAll = Math.max(await probe(), await probe());
    console.log(
        `r1-native kernel benchmarks: ${info.numThreads} threads, avx2=${info.avx2}, ` +
            `FMA peak ${peakAll.toFixed(0)} GFLOP/s (${peak1.toFixed(0)} on one core)`,
    );
    const rows: BenchRow[] = [];
    const sections: [string, () => Promise<BenchRow[]>][] = [
        ["gemm", () => gemmRows(peakAll, info.numThreads, quick)],
        ["attention", () => attentionRows(peakAll, quick)],
        ["logprobs", () => logprobRows(peakAll, quick)],
        ["grpoLoss", () => grpoRows(quick)],
    ];
    for (const [name, run] of sections) {
        process.stdout.write(`  ${name} ...\n`);
        rows.push(...(await run()));
    }
    const table = formatTable(rows);
    console.log(`\n${table}\n`);
    const outDir = options.outDir ?? path.join(process.cwd(), "bench", "results");
    const files = saveResults(outDir, quick ? "kernels-quick" : "kernels", {
        date: new Date().toISOString(),
        cpu: os.cpus()[0]?.model,
        threads: info.numThreads,
        avx2: info.avx2,
        fmaPeakGflops: { oneCore: peak1, allThreads: peakAll },
    }, rows);
    console.log(`saved ${files.join(", ")}`);
    return rows;
}
