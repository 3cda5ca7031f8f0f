/**
 * The models the policy benchmarks run on: a Hugging Face folder, or a named
 * preset built in memory with random weights (`preset:<name>`). Throughput
 * does not depend on the weights, so a preset times exactly what the real
 * model of that shape would.
 */
import { type DecoderConfig, type DecoderConfigInit, makeDecoderConfig, parameterCount, readDecoderConfig } from "../model/config.js";
import { Policy } from "../model/policy.js";

/** Preset shapes, by name. */
export const BENCH_PRESETS: Readonly<Record<string, DecoderConfigInit>> = {
    /** A 2.9M-parameter Qwen2-shaped model (the size of the project's tiny test models). */
    "tiny-2.9m": {
        architecture: "qwen2",
        vocabSize: 512,
        hiddenSize: 256,
        intermediateSize: 688,
        numLayers: 4,
        numHeads: 8,
        numKvHeads: 2,
        ropeTheta: 10000,
        rmsNormEps: 1e-6,
        tieWordEmbeddings: true,
    },
    /** Qwen2.5-0.5B's config.json (494M parameters, q/k/v biases, tied head). */
    "qwen2.5-0.5b": {
        architecture: "qwen2",
        vocabSize: 151936,
        hiddenSize: 896,
        intermediateSize: 4864,
        numLayers: 24,
        numHeads: 14,
        numKvHeads: 2,
        ropeTheta: 1_000_000,
        rmsNormEps: 1e-6,
        maxPositionEmbeddings: 32768,
        tieWordEmbeddings: true,
    },
};

const PRESET_PREFIX = "preset:";

/** What `--model` names, resolved to a config without loading any weights. */
export interface BenchModelSpec {
    /** The `--model` argument as given. */
    label: string;
    config: DecoderConfig;
    params: number;
    /** The folder for `Policy.fromPretrained`, or null for a random preset. */
    dir: string | null;
}

/** Parses `--model`: `preset:<name>` or a model folder (its config.json is read). */
export async function resolveBenchModel(model: string | undefined): Promise<BenchModelSpec> {
    if (model === undefined || model === "") {
        throw new Error(`--model is required: a model folder or one of ${presetNames()}`);
    }
    if (model.startsWith(PRESET_PREFIX)) {
        const name = model.slice(PRESET_PREFIX.length);
        const init = BENCH_PRESETS[name];
        if (!init) throw new Error(`--model: unknown preset "${name}" (known: ${presetNames()})`);
        const config = makeDecoderConfig(init);
        return { label: model, config, params: parameterCount(config), dir: null };
    }
    const config = await readDecoderConfig(model);
    return { label: model, config, params: parameterCount(config), dir: model };
}

/** Builds the policy: weights from the folder, or seeded random ones for a preset. */
export async function loadBenchPolicy(spec: BenchModelSpec): Promise<Policy> {
    return spec.dir === null ? Policy.fromConfig(spec.config, { seed: 0 }) : Policy.fromPretrained(spec.dir);
}

function presetNames(): string {
    return Object.keys(BENCH_PRESETS).map((n) => PRESET_PREFIX + n).join(", ");
}

/** `n` token ids in [0, vocab) from a seeded LCG (the benchmarks' inputs). */
export function randomTokens(n: number, vocab: number, seed: number): Int32Array {
    const out = new Int32Array(n);
    let s = seed >>> 0;
    for (let i = 0; i < n; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        out[i] = Math.floor((s / 4294967296) * vocab);
    }
    return out;
}
