/**
 * `r1-native bench generate`: tokens/s of batched KV-cache sampling. B prompts
 * of P random tokens, `maxNewTokens` new tokens each at temperature 1 with no
 * stop tokens, so every sequence runs to length through Policy.generate.
 *
 * tokens/s = B·maxNewTokens / wall time, prefill included. Decode-only
 * tokens/s = B·(maxNewTokens − 1) / (wall time − the time of a run with
 * maxNewTokens = 1, which is the prefill and the first sample).
 */
import path from "node:path";
import { type Column, fmtNumber, fmtParams, formatColumns, machineInfo, saveKeyedResult } from "./modelBenchResults.js";
import { loadBenchPolicy, randomTokens, resolveBenchModel } from "./presets.js";
import { type TorchPeerOutcome, runTorchPeer } from "./torchPeer.js";
import { applyThreads, checkCount, describePeer } from "./trainStepBench.js";

export interface GenerateBenchOptions {
    /** A model folder or `preset:<name>`. */
    model: string;
    /** B: prompts (one completion each). */
    batch: number;
    /** P: tokens per prompt. Defaults to `32`. */
    promptLen?: number;
    /** New tokens per completion. Defaults to `64`. */
    maxNewTokens?: number;
    /** Worker threads (setNumThreads); the peer gets the same. Defaults to the pool's size. */
    threads?: number;
    /** Timed runs after the warm-up. Defaults to `1`. */
    steps?: number;
    peer?: "torch";
    torchBlas?: string;
    json?: boolean;
    outDir?: string;
}

export interface GenerateBenchResult {
    model: string;
    params: number;
    batch: number;
    prompt_len: number;
    max_new_tokens: number;
    threads: number;
    reps: number;
    generated_tokens: number;
    best_ms: number;
    median_ms: number;
    /** Best time of the maxNewTokens = 1 run (prefill + first sample). */
    prefill_ms: number;
    tokens_per_s: number;
    prefill_included: true;
    /** CPU time (user + system, all threads) of the best run: less bent by other load than wall time. */
    cpu_ms: number;
    tokens_per_cpu_s: number;
    decode_tokens_per_s: number | null;
    peer?: string;
    peer_tokens_per_s?: number;
    peer_decode_tokens_per_s?: number | null;
    peer_best_ms?: number;
    peer_prefill_ms?: number;
    peer_tokens_per_cpu_s?: number;
    ratio?: number;
    decode_ratio?: number;
    note?: string;
    date: string;
    cpu: string | undefined;
    cores: number;
}

const COLUMNS: Column<GenerateBenchResult>[] = [
    { header: "model", cell: (e) => e.model },
    { header: "params", cell: (e) => fmtParams(e.params) },
    { header: "B", cell: (e) => String(e.batch) },
    { header: "P", cell: (e) => String(e.prompt_len) },
    { header: "new", cell: (e) => String(e.max_new_tokens) },
    { header: "threads", cell: (e) => String(e.threads) },
    { header: "ms", cell: (e) => fmtNumber(e.best_ms) },
    { header: "prefill ms", cell: (e) => fmtNumber(e.prefill_ms) },
    { header: "tokens/s (prefill incl.)", cell: (e) => fmtNumber(e.tokens_per_s) },
    { header: "decode tokens/s", cell: (e) => fmtNumber(e.decode_tokens_per_s) },
    { header: "peer", cell: (e) => e.peer ?? "" },
    { header: "peer tokens/s", cell: (e) => fmtNumber(e.peer_tokens_per_s) },
    { header: "peer decode tokens/s", cell: (e) => fmtNumber(e.peer_decode_tokens_per_s) },
    { header: "ratio", cell: (e) => (e.ratio === undefined ? "" : `${e.ratio.toFixed(2)}×`) },
    { header: "tokens/cpu-s ours / peer", cell: (e) => `${fmtNumber(e.tokens_per_cpu_s)} / ${fmtNumber(e.peer_tokens_per_cpu_s)}` },
    { header: "decode ratio", cell: (e) => (e.decode_ratio === undefined ? "" : `${e.decode_ratio.toFixed(2)}×`) },
    { header: "note", cell: (e) => e.note ?? "" },
];

