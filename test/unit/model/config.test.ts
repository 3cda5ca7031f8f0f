import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    decoderConfigToJson,
    makeDecoderConfig,
    parameterCount,
    parameterSpecs,
    parseDecoderConfig,
    readDecoderConfig,
    writeDecoderConfig,
    type DecoderConfig,
} from "../../../src/model/config.js";
import { MissingFileError, ModelFormatError } from "../../../src/model/errors.js";

// config.json of Qwen/Qwen2.5-0.5B-Instruct.
const QWEN2 = {
    architectures: ["Qwen2ForCausalLM"],
    attention_dropout: 0.0,
    bos_token_id: 151643,
    eos_token_id: 151645,
    hidden_act: "silu",
    hidden_size: 896,
    initializer_range: 0.02,
    intermediate_size: 4864,
    max_position_embeddings: 32768,
    max_window_layers: 21,
    model_type: "qwen2",
    num_attention_heads: 14,
    num_hidden_layers: 24,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000.0,
    sliding_window: 32768,
    tie_word_embeddings: true,
    torch_dtype: "bfloat16",
    transformers_version: "4.43.1",
    use_cache: true,
    use_sliding_window: false,
    vocab_size: 151936,
};

// config.json of TinyLlama/TinyLlama-1.1B-Chat-v1.0.
const LLAMA = {
    architectures: ["LlamaForCausalLM"],
    attention_bias: false,
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: "silu",
    hidden_size: 2048,
    initializer_range: 0.02,
    intermediate_size: 5632,
    max_position_embeddings: 2048,
    model_type: "llama",
    num_attention_heads: 32,
    num_hidden_layers: 22,
    num_key_value_heads: 4,
    pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_scaling: null,
    rope_theta: 10000.0,
    tie_word_embeddings: false,
    torch_dtype: "bfloat16",
    transformers_version: "4.35.0",
    use_cache: true,
    vocab_size: 32000,
};

// config.json of Qwen/Qwen3-0.6B: head_dim 128 with hidden 1024 and 16 heads (H·Dh != D).
const QWEN3 = {
    architectures: ["Qwen3ForCausalLM"],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: 151643,
    eos_token_id: 151645,
    head_dim: 128,
    hidden_act: "silu",
    hidden_size: 1024,
    initializer_range: 0.02,
    intermediate_size: 3072,
    max_position_embeddings: 40960,
    max_window_layers: 28,
    model_type: "qwen3",
    num_attention_heads: 16,
    num_hidden_layers: 28,
    num_key_value_heads: 8,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1000000,
    sliding_window: null,
    tie_word_embeddings: true,
    torch_dtype: "bfloat16",
    transformers_version: "4.51.0",
    use_cache: true,
    use_sliding_window: false,
    vocab_size: 151936,
};

let dir: string;
beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "r1-config-"));
});
afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
});

function parseError(json: unknown, source = "/models/x/config.json"): ModelFormatError {
    try {
        parseDecoderConfig(json, source);
    } catch (err) {
        expect(err).toBeInstanceOf(ModelFormatError);
        expect((err as Error).message).toContain(source);
        return err as ModelFormatError;
    }
    throw new Error("expected a ModelFormatError");
}

function without(obj: Record<string, unknown>, key: string): Record<string, unknown> {
    const copy = { ...obj };
    delete copy[key];
    return copy;
}

