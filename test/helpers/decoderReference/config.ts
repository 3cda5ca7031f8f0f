/**
 * Configuration, parameter naming and input validation for the float64
 * decoder reference. Parameter names and shapes are Hugging Face's for
 * Qwen2ForCausalLM / LlamaForCausalLM / Qwen3ForCausalLM, row-major.
 */

export interface ReferenceConfig {
    vocabSize: number;
    hiddenSize: number;
    intermediateSize: number;
    numLayers: number;
    numHeads: number;
    numKvHeads: number;
    headDim: number;
    rmsNormEps: number;
    ropeTheta: number;
    /** linear rope_scaling factor; 1 = none */
    ropeScalingFactor: number;
    tieWordEmbeddings: boolean;
    /** q/k/v projection biases (Qwen2) */
    attentionBias: boolean;
    /** Qwen3: per-head RMSNorm on q and k before RoPE */
    qkNorm: boolean;
}

/** Hugging Face tensor name → row-major float64 values. */
export type ReferenceParams = Map<string, Float64Array>;

/** Parameter shapes in Hugging Face order: embedding, layers, final norm, LM head. */
export function referenceParameterShapes(config: ReferenceConfig): Map<string, number[]> {
    validateConfig(config);
    const { vocabSize: v, hiddenSize: d, intermediateSize: f, numHeads: h, numKvHeads: hkv, headDim: dh } = config;
    const shapes = new Map<string, number[]>();
    shapes.set("model.embed_tokens.weight", [v, d]);
    for (let i = 0; i < config.numLayers; i++) {
        const p = `model.layers.${i}.`;
        shapes.set(`${p}input_layernorm.weight`, [d]);
        shapes.set(`${p}self_attn.q_proj.weight`, [h * dh, d]);
        if (config.attentionBias) shapes.set(`${p}self_attn.q_proj.bias`, [h * dh]);
        shapes.set(`${p}self_attn.k_proj.weight`, [hkv * dh, d]);
        if (config.attentionBias) shapes.set(`${p}self_attn.k_proj.bias`, [hkv * dh]);
        shapes.set(`${p}self_attn.v_proj.weight`, [hkv * dh, d]);
        if (config.attentionBias) shapes.set(`${p}self_attn.v_proj.bias`, [hkv * dh]);
        shapes.set(`${p}self_attn.o_proj.weight`, [d, h * dh]);
        if (config.qkNorm) {
            shapes.set(`${p}self_attn.q_norm.weight`, [dh]);
            shapes.set(`${p}self_attn.k_norm.weight`, [dh]);
        }
        shapes.set(`${p}post_attention_layernorm.weight`, [d]);
        shapes.set(`${p}mlp.gate_proj.weight`, [f, d]);
        shapes.set(`${p}mlp.up_proj.weight`, [f, d]);
        shapes.set(`${p}mlp.down_proj.weight`, [d, f]);
    }
    shapes.set("model.norm.weight", [d]);
    if (!config.tieWordEmbeddings) shapes.set("lm_head.weight", [v, d]);
    return shapes;
}

/** input/post_attention layernorms, q_norm/k_norm and the final norm all end so. */
function isNormName(name: string): boolean {
    return name.endsWith("norm.weight");
}

/**
 * Random parameters: norm weights 1 + 0.1·u, everything else scale·u, with u
 * uniform in [−1, 1) drawn from `rand` in shape order (deterministic).
 */
export function randomReferenceParams(config: ReferenceConfig, rand: () => number, scale = 0.3): ReferenceParams {
    const params: ReferenceParams = new Map();
    for (const [name, shape] of referenceParameterShapes(config)) {
        const values = new Float64Array(shape.reduce((a, b) => a * b, 1));
        const norm = isNormName(name);
        for (let i = 0; i < values.length; i++) {
            const u = 2 * rand() - 1;
            values[i] = norm ? 1 + 0.1 * u : scale * u;
        }
        params.set(name, values);
    }
    return params;
}