export async function runGenerateBench(options: GenerateBenchOptions): Promise<GenerateBenchResult> {
    const batch = checkCount("--batch", options.batch, 1);
    const promptLen = checkCount("--prompt-len", options.promptLen ?? 32, 1);
    const maxNewTokens = checkCount("--max-new-tokens", options.maxNewTokens ?? 64, 1);
    const reps = checkCount("--steps", options.steps ?? 1, 1);
    const log = options.json ? () => {} : (line: string) => console.log(line);
    const spec = await resolveBenchModel(options.model);
    const threads = applyThreads(options.threads);
    log(`generate: ${spec.label} (${fmtParams(spec.params)} params), B=${batch} P=${promptLen} new=${maxNewTokens}, ${threads} threads`);

    let peer: TorchPeerOutcome | null = null;
    if (options.peer === "torch") {
        log("  torch eager peer ...");
        peer = await runTorchPeer(
            "qwen2_generate.py",
            spec.config,
            ["--batch", String(batch), "--prompt-len", String(promptLen), "--max-new-tokens", String(maxNewTokens), "--reps", String(reps)],
            { threads, blasDir: options.torchBlas },
        );
    } else if (options.peer !== undefined) {
        throw new RangeError(`--peer must be "torch" (got ${JSON.stringify(options.peer)})`);
    }

    log("  building the model ...");
    const policy = await loadBenchPolicy(spec);
    const flat = randomTokens(batch * promptLen, spec.config.vocabSize, 2);
    const prompts = Array.from({ length: batch }, (_, i) => Array.from(flat.subarray(i * promptLen, (i + 1) * promptLen)));
    const run = async (newTokens: number) => {
        const cpu0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        const samples = await policy.generate(prompts, { maxNewTokens: newTokens, temperature: 1, numSamples: 1, seed: 0, stopTokenIds: [] });
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        const generated = samples.reduce((sum, s) => sum + s.ids.length, 0);
        if (generated !== batch * newTokens) throw new Error(`generate bench: expected ${batch * newTokens} tokens, got ${generated}`);
        const cpu = process.cpuUsage(cpu0);
        return { ms, cpuMs: (cpu.user + cpu.system) / 1e3 };
    };
    log("  warm-up ...");
    await run(Math.min(maxNewTokens, 2));
    const totals: { ms: number; cpuMs: number }[] = [];
    const prefills: number[] = [];
    for (let i = 0; i < reps; i++) {
        prefills.push((await run(1)).ms);
        totals.push(await run(maxNewTokens));
        log(`  run ${i + 1}/${reps}: ${totals[i]!.ms.toFixed(0)} ms (prefill run ${prefills[i]!.toFixed(0)} ms)`);
    }
    const sorted = [...totals].sort((a, b) => a.ms - b.ms);
    const best = sorted[0]!.ms, median = sorted[Math.floor(sorted.length / 2)]!.ms;
    const bestCpuMs = sorted[0]!.cpuMs;
    const prefill = Math.min(...prefills);
    const decodeMs = best - prefill;
    const result: GenerateBenchResult = {
        model: spec.label,
        params: spec.params,
        batch,
        prompt_len: promptLen,
        max_new_tokens: maxNewTokens,
        threads,
        reps,
        generated_tokens: batch * maxNewTokens,
        best_ms: best,
        median_ms: median,
        prefill_ms: prefill,
        tokens_per_s: ((batch * maxNewTokens) / best) * 1e3,
        prefill_included: true,
        cpu_ms: bestCpuMs,
        tokens_per_cpu_s: ((batch * maxNewTokens) / bestCpuMs) * 1e3,
        decode_tokens_per_s: maxNewTokens > 1 && decodeMs > 0 ? ((batch * (maxNewTokens - 1)) / decodeMs) * 1e3 : null,
        ...describePeer(peer),
        ...machineInfo(),
    };
    if (peer?.ok) {
        const r = peer.result;
        const peerDecode = typeof r.decode_tokens_per_s === "number" ? r.decode_tokens_per_s : null;
        result.peer_tokens_per_s = r.tokens_per_s;
        result.peer_decode_tokens_per_s = peerDecode;
        result.peer_best_ms = r.best_ms;
        result.peer_prefill_ms = typeof r.prefill_ms === "number" ? r.prefill_ms : undefined;
        if (typeof r.tokens_per_cpu_s === "number") result.peer_tokens_per_cpu_s = r.tokens_per_cpu_s;
        result.ratio = result.tokens_per_s / r.tokens_per_s;
        if (peerDecode && result.decode_tokens_per_s) result.decode_ratio = result.decode_tokens_per_s / peerDecode;
    }
    const outDir = options.outDir ?? path.join(process.cwd(), "bench", "results");
    const key = `${spec.label}|B=${batch}|P=${promptLen}|new=${maxNewTokens}|threads=${threads}`;
    const files = saveKeyedResult(outDir, "generate", key, result, COLUMNS);
    if (options.json) {
        console.log(JSON.stringify(result));
    } else {
        console.log(`\n${formatColumns([result], COLUMNS)}\n`);
        console.log(`saved ${files.join(", ")}`);
    }
    return result;
}