describe("parsing real configs", () => {
    it("qwen2", () => {
        const c = parseDecoderConfig(QWEN2);
        expect({ ...c, sourceJson: undefined }).toEqual({
            architecture: "qwen2",
            vocabSize: 151936,
            hiddenSize: 896,
            intermediateSize: 4864,
            numLayers: 24,
            numHeads: 14,
            numKvHeads: 2,
            headDim: 64,
            rmsNormEps: 1e-6,
            ropeTheta: 1e6,
            ropeScaling: { type: "none" },
            maxPositionEmbeddings: 32768,
            tieWordEmbeddings: true,
            attentionBias: true,
            attentionOutputBias: false,
            qkNorm: false,
            bosTokenId: 151643,
            eosTokenId: 151645,
            torchDtype: "bfloat16",
            sourceJson: undefined,
        });
        // Published size of Qwen2.5-0.5B: 494,032,768 parameters.
        expect(parameterCount(c)).toBe(494_032_768);
    });

    it("llama", () => {
        const c = parseDecoderConfig(LLAMA);
        expect(c.architecture).toBe("llama");
        expect(c.headDim).toBe(64);
        expect(c.numKvHeads).toBe(4);
        expect(c.attentionBias).toBe(false);
        expect(c.attentionOutputBias).toBe(false);
        expect(c.qkNorm).toBe(false);
        expect(c.rmsNormEps).toBe(1e-5);
        expect(c.tieWordEmbeddings).toBe(false);
        // TinyLlama-1.1B: 1,100,048,384 parameters.
        expect(parameterCount(c)).toBe(1_100_048_384);
        const biased = parseDecoderConfig({ ...LLAMA, attention_bias: true });
        expect(biased.attentionBias && biased.attentionOutputBias).toBe(true);
        expect(parameterSpecs(biased).filter((s) => s.name.endsWith(".bias")).length).toBe(22 * 4);
    });

    it("qwen3", () => {
        const c = parseDecoderConfig(QWEN3);
        expect(c.architecture).toBe("qwen3");
        expect(c.headDim).toBe(128);
        expect(c.qkNorm).toBe(true);
        expect(c.attentionBias).toBe(false);
        expect(c.maxPositionEmbeddings).toBe(40960);
        // Qwen3-0.6B: 0.44B non-embedding; by hand 28 × 15,730,944 + 1024 = 440,467,456.
        expect(parameterCount(c) - c.vocabSize * c.hiddenSize).toBe(440_467_456);
        const specs = parameterSpecs(c);
        expect(specs.find((s) => s.name === "model.layers.0.self_attn.q_proj.weight")!.shape).toEqual([2048, 1024]);
        expect(specs.find((s) => s.name === "model.layers.0.self_attn.o_proj.weight")!.shape).toEqual([1024, 2048]);
        expect(specs.find((s) => s.name === "model.layers.27.self_attn.k_norm.weight")!.shape).toEqual([128]);
        // Without head_dim a qwen3 config gets transformers' default of 128.
        expect(parseDecoderConfig(without(QWEN3, "head_dim")).headDim).toBe(128);
    });

    it("defaults of absent optional fields follow transformers", () => {
        const minimal = { architectures: ["LlamaForCausalLM"], vocab_size: 100, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4 };
        const c = parseDecoderConfig(minimal);
        expect(c.numKvHeads).toBe(4);
        expect(c.headDim).toBe(16);
        expect(c.rmsNormEps).toBe(1e-6);
        expect(c.ropeTheta).toBe(10000);
        expect(c.maxPositionEmbeddings).toBe(2048);
        expect(c.tieWordEmbeddings).toBe(false);
        expect(c.bosTokenId).toBeNull();
        expect(c.torchDtype).toBe("float32");
        // model_type alone identifies the family.
        expect(parseDecoderConfig({ ...without(minimal, "architectures"), model_type: "qwen2" }).architecture).toBe("qwen2");
    });

    it("linear rope scaling, eos lists and the transformers v5 rope_parameters form", () => {
        const linear = parseDecoderConfig({ ...LLAMA, rope_scaling: { type: "linear", factor: 2.0 }, eos_token_id: [2, 3] });
        expect(linear.ropeScaling).toEqual({ type: "linear", factor: 2 });
        expect(linear.eosTokenId).toEqual([2, 3]);
        expect(parseDecoderConfig({ ...LLAMA, rope_scaling: { rope_type: "default" } }).ropeScaling).toEqual({ type: "none" });
        const v5 = parseDecoderConfig({ ...without(QWEN3, "rope_theta"), rope_parameters: { rope_type: "linear", factor: 4, rope_theta: 5e5 } });
        expect(v5.ropeTheta).toBe(5e5);
        expect(v5.ropeScaling).toEqual({ type: "linear", factor: 4 });
    });
});

