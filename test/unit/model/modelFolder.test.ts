import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCharTokenizer, CHATML_TEMPLATE } from "../../../src/model/charTokenizer.js";
import { decoderConfigToJson, makeDecoderConfig, parameterSpecs, type DecoderConfig } from "../../../src/model/config.js";
import { ModelFormatError } from "../../../src/model/errors.js";
import { bf16BitsToFloat32, float32ToBf16Bits } from "../../../src/model/halfFloat.js";
import { readModelFolder, writeModelFolder } from "../../../src/model/modelFolder.js";
import type { Tensor, TensorMap } from "../../../src/model/safetensors.js";
import { INDEX_FILE, writeSafetensorsFolder } from "../../../src/model/safetensorsFolder.js";

const CHARS = "abcdefghijklmnopqrstuvwxyz0123456789 +=?\n";
const SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"];
const TOKENIZER = buildCharTokenizer(CHARS, SPECIALS, { chatTemplate: CHATML_TEMPLATE });
const VOCAB = CHARS.length + 1 + SPECIALS.length; // 47

let root: string;
let counter = 0;
beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "r1-modelfolder-"));
});
afterAll(async () => {
    await rm(root, { recursive: true, force: true });
});

const next = () => join(root, `m${counter++}`);

function tinyConfig(overrides: Partial<Parameters<typeof makeDecoderConfig>[0]> = {}): DecoderConfig {
    return makeDecoderConfig({
        architecture: "qwen3",
        vocabSize: 48,
        hiddenSize: 16,
        intermediateSize: 24,
        numLayers: 2,
        numHeads: 4,
        numKvHeads: 2,
        headDim: 6,
        tieWordEmbeddings: true,
        eosTokenId: CHARS.length + 1 + SPECIALS.indexOf("<|im_end|>"),
        ...overrides,
    });
}

// Deterministic values, not bf16-exact, so rounding shows.
function randomTensors(config: DecoderConfig, seed = 1): TensorMap {
    let s = seed >>> 0;
    const out: TensorMap = new Map();
    for (const spec of parameterSpecs(config)) {
        const n = spec.shape.reduce((a, b) => a * b, 1);
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) {
            s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
            data[i] = s / 2 ** 32 - 0.5;
        }
        out.set(spec.name, { shape: spec.shape, data });
    }
    return out;
}

async function formatError(f: () => Promise<unknown>): Promise<ModelFormatError> {
    try {
        await f();
    } catch (err) {
        expect(err).toBeInstanceOf(ModelFormatError);
        return err as ModelFormatError;
    }
    throw new Error("expected a ModelFormatError");
}

