/** `r1-native bench <suite>`: throughput benchmarks (not tests). */
import type { CommandModule } from "yargs";
import { runGenerateBench } from "../../bench/generateBench.js";
import { runJudgeBench } from "../../bench/judgeBench.js";
import { runKernelBench } from "../../bench/kernelBench.js";
import { runTrainStepBench } from "../../bench/trainStepBench.js";
import { runVerifyBench } from "../../bench/verifyBench.js";

const SUITES = ["kernels", "train-step", "generate", "verify", "judge"] as const;

export interface BenchOptions {
    suite: string;
    out?: string;
    quick?: boolean;
    /** train-step / generate: a model folder or `preset:<name>`. */
    model?: string;
    seqLen?: number;
    batch?: number;
    threads?: number;
    steps?: number;
    promptLen?: number;
    maxNewTokens?: number;
    breakdown?: boolean;
    peer?: string;
    torchBlas?: string;
    json?: boolean;
}

function required<T>(value: T | undefined, flag: string, suite: string): T {
    if (value === undefined) throw new Error(`r1-native bench ${suite}: ${flag} is required`);
    return value;
}

function peerOption(peer: string | undefined): "torch" | undefined {
    if (peer === undefined || peer === "torch") return peer;
    throw new Error(`r1-native bench: --peer must be "torch" (got "${peer}")`);
}

export async function runBench(options: BenchOptions): Promise<void> {
    switch (options.suite) {
        case "kernels":
            await runKernelBench({ outDir: options.out, quick: options.quick });
            return;
        case "train-step":
            await runTrainStepBench({
                model: required(options.model, "--model", options.suite),
                seqLen: required(options.seqLen, "--seq-len", options.suite),
                batch: required(options.batch, "--batch", options.suite),
                threads: options.threads,
                steps: options.steps,
                breakdown: options.breakdown,
                peer: peerOption(options.peer),
                torchBlas: options.torchBlas,
                json: options.json,
                outDir: options.out,
            });
            return;
        case "generate":
            await runGenerateBench({
                model: required(options.model, "--model", options.suite),
                batch: required(options.batch, "--batch", options.suite),
                promptLen: options.promptLen,
                maxNewTokens: options.maxNewTokens,
                threads: options.threads,
                steps: options.steps,
                peer: peerOption(options.peer),
                torchBlas: options.torchBlas,
                json: options.json,
                outDir: options.out,
            });
            return;
        case "verify":
            await runVerifyBench({ outDir: options.out });
            return;
        case "judge":
            await runJudgeBench({ outDir: options.out });
            return;
        default:
            throw new Error(`r1-native bench: unknown suite "${options.suite}" (known: ${SUITES.join(", ")})`);
    }
}

export const benchCommand: CommandModule<object, BenchOptions> = {
    command: "bench <suite>",
    describe: "Run a benchmark suite and save a table and a JSON file",
    builder: (y) =>
        y
            .positional("suite", { type: "string", choices: SUITES, demandOption: true })
            .option("out", {
                type: "string",
                describe: "Folder for the results table and JSON. Defaults to `bench/results`.",
            })
            .option("quick", {
                type: "boolean",
                default: false,
                describe: "kernels: fewer repetitions and smaller peers (a smoke run)",
            })
            .option("model", {
                type: "string",
                describe: "train-step/generate: a Hugging Face model folder, or preset:tiny-2.9m / preset:qwen2.5-0.5b (random weights)",
            })
            .option("seq-len", { type: "number", describe: "train-step: L, tokens per sequence" })
            .option("batch", { type: "number", describe: "train-step: B sequences per step; generate: B prompts" })
            .option("threads", { type: "number", describe: "Worker threads for ours and the peer. Defaults to the pool's size." })
            .option("steps", { type: "number", describe: "Timed steps (train-step, default 3) or runs (generate, default 1) after a warm-up" })
            .option("prompt-len", { type: "number", describe: "generate: P, tokens per prompt. Defaults to 32." })
            .option("max-new-tokens", { type: "number", describe: "generate: new tokens per prompt. Defaults to 64." })
            .option("breakdown", { type: "boolean", describe: "train-step: also time a forward-only pass" })
            .option("peer", { type: "string", choices: ["torch"], describe: "Also run PyTorch eager (bench/torch/*.py, /usr/bin/python3) on the same shape" })
            .option("torch-blas", {
                type: "string",
                describe: "A folder with a libblas.so.3 (e.g. OpenBLAS) put first on the torch peer's LD_LIBRARY_PATH",
            })
            .option("json", { type: "boolean", describe: "train-step/generate: print only one JSON line (tokens_per_s and the rest)" }),
    handler: (argv) => runBench(argv),
};