describe("bad configs name the file and field", () => {
    it.each(["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"])("missing %s", (field) => {
        const err = parseError(without(QWEN2, field));
        expect(err.message).toContain(`${field} is missing`);
        expect(err.item).toBe(field);
    });

    it("unsupported architecture lists the supported ones", () => {
        const err = parseError({ ...LLAMA, architectures: ["MistralForCausalLM"], model_type: "mistral" });
        expect(err.message).toContain("MistralForCausalLM");
        expect(err.message).toContain("Qwen2ForCausalLM, LlamaForCausalLM, Qwen3ForCausalLM");
        expect(parseError({ ...without(LLAMA, "architectures"), model_type: "gemma" }).message).toContain('"gemma" is not supported');
        expect(parseError(without(without(LLAMA, "architectures"), "model_type")).message).toContain("architectures is missing");
        expect(parseError({ ...LLAMA, model_type: "qwen2" }).message).toContain("contradicts");
    });

    it.each([
        [{ rope_type: "yarn", factor: 4, original_max_position_embeddings: 32768 }, "yarn"],
        [{ type: "dynamic", factor: 2 }, "dynamic"],
        [{ rope_type: "llama3", factor: 32, low_freq_factor: 1, high_freq_factor: 4 }, "llama3"],
    ])("rope_scaling kind %j is refused by name", (scaling, kind) => {
        const err = parseError({ ...LLAMA, rope_scaling: scaling });
        expect(err.message).toContain(`rope_scaling kind "${kind}" is not supported`);
    });

    it("bad linear factor", () => {
        expect(parseError({ ...LLAMA, rope_scaling: { type: "linear" } }).message).toContain("rope_scaling.factor");
        expect(parseError({ ...LLAMA, rope_scaling: { type: "linear", factor: 0.5 } }).message).toContain("rope_scaling.factor");
    });

    it("num_key_value_heads must divide num_attention_heads", () => {
        const err = parseError({ ...QWEN2, num_key_value_heads: 4 });
        expect(err.message).toContain("num_key_value_heads (4) must divide num_attention_heads (14)");
    });

    it("hidden_size must split into heads unless head_dim is given", () => {
        expect(parseError({ ...LLAMA, hidden_size: 2050 }).message).toContain("hidden_size (2050) is not divisible by num_attention_heads (32)");
        expect(parseDecoderConfig({ ...LLAMA, hidden_size: 2050, head_dim: 64 }).headDim).toBe(64);
    });

    it("features that would change the arithmetic are refused", () => {
        expect(parseError({ ...QWEN2, use_sliding_window: true }).message).toContain("use_sliding_window is true");
        expect(parseError({ ...LLAMA, hidden_act: "gelu" }).message).toContain('hidden_act "gelu" is not supported');
        expect(parseError({ ...LLAMA, mlp_bias: true }).message).toContain("mlp_bias is true");
        expect(parseError({ ...QWEN3, layer_types: ["full_attention", "sliding_attention"] }).message).toContain("layer_types");
    });

    it("wrong types", () => {
        expect(parseError({ ...LLAMA, hidden_size: "2048" }).message).toContain('hidden_size must be a positive integer, got "2048"');
        expect(parseError({ ...LLAMA, num_hidden_layers: 0 }).message).toContain("num_hidden_layers must be a positive integer");
        expect(parseError({ ...LLAMA, tie_word_embeddings: "yes" }).message).toContain("tie_word_embeddings must be true or false");
        expect(parseError({ ...LLAMA, eos_token_id: [2, "x"] }).message).toContain("eos_token_id must be a token id or a list");
        expect(parseError({ ...LLAMA, eos_token_id: 32000 }).message).toContain("eos_token_id 32000 is outside the vocabulary");
        expect(parseError({ ...LLAMA, rms_norm_eps: -1 }).message).toContain("rms_norm_eps must be a positive number");
        expect(parseError([1]).message).toContain("must be a JSON object");
    });

    it("files: missing, bad JSON", async () => {
        await expect(readDecoderConfig(join(dir, "absent"))).rejects.toBeInstanceOf(MissingFileError);
        await expect(readDecoderConfig(join(dir, "absent"))).rejects.toThrow(join(dir, "absent", "config.json"));
        const bad = join(dir, "bad.json");
        await writeFile(bad, "{ not json");
        await expect(readDecoderConfig(bad)).rejects.toThrow(`${bad}: not valid JSON`);
    });
});