/** Zero-filled tensors with the parameters' names and sizes. */
export function zeroReferenceParams(config: ReferenceConfig): ReferenceParams {
    const out: ReferenceParams = new Map();
    for (const [name, shape] of referenceParameterShapes(config)) {
        out.set(name, new Float64Array(shape.reduce((a, b) => a * b, 1)));
    }
    return out;
}

function requirePositiveInt(config: ReferenceConfig, field: keyof ReferenceConfig): void {
    const value = config[field];
    if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
        throw new Error(`ReferenceConfig.${field} must be a positive integer, got ${String(value)}`);
    }
}

function requirePositive(config: ReferenceConfig, field: keyof ReferenceConfig): void {
    const value = config[field];
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
        throw new Error(`ReferenceConfig.${field} must be a positive finite number, got ${String(value)}`);
    }
}

export function validateConfig(config: ReferenceConfig): void {
    for (const field of ["vocabSize", "hiddenSize", "intermediateSize", "numLayers", "numHeads", "numKvHeads", "headDim"] as const) {
        requirePositiveInt(config, field);
    }
    for (const field of ["rmsNormEps", "ropeTheta", "ropeScalingFactor"] as const) requirePositive(config, field);
    for (const field of ["tieWordEmbeddings", "attentionBias", "qkNorm"] as const) {
        if (typeof config[field] !== "boolean") {
            throw new Error(`ReferenceConfig.${field} must be a boolean, got ${String(config[field])}`);
        }
    }
    if (config.numHeads % config.numKvHeads !== 0) {
        throw new Error(
            `ReferenceConfig.numHeads (${config.numHeads}) must be a multiple of numKvHeads (${config.numKvHeads})`,
        );
    }
    if (config.headDim % 2 !== 0) throw new Error(`ReferenceConfig.headDim must be even for RoPE, got ${config.headDim}`);
}

export function validateParams(config: ReferenceConfig, params: ReferenceParams): void {
    for (const [name, shape] of referenceParameterShapes(config)) {
        const values = params.get(name);
        if (values === undefined) throw new Error(`params: missing tensor "${name}"`);
        const size = shape.reduce((a, b) => a * b, 1);
        if (!(values instanceof Float64Array) || values.length !== size) {
            throw new Error(`params["${name}"]: want a Float64Array of ${size} values [${shape.join(", ")}], got ${values.length}`);
        }
    }
}

/** Checks tokens against the vocabulary and cuSeqlens as 0 = c0 < c1 < … = N. */
export function validateBatch(config: ReferenceConfig, tokens: Int32Array, cuSeqlens: Int32Array, temperature: number): void {
    if (!(tokens instanceof Int32Array)) throw new Error("tokens must be an Int32Array");
    if (!(cuSeqlens instanceof Int32Array) || cuSeqlens.length < 2) {
        throw new Error("cuSeqlens must be an Int32Array of at least 2 entries (S + 1)");
    }
    if (cuSeqlens[0] !== 0) throw new Error(`cuSeqlens[0] must be 0, got ${cuSeqlens[0]}`);
    for (let s = 1; s < cuSeqlens.length; s++) {
        if (!(cuSeqlens[s]! > cuSeqlens[s - 1]!)) {
            throw new Error(`cuSeqlens must be strictly increasing: cuSeqlens[${s}] = ${cuSeqlens[s]} after ${cuSeqlens[s - 1]}`);
        }
    }
    const last = cuSeqlens[cuSeqlens.length - 1]!;
    if (last !== tokens.length) {
        throw new Error(`cuSeqlens[S] (${last}) must equal tokens.length (${tokens.length})`);
    }
    for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i]!;
        if (t < 0 || t >= config.vocabSize) throw new Error(`tokens[${i}] = ${t} is outside [0, vocabSize = ${config.vocabSize})`);
    }
    if (!(typeof temperature === "number" && Number.isFinite(temperature) && temperature > 0)) {
        throw new Error(`temperature must be a positive finite number, got ${String(temperature)}`);
    }
}
