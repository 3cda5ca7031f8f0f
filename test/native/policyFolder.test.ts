/**
 * Policy folders in and out, and training through the optimizer: save → load
 * is bit-identical in f32, bf16 files load to the rounded values, a few AdamW
 * steps drive a fixed batch's loss down.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeDecoderConfig } from "../../src/model/config.js";
import { bf16BitsToFloat32, float32ToBf16Bits } from "../../src/model/halfFloat.js";
import { Policy } from "../../src/model/policy.js";
import { buildCharTokenizer } from "../../src/model/tokenizer.js";
import { randomInts, seededRandom } from "../helpers/numeric.js";

const specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"];
const tokenizerFiles = buildCharTokenizer("abcdefghij0123456789 +-=\n", specials);
const vocab = (tokenizerFiles.tokenizerJson as { model: { vocab: Record<string, number> } }).model.vocab;
const vocabSize = Object.keys(vocab).length + specials.length;

const config = makeDecoderConfig({
    architecture: "qwen2", vocabSize, hiddenSize: 32, intermediateSize: 48, numLayers: 2, numHeads: 4, numKvHeads: 2,
    attentionBias: true, tieWordEmbeddings: true,
});

function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "r1-policy-"));
}

describe("Policy folders", () => {
    it("save → fromPretrained in f32 is bit-identical, tokenizer included", async () => {
        const policy = Policy.fromConfig(config, { seed: 1, tokenizerFiles });
        const dir = path.join(tempDir(), "model");
        await policy.save(dir, { dtype: "f32" });
        expect(fs.readdirSync(dir).sort()).toEqual(
            ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"].sort(),
        );
        const loaded = await Policy.fromPretrained(dir);
        for (const name of policy.parameterNames()) {
            expect(Buffer.from(loaded.getParameter(name).buffer).equals(Buffer.from(policy.getParameter(name).buffer)), name).toBe(true);
        }
        expect(loaded.decode(loaded.encode("12 + 3 = 15"))).toBe("12 + 3 = 15");
        const tokens = Int32Array.from(loaded.encode("abc 123"));
        const cuSeqlens = Int32Array.from([0, tokens.length]);
        expect(Array.from((await loaded.logprobs({ tokens, cuSeqlens })).logp)).toEqual(Array.from((await policy.logprobs({ tokens, cuSeqlens })).logp));
    });

    it("bf16 files load to the bf16-rounded values", async () => {
        const policy = Policy.fromConfig(config, { seed: 2, tokenizerFiles });
        const dir = path.join(tempDir(), "model");
        await policy.save(dir, { dtype: "bf16" });
        const saved = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")) as { torch_dtype: string };
        expect(saved.torch_dtype).toBe("bfloat16");
        const loaded = await Policy.fromPretrained(dir);
        const name = "model.layers.1.mlp.down_proj.weight";
        const want = policy.getParameter(name).map((x) => bf16BitsToFloat32(float32ToBf16Bits(x)));
        expect(Array.from(loaded.getParameter(name))).toEqual(Array.from(want));
        expect(want.some((x, i) => x !== policy.getParameter(name)[i])).toBe(true);  // rounding did happen
    });

    it("names the file and tensor when a folder is damaged", async () => {
        const policy = Policy.fromConfig(config, { seed: 3, tokenizerFiles });
        const dir = path.join(tempDir(), "model");
        await policy.save(dir, { dtype: "f32" });
        const file = path.join(dir, "model.safetensors");
        fs.truncateSync(file, fs.statSync(file).size - 100);
        await expect(Policy.fromPretrained(dir)).rejects.toThrow(/model\.safetensors/);
    });
});

describe("Policy training", () => {
    it("a few AdamW steps drive a fixed batch's loss down", async () => {
        const policy = Policy.fromConfig(config, { seed: 4 });
        const tokens = randomInts(seededRandom(5), 40, vocabSize);
        const cuSeqlens = Int32Array.from([0, 12, 25, 40]);
        const lossMask = Uint8Array.from({ length: 40 }, (_, n) => (n === 0 || n === 12 || n === 25 ? 0 : 1));
        const losses: number[] = [];
        for (let step = 0; step < 8; step++) {
            policy.zeroGrad();
            const { loss } = await policy.forwardBackward({ tokens, cuSeqlens }, { kind: "sft", lossMask });
            losses.push(loss);
            const { gradNorm } = await policy.optimizerStep({ lr: 3e-3, maxGradNorm: 1, weightDecay: 0.01 });
            expect(Number.isFinite(gradNorm)).toBe(true);
        }
        expect(losses[7]!).toBeLessThan(losses[0]! - 0.3);
        for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]!);
    });

    it("a frozen copy keeps its weights while the policy trains", async () => {
        const policy = Policy.fromConfig(config, { seed: 6 });
        const reference = policy.frozenCopy();
        const before = reference.getParameter("model.norm.weight");
        const tokens = randomInts(seededRandom(7), 10, vocabSize);
        await policy.forwardBackward({ tokens, cuSeqlens: Int32Array.from([0, 10]) }, { kind: "sft", lossMask: Uint8Array.from({ length: 10 }, (_, n) => (n ? 1 : 0)) });
        await policy.optimizerStep({ lr: 1e-2 });
        expect(Array.from(reference.getParameter("model.norm.weight"))).toEqual(Array.from(before));
        expect(Array.from(policy.getParameter("model.norm.weight"))).not.toEqual(Array.from(before));
    });
});