describe("serialising", () => {
    it("round-trips a loaded config unchanged, unknown keys and order kept", async () => {
        for (const sample of [QWEN2, LLAMA, QWEN3]) {
            const out = decoderConfigToJson(parseDecoderConfig(sample));
            expect(out).toEqual(sample);
            expect(Object.keys(out)).toEqual(Object.keys(sample));
        }
        const file = join(dir, "qwen2.json");
        await writeFile(file, JSON.stringify(QWEN2));
        const c = await readDecoderConfig(file);
        const changed: DecoderConfig = { ...c, vocabSize: 152000, numLayers: 2, ropeScaling: { type: "linear", factor: 2 } };
        const out = join(dir, "out");
        await (await import("node:fs/promises")).mkdir(out);
        await writeDecoderConfig(out, changed);
        const written = JSON.parse(await readFile(join(out, "config.json"), "utf8"));
        expect(written).toEqual({ ...QWEN2, vocab_size: 152000, num_hidden_layers: 2, rope_scaling: { type: "linear", rope_type: "linear", factor: 2 } });
        expect(parseDecoderConfig(written).numLayers).toBe(2);
    });

    it("writes the standard keys for a fresh config", () => {
        const c = makeDecoderConfig({ architecture: "qwen2", vocabSize: 64, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, eosTokenId: 3 });
        const json = decoderConfigToJson(c);
        expect(json).toEqual({
            architectures: ["Qwen2ForCausalLM"],
            attention_dropout: 0,
            bos_token_id: null,
            eos_token_id: 3,
            hidden_act: "silu",
            hidden_size: 32,
            initializer_range: 0.02,
            intermediate_size: 64,
            max_position_embeddings: 32768,
            max_window_layers: 2,
            model_type: "qwen2",
            num_attention_heads: 4,
            num_hidden_layers: 2,
            num_key_value_heads: 2,
            rms_norm_eps: 1e-6,
            rope_scaling: null,
            rope_theta: 10000,
            sliding_window: null,
            tie_word_embeddings: false,
            torch_dtype: "float32",
            use_cache: true,
            use_sliding_window: false,
            vocab_size: 64,
        });
        expect(Object.keys(json)).toEqual(Object.keys(json).sort());
        const again = parseDecoderConfig(json);
        expect({ ...again, sourceJson: undefined }).toEqual({ ...c, sourceJson: undefined });
    });

    it("fresh llama and qwen3 configs parse back to themselves", () => {
        const llama = makeDecoderConfig({ architecture: "llama", vocabSize: 50, hiddenSize: 16, intermediateSize: 32, numLayers: 1, numHeads: 2, attentionBias: true });
        const llamaJson = decoderConfigToJson(llama);
        expect(llamaJson).toMatchObject({ model_type: "llama", attention_bias: true, head_dim: 8, mlp_bias: false, pretraining_tp: 1 });
        expect({ ...parseDecoderConfig(llamaJson), sourceJson: undefined }).toEqual({ ...llama, sourceJson: undefined });
        const qwen3 = makeDecoderConfig({ architecture: "qwen3", vocabSize: 50, hiddenSize: 16, intermediateSize: 32, numLayers: 1, numHeads: 2, headDim: 12, tieWordEmbeddings: true });
        const qwen3Json = decoderConfigToJson(qwen3);
        expect(qwen3Json).toMatchObject({ model_type: "qwen3", head_dim: 12, use_sliding_window: false, tie_word_embeddings: true });
        expect({ ...parseDecoderConfig(qwen3Json), sourceJson: undefined }).toEqual({ ...qwen3, sourceJson: undefined });
    });

    it("refuses to serialise an invalid config", () => {
        const c = makeDecoderConfig({ architecture: "llama", vocabSize: 50, hiddenSize: 16, intermediateSize: 32, numLayers: 1, numHeads: 4 });
        expect(() => decoderConfigToJson({ ...c, numKvHeads: 3 })).toThrow(/num_key_value_heads \(3\) must divide/);
        expect(() => makeDecoderConfig({ architecture: "llama", vocabSize: 50, hiddenSize: 15, intermediateSize: 32, numLayers: 1, numHeads: 4 })).toThrow(/give headDim/);
    });
});

