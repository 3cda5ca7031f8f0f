/**
 * Builds the demo base model from scratch: random init, then SFT on imperfect
 * solutions of the built-in arithmetic task (see demoTask.ts). Deterministic
 * for a seed on CPU. `r1-native make-demo-model` runs it; the result ships in
 * models/r1-zero-demo/.
 */
import { uniformStream } from "../algo/mulberry32.js";
import { arithmeticProblems } from "../data/builtin/arithmetic.js";
import { makeDecoderConfig } from "../model/config.js";
import { Policy } from "../model/policy.js";
import { HfTokenizer } from "../model/tokenizer.js";
import { baseCompletion, demoModelConfig, demoPrompt, demoTokenizerFiles } from "./demoTask.js";

export interface MakeDemoModelOptions {
    /** Output folder. */
    outDir: string;
    /** Defaults to `0`. */
    seed?: number;
    /** Optimizer steps. Defaults to `1500`. */
    steps?: number;
    /** Sequences per step. Defaults to `64`. */
    batchSize?: number;
    /** Peak learning rate (cosine decay after 5 % warm-up). Defaults to `3e-3`. */
    learningRate?: number;
    /** Called every 50 steps. */
    onProgress?: (step: number, loss: number) => void;
}

export async function makeDemoModel(options: MakeDemoModelOptions): Promise<Policy> {
    const seed = options.seed ?? 0;
    const steps = options.steps ?? 1500;
    const batchSize = options.batchSize ?? 64;
    const peakLr = options.learningRate ?? 3e-3;
    const files = demoTokenizerFiles();
    const tokenizer = HfTokenizer.fromObjects({ tokenizerJson: files.tokenizerJson, tokenizerConfig: files.tokenizerConfig });
    const config = makeDecoderConfig(demoModelConfig(tokenizer.vocabSize));
    const policy = Policy.fromConfig(config, { seed, tokenizer, tokenizerFiles: files });
    const problems = arithmeticProblems({ count: 20_000, seed, split: "train" });
    const rand = uniformStream(seed + 1);
    const warmup = Math.max(1, Math.round(steps * 0.05));
    let cursor = 0;
    for (let step = 0; step < steps; step++) {
        const seqs: number[][] = [];
        const masks: number[][] = [];
        for (let i = 0; i < batchSize; i++) {
            const p = problems[cursor++ % problems.length]!;
            const prompt = tokenizer.encode(demoPrompt(p));
            const completion = tokenizer.encode(baseCompletion(p, rand));
            seqs.push([...prompt, ...completion]);
            masks.push([...prompt.map(() => 0), ...completion.map(() => 1)]);
        }
        const tokens = Int32Array.from(seqs.flat());
        const lossMask = Uint8Array.from(masks.flat());
        const cuSeqlens = Int32Array.from([0, ...seqs.map(((sum) => (s: number[]) => (sum += s.length))(0))]);
        const lr = step < warmup ? (peakLr * (step + 1)) / warmup : 0.5 * peakLr * (1 + Math.cos((Math.PI * (step - warmup)) / (steps - warmup)));
        policy.zeroGrad();
        const { loss } = await policy.forwardBackward({ tokens, cuSeqlens }, { kind: "sft", lossMask });
        await policy.optimizerStep({ lr, weightDecay: 0.01, maxGradNorm: 1 });
        if (step % 50 === 0 || step === steps - 1) options.onProgress?.(step, loss);
    }
    await policy.save(options.outDir, { dtype: "bf16", overwrite: true });
    return policy;
}