describe("write then read a model folder", () => {
    it("f32: everything comes back exactly", async () => {
        const dir = next();
        const config = tinyConfig();
        const tensors = randomTensors(config);
        const files = await writeModelFolder(dir, { config, tensors, dtype: "f32", tokenizerFiles: TOKENIZER });
        expect(files).toEqual(["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]);
        expect((await readdir(root)).filter((f) => f.startsWith("."))).toEqual([]); // no temp folder left

        const folder = await readModelFolder(dir);
        expect({ ...folder.config, sourceJson: undefined }).toEqual({ ...config, sourceJson: undefined });
        expect(folder.specs).toEqual(parameterSpecs(config));
        expect(folder.ignoredTensors).toEqual([]);
        expect([...folder.tensors!.keys()]).toEqual(folder.specs.map((s) => s.name));
        for (const [name, t] of tensors) {
            expect(folder.tensors!.get(name)!.shape).toEqual(t.shape);
            expect(folder.tensors!.get(name)!.data).toEqual(t.data);
        }
        expect(folder.generationConfig.eosTokenIds).toEqual([config.eosTokenId]);
        expect(folder.tokenizer!.eosTokenId).toBe(config.eosTokenId);
        expect(folder.tokenizer!.decode(folder.tokenizer!.encodeChat([{ role: "user", content: "1+1=?" }]))).toBe("<|im_start|>user\n1+1=?<|im_end|>\n");
        const configJson = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
        expect(configJson).toMatchObject({ architectures: ["Qwen3ForCausalLM"], torch_dtype: "float32", head_dim: 6, tie_word_embeddings: true });
    });

    it("bf16: values come back rounded to nearest even, torch_dtype says bfloat16", async () => {
        const dir = next();
        const config = tinyConfig({ architecture: "qwen2", headDim: undefined, tieWordEmbeddings: false });
        const tensors = randomTensors(config, 7);
        await writeModelFolder(dir, { config, tensors, dtype: "bf16" });
        const folder = await readModelFolder(dir, { loadTensors: false });
        expect(folder.tensors).toBeNull();
        expect(folder.tokenizer).toBeNull();
        expect(folder.config.torchDtype).toBe("bfloat16");
        expect(folder.weights.info("lm_head.weight")!.dtype).toBe("BF16");
        const loaded = await folder.loadParameters(["lm_head.weight", "model.layers.1.self_attn.q_proj.bias"]);
        for (const [name, t] of loaded) {
            const original = tensors.get(name)!.data;
            const expected = Float32Array.from(original, (x) => bf16BitsToFloat32(float32ToBf16Bits(x)));
            expect(t.data).toEqual(expected);
            expect(t.data).not.toEqual(original);
        }
        await expect(folder.loadParameters(["not.a.param"])).rejects.toThrow(/"not.a.param" is not a parameter/);
    });

    it("sharded weights, tokenizer copied from another folder", async () => {
        const source = next();
        const config = tinyConfig({ architecture: "llama", headDim: undefined, numKvHeads: 4 });
        await writeModelFolder(source, { config, tensors: randomTensors(config), dtype: "f32", tokenizerFiles: TOKENIZER });
        const dir = next();
        const files = await writeModelFolder(dir, { config, tensors: randomTensors(config, 3), dtype: "f32", tokenizerSourceDir: source, maxShardBytes: 4000 });
        expect(files).toContain(INDEX_FILE);
        expect(files).toContain("tokenizer.json");
        expect(files.filter((f) => f.endsWith(".safetensors")).length).toBeGreaterThan(1);
        const folder = await readModelFolder(dir);
        expect(folder.weights.sharded).toBe(true);
        expect(folder.tensors!.get("model.norm.weight")!.data).toEqual(randomTensors(config, 3).get("model.norm.weight")!.data);
        expect(folder.tokenizer!.vocabSize).toBe(VOCAB);
    });

    it("replaces an existing folder only with overwrite", async () => {
        const dir = next();
        const config = tinyConfig();
        await writeModelFolder(dir, { config, tensors: randomTensors(config, 1), dtype: "f32", maxShardBytes: 4000 });
        const err = await formatError(() => writeModelFolder(dir, { config, tensors: randomTensors(config, 2), dtype: "f32" }));
        expect(err.message).toContain("not empty (pass overwrite: true");
        await writeModelFolder(dir, { config, tensors: randomTensors(config, 2), dtype: "f32", overwrite: true });
        expect((await readdir(dir)).sort()).toEqual(["config.json", "generation_config.json", "model.safetensors"]);
        const folder = await readModelFolder(dir);
        expect(folder.tensors!.get("model.embed_tokens.weight")!.data).toEqual(randomTensors(config, 2).get("model.embed_tokens.weight")!.data);
        expect((await readdir(root)).filter((f) => f.startsWith("."))).toEqual([]);
    });
});

describe("checks on read", () => {
    // A folder whose weights are written directly, to break them on purpose.
    async function folderWith(config: DecoderConfig, tensors: Map<string, Tensor>): Promise<string> {
        const dir = next();
        await mkdir(dir);
        await writeFile(join(dir, "config.json"), JSON.stringify(decoderConfigToJson(config)));
        await writeSafetensorsFolder(dir, tensors);
        return dir;
    }

    it("a missing parameter is named with its expected shape", async () => {
        const config = tinyConfig();
        const tensors = randomTensors(config);
        tensors.delete("model.layers.1.self_attn.k_norm.weight");
        const dir = await folderWith(config, tensors);
        const err = await formatError(() => readModelFolder(dir));
        expect(err.message).toContain(dir);
        expect(err.message).toContain('"model.layers.1.self_attn.k_norm.weight" of shape [6]');
        expect(err.item).toBe("model.layers.1.self_attn.k_norm.weight");
    });

    it("a wrong shape is named with both shapes", async () => {
        const config = tinyConfig();
        const tensors = randomTensors(config);
        tensors.set("model.layers.0.mlp.up_proj.weight", { shape: [16, 24], data: new Float32Array(16 * 24) });
        const dir = await folderWith(config, tensors);
        const err = await formatError(() => readModelFolder(dir));
        expect(err.message).toContain(join(dir, "model.safetensors"));
        expect(err.message).toContain('"model.layers.0.mlp.up_proj.weight" has shape [16, 24], but config.json implies [24, 16]');
    });

    it("unexpected tensors are an error; a tied lm_head and rotary buffers are ignored", async () => {
        const config = tinyConfig();
        const extra = randomTensors(config);
        extra.set("model.layers.0.self_attn.o_proj.bias", { shape: [16], data: new Float32Array(16) });
        const err = await formatError(() => folderWith(config, extra).then((d) => readModelFolder(d)));
        expect(err.message).toContain('not parameters of a qwen3 model with this config: "model.layers.0.self_attn.o_proj.bias"');

        const tolerated = randomTensors(config);
        tolerated.set("lm_head.weight", { shape: [48, 16], data: new Float32Array(48 * 16) });
        tolerated.set("model.layers.0.self_attn.rotary_emb.inv_freq", { shape: [3], data: new Float32Array(3) });
        const folder = await readModelFolder(await folderWith(config, tolerated));
        expect(folder.ignoredTensors).toEqual(["lm_head.weight", "model.layers.0.self_attn.rotary_emb.inv_freq"]);
        expect(folder.tensors!.has("lm_head.weight")).toBe(false);

        tolerated.set("lm_head.weight", { shape: [47, 16], data: new Float32Array(47 * 16) });
        const bad = await formatError(() => folderWith(config, tolerated).then((d) => readModelFolder(d)));
        expect(bad.message).toContain('"lm_head.weight" has shape [47, 16], expected [48, 16]');
    });

    it("a tokenizer larger than the embedding is an error", async () => {
        const dir = next();
        const config = tinyConfig({ vocabSize: 20, eosTokenId: null });
        await writeModelFolder(dir, { config, tensors: randomTensors(config), dtype: "f32" });
        const err = await formatError(() => writeModelFolder(next(), { config, tensors: randomTensors(config), dtype: "f32", tokenizerFiles: TOKENIZER }));
        expect(err.message).toContain(`the tokenizer has token id ${VOCAB - 1} but vocab_size is 20`);
        // The same on read, for a folder assembled by other means.
        const { writeTokenizerFiles } = await import("../../../src/model/charTokenizer.js");
        await writeTokenizerFiles(dir, TOKENIZER);
        const readErr = await formatError(() => readModelFolder(dir));
        expect(readErr.message).toContain(`the tokenizer has ${VOCAB} token ids but config.json vocab_size is 20`);
    });

    it("a folder that does not exist, or lacks config.json", async () => {
        const missing = next();
        expect((await formatError(() => readModelFolder(missing))).message).toContain(`${missing}: model folder not found`);
        const empty = next();
        await mkdir(empty);
        expect((await formatError(() => readModelFolder(empty))).message).toContain(join(empty, "config.json"));
    });
});

describe("checks on write", () => {
    it("tensors must match parameterSpecs exactly", async () => {
        const config = tinyConfig();
        const missing = randomTensors(config);
        missing.delete("model.norm.weight");
        expect((await formatError(() => writeModelFolder(next(), { config, tensors: missing, dtype: "f32" }))).message).toContain(
            'parameter "model.norm.weight" (shape [16]) is missing',
        );
        const wrong = randomTensors(config);
        wrong.set("model.norm.weight", { shape: [8, 2], data: new Float32Array(16) });
        expect((await formatError(() => writeModelFolder(next(), { config, tensors: wrong, dtype: "f32" }))).message).toContain(
            'parameter "model.norm.weight" has shape [8, 2], but the config implies [16]',
        );
        const tiedHead = randomTensors(config);
        tiedHead.set("lm_head.weight", { shape: [48, 16], data: new Float32Array(48 * 16) });
        expect((await formatError(() => writeModelFolder(next(), { config, tensors: tiedHead, dtype: "f32" }))).message).toContain(
            "lm_head.weight is not saved when tie_word_embeddings is true",
        );
        await expect(writeModelFolder(next(), { config, tensors: randomTensors(config), dtype: "fp16" as never })).rejects.toThrow(/dtype must be "f32" or "bf16"/);
        // Nothing was left behind by the failed writes.
        expect((await readdir(root)).filter((f) => f.startsWith("."))).toEqual([]);
    });
});