describe("parameterSpecs", () => {
    const tiny = { vocabSize: 10, hiddenSize: 8, intermediateSize: 16, numLayers: 2, numHeads: 2, numKvHeads: 1 } as const;

    it("counts per family, with and without tied embeddings", () => {
        // Per layer: 2 norms + q/k/v/o + gate/up/down = 9; plus embed, final norm, lm_head.
        expect(parameterSpecs(makeDecoderConfig({ architecture: "llama", ...tiny })).length).toBe(1 + 2 * 9 + 1 + 1);
        expect(parameterSpecs(makeDecoderConfig({ architecture: "llama", ...tiny, tieWordEmbeddings: true })).length).toBe(1 + 2 * 9 + 1);
        // qwen2 adds q/k/v biases.
        expect(parameterSpecs(makeDecoderConfig({ architecture: "qwen2", ...tiny })).length).toBe(1 + 2 * 12 + 1 + 1);
        // qwen3 adds q/k norms.
        expect(parameterSpecs(makeDecoderConfig({ architecture: "qwen3", ...tiny, tieWordEmbeddings: true })).length).toBe(1 + 2 * 11 + 1);
    });

    it("lists names and shapes in a stable order", () => {
        const c = makeDecoderConfig({ architecture: "qwen2", ...tiny });
        const specs = parameterSpecs(c);
        expect(specs.slice(0, 14)).toEqual([
            { name: "model.embed_tokens.weight", shape: [10, 8] },
            { name: "model.layers.0.input_layernorm.weight", shape: [8] },
            { name: "model.layers.0.self_attn.q_proj.weight", shape: [8, 8] },
            { name: "model.layers.0.self_attn.q_proj.bias", shape: [8] },
            { name: "model.layers.0.self_attn.k_proj.weight", shape: [4, 8] },
            { name: "model.layers.0.self_attn.k_proj.bias", shape: [4] },
            { name: "model.layers.0.self_attn.v_proj.weight", shape: [4, 8] },
            { name: "model.layers.0.self_attn.v_proj.bias", shape: [4] },
            { name: "model.layers.0.self_attn.o_proj.weight", shape: [8, 8] },
            { name: "model.layers.0.post_attention_layernorm.weight", shape: [8] },
            { name: "model.layers.0.mlp.gate_proj.weight", shape: [16, 8] },
            { name: "model.layers.0.mlp.up_proj.weight", shape: [16, 8] },
            { name: "model.layers.0.mlp.down_proj.weight", shape: [8, 16] },
            { name: "model.layers.1.input_layernorm.weight", shape: [8] },
        ]);
        expect(specs.slice(-2)).toEqual([
            { name: "model.norm.weight", shape: [8] },
            { name: "lm_head.weight", shape: [10, 8] },
        ]);
        expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
        expect(parameterSpecs(c)).toEqual(specs);
    });
});
