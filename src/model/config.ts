/**
 * `config.json` of the decoder families the engine runs: Qwen2, Llama and Qwen3.
 *
 * All three are the same pre-norm decoder (RMSNorm, GQA attention with RoPE, SwiGLU MLP);
 * they differ in a few switches, which DecoderConfig spells out:
 *
 * | family | q/k/v bias         | o_proj bias        | q/k RMSNorm | head_dim                 |
 * |--------|--------------------|--------------------|-------------|--------------------------|
 * | qwen2  | always             | never              | no          | hidden / heads           |
 * | llama  | attention_bias     | attention_bias     | no          | head_dim or hidden/heads |
 * | qwen3  | attention_bias     | attention_bias     | yes         | head_dim (default 128)   |
 *
 * Missing optional fields take the defaults of the transformers config classes, so a
 * config.json means here what it means to transformers. Anything that would change the
 * arithmetic and is not implemented (sliding windows, YaRN/dynamic/llama3 RoPE, MLP bias,
 * another activation) is an error naming the field, never silently ignored.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "./atomicWrite.js";
import { MissingFileError, ModelFormatError, isNotFound } from "./errors.js";

/** The supported families, by model_type. */
export type Architecture = "qwen2" | "llama" | "qwen3";

/** The transformers class of each family (config.json "architectures"). */
export const ARCHITECTURE_CLASSES: Readonly<Record<Architecture, string>> = {
    qwen2: "Qwen2ForCausalLM",
    llama: "LlamaForCausalLM",
    qwen3: "Qwen3ForCausalLM",
};

/** RoPE position scaling: none, or positions divided by `factor` (linear interpolation). */
export type RopeScaling = { type: "none" } | { type: "linear"; factor: number };

/** A decoder's hyper-parameters, typed and validated. */
export interface DecoderConfig {
    architecture: Architecture;
    /** V: rows of the embedding and LM head (may exceed the tokenizer's vocabulary). */
    vocabSize: number;
    /** D: the residual width. */
    hiddenSize: number;
    /** I: the SwiGLU inner width. */
    intermediateSize: number;
    numLayers: number;
    /** H: query heads. */
    numHeads: number;
    /** Hkv: key/value heads; divides H. */
    numKvHeads: number;
    /** Dh: per-head width; H·Dh need not equal D (Qwen3). */
    headDim: number;
    rmsNormEps: number;
    ropeTheta: number;
    ropeScaling: RopeScaling;
    maxPositionEmbeddings: number;
    /** The LM head reuses the embedding matrix (no lm_head.weight). */
    tieWordEmbeddings: boolean;
    /** q_proj, k_proj and v_proj have biases. */
    attentionBias: boolean;
    /** o_proj has a bias (llama/qwen3 with attention_bias; never qwen2). */
    attentionOutputBias: boolean;
    /** RMSNorm over each head of q and k before RoPE (qwen3). */
    qkNorm: boolean;
    bosTokenId: number | null;
    eosTokenId: number | number[] | null;
    /** The dtype the weights were trained/saved in, as transformers names it ("bfloat16"). */
    torchDtype: string;
    /**
     * The config.json this was parsed from; serialising keeps its other keys. Absent for
     * a config built in code.
     */
    sourceJson?: Readonly<Record<string, unknown>>;
}

type Json = Record<string, unknown>;

// Defaults of the transformers config classes for the fields that may be absent.
const MAX_POSITIONS_DEFAULT: Record<Architecture, number> = { qwen2: 32768, llama: 2048, qwen3: 32768 };
const ROPE_THETA_DEFAULT = 10000;
const RMS_NORM_EPS_DEFAULT = 1e-6;
const QWEN3_HEAD_DIM_DEFAULT = 128;

class FieldReader {
    constructor(
        readonly json: Json,
        readonly source: string,
    ) {}

    fail(field: string, what: string): never {
        throw new ModelFormatError(this.source, `${field} ${what}`, field);
    }

    has(field: string): boolean {
        return this.json[field] !== undefined && this.json[field] !== null;
    }

    positiveInt(field: string, fallback?: number): number {
        const v = this.json[field];
        if (v === undefined || v === null) {
            if (fallback === undefined) this.fail(field, "is missing (a positive integer is required)");
            return fallback;
        }
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) this.fail(field, `must be a positive integer, got ${JSON.stringify(v)}`);
        return v;
    }

    positiveNumber(field: string, fallback: number): number {
        const v = this.json[field];
        if (v === undefined || v === null) return fallback;
        if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) this.fail(field, `must be a positive number, got ${JSON.stringify(v)}`);
        return v;
    }

    bool(field: string, fallback: boolean): boolean {
        const v = this.json[field];
        if (v === undefined || v === null) return fallback;
        if (typeof v !== "boolean") this.fail(field, `must be true or false, got ${JSON.stringify(v)}`);
        return v;
    }

    tokenId(field: string): number | null {
        const v = this.json[field];
        if (v === undefined || v === null) return null;
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) this.fail(field, `must be a token id, got ${JSON.stringify(v)}`);
        return v;
    }

    tokenIds(field: string): number | number[] | null {
        const v = this.json[field];
        if (Array.isArray(v)) {
            if (!v.every((x) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0)) {
                this.fail(field, `must be a token id or a list of token ids, got ${JSON.stringify(v)}`);
            }
            return [...(v as number[])];
        }
        return this.tokenId(field);
    }
}

function resolveArchitecture(r: FieldReader): Architecture {
    const supported = Object.values(ARCHITECTURE_CLASSES).join(", ");
    const classes = r.json.architectures;
    const modelType = r.json.model_type;
    let arch: Architecture | undefined;
    if (classes !== undefined && classes !== null) {
        if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => typeof c === "string")) {
            r.fail("architectures", "must be a non-empty list of class names");
        }
        for (const c of classes as string[]) {
            const hit = (Object.keys(ARCHITECTURE_CLASSES) as Architecture[]).find((a) => ARCHITECTURE_CLASSES[a] === c);
            if (hit !== undefined) {
                arch = hit;
                break;
            }
        }
        if (arch === undefined) {
            r.fail("architectures", `${JSON.stringify(classes)} is not supported (supported: ${supported})`);
        }
    }
    if (modelType !== undefined && modelType !== null) {
        if (typeof modelType !== "string" || !(modelType in ARCHITECTURE_CLASSES)) {
            r.fail("model_type", `${JSON.stringify(modelType)} is not supported (supported: ${Object.keys(ARCHITECTURE_CLASSES).join(", ")}; classes ${supported})`);
        }
        if (arch !== undefined && arch !== modelType) {
            r.fail("model_type", `"${modelType}" contradicts architectures ${JSON.stringify(classes)}`);
        }
        arch = modelType as Architecture;
    }
    if (arch === undefined) r.fail("architectures", `is missing, and so is model_type (supported: ${supported})`);
    return arch;
}

function parseRopeScaling(r: FieldReader, field: string, value: unknown): RopeScaling {
    if (value === undefined || value === null) return { type: "none" };
    if (typeof value !== "object" || Array.isArray(value)) r.fail(field, "must be an object or null");
    const obj = value as Json;
    const kind = obj.rope_type ?? obj.type;
    if (kind === undefined || kind === "default") return { type: "none" };
    if (kind === "linear") {
        const factor = obj.factor;
        if (typeof factor !== "number" || !Number.isFinite(factor) || factor < 1) {
            r.fail(`${field}.factor`, `must be a number >= 1 for linear scaling, got ${JSON.stringify(factor)}`);
        }
        return { type: "linear", factor };
    }
    return r.fail(field, `kind ${JSON.stringify(kind)} is not supported (supported: linear, none/default)`);
}

/**
 * Parses and validates a config.json object. `source` names the file in error messages.
 */
export function parseDecoderConfig(json: unknown, source = "config.json"): DecoderConfig {
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
        throw new ModelFormatError(source, "config must be a JSON object");
    }
    const r: FieldReader = new FieldReader(json as Json, source);
    const architecture = resolveArchitecture(r);

    const hiddenAct = r.json.hidden_act ?? "silu";
    if (hiddenAct !== "silu") r.fail("hidden_act", `${JSON.stringify(hiddenAct)} is not supported (only "silu")`);
    if (architecture !== "llama" && r.bool("use_sliding_window", false)) {
        r.fail("use_sliding_window", "is true; sliding-window attention is not supported");
    }
    const layerTypes = r.json.layer_types;
    if (Array.isArray(layerTypes) && layerTypes.some((t) => t !== "full_attention")) {
        r.fail("layer_types", "lists layers other than full_attention; sliding-window attention is not supported");
    }
    if (architecture === "llama" && r.bool("mlp_bias", false)) r.fail("mlp_bias", "is true; MLP biases are not supported");

    // transformers v5 moves rope_theta and the scaling into rope_parameters.
    let ropeTheta: number;
    let ropeScaling: RopeScaling;
    const ropeParameters = r.json.rope_parameters;
    if (ropeParameters !== undefined && ropeParameters !== null) {
        if (typeof ropeParameters !== "object" || Array.isArray(ropeParameters)) r.fail("rope_parameters", "must be an object");
        const inner: FieldReader = new FieldReader(ropeParameters as Json, source);
        ropeTheta = inner.positiveNumber("rope_theta", ROPE_THETA_DEFAULT);
        ropeScaling = parseRopeScaling(r, "rope_parameters", ropeParameters);
    } else {
        ropeTheta = r.positiveNumber("rope_theta", ROPE_THETA_DEFAULT);
        ropeScaling = parseRopeScaling(r, "rope_scaling", r.json.rope_scaling);
    }

    const hiddenSize = r.positiveInt("hidden_size");
    const numHeads = r.positiveInt("num_attention_heads");
    let headDim: number;
    if (r.has("head_dim")) {
        headDim = r.positiveInt("head_dim");
    } else if (architecture === "qwen3") {
        headDim = QWEN3_HEAD_DIM_DEFAULT;
    } else {
        if (hiddenSize % numHeads !== 0) {
            r.fail("hidden_size", `(${hiddenSize}) is not divisible by num_attention_heads (${numHeads}) and head_dim is not given`);
        }
        headDim = hiddenSize / numHeads;
    }
    const attentionBias = architecture === "qwen2" ? true : r.bool("attention_bias", false);
    const torchDtype = r.json.torch_dtype ?? r.json.dtype ?? "float32";
    if (typeof torchDtype !== "string") r.fail("torch_dtype", `must be a string, got ${JSON.stringify(torchDtype)}`);

    const config: DecoderConfig = {
        architecture,
        vocabSize: r.positiveInt("vocab_size"),
        hiddenSize,
        intermediateSize: r.positiveInt("intermediate_size"),
        numLayers: r.positiveInt("num_hidden_layers"),
        numHeads,
        numKvHeads: r.positiveInt("num_key_value_heads", numHeads),
        headDim,
        rmsNormEps: r.positiveNumber("rms_norm_eps", RMS_NORM_EPS_DEFAULT),
        ropeTheta,
        ropeScaling,
        maxPositionEmbeddings: r.positiveInt("max_position_embeddings", MAX_POSITIONS_DEFAULT[architecture]),
        tieWordEmbeddings: r.bool("tie_word_embeddings", false),
        attentionBias,
        attentionOutputBias: architecture === "qwen2" ? false : attentionBias,
        qkNorm: architecture === "qwen3",
        bosTokenId: r.tokenId("bos_token_id"),
        eosTokenId: r.tokenIds("eos_token_id"),
        torchDtype,
        sourceJson: structuredClone(json as Json),
    };
    validateDecoderConfig(config, source);
    return config;
}

/**
 * Checks the cross-field rules of a config; `source` names it in messages. Field names
 * in messages are the config.json keys.
 */
export function validateDecoderConfig(c: DecoderConfig, source = "DecoderConfig"): void {
    const fail = (field: string, what: string): never => {
        throw new ModelFormatError(source, `${field} ${what}`, field);
    };
    if (!(c.architecture in ARCHITECTURE_CLASSES)) {
        fail("architecture", `${JSON.stringify(c.architecture)} is not supported (supported: ${Object.keys(ARCHITECTURE_CLASSES).join(", ")})`);
    }
    const ints: [string, number][] = [
        ["vocab_size", c.vocabSize],
        ["hidden_size", c.hiddenSize],
        ["intermediate_size", c.intermediateSize],
        ["num_hidden_layers", c.numLayers],
        ["num_attention_heads", c.numHeads],
        ["num_key_value_heads", c.numKvHeads],
        ["head_dim", c.headDim],
        ["max_position_embeddings", c.maxPositionEmbeddings],
    ];
    for (const [field, v] of ints) {
        if (!Number.isSafeInteger(v) || v <= 0) fail(field, `must be a positive integer, got ${v}`);
    }
    if (c.numHeads % c.numKvHeads !== 0) {
        fail("num_key_value_heads", `(${c.numKvHeads}) must divide num_attention_heads (${c.numHeads})`);
    }
    if (c.headDim % 2 !== 0) fail("head_dim", `(${c.headDim}) must be even for rotary embeddings`);
    if (!(c.rmsNormEps > 0 && Number.isFinite(c.rmsNormEps))) fail("rms_norm_eps", `must be a positive number, got ${c.rmsNormEps}`);
    if (!(c.ropeTheta > 0 && Number.isFinite(c.ropeTheta))) fail("rope_theta", `must be a positive number, got ${c.ropeTheta}`);
    if (c.ropeScaling.type === "linear" && !(c.ropeScaling.factor >= 1)) {
        fail("rope_scaling.factor", `must be >= 1, got ${c.ropeScaling.factor}`);
    } else if (c.ropeScaling.type !== "none" && c.ropeScaling.type !== "linear") {
        fail("rope_scaling", `kind ${JSON.stringify((c.ropeScaling as { type: unknown }).type)} is not supported (supported: linear, none)`);
    }
    if (c.architecture === "qwen2" && (!c.attentionBias || c.attentionOutputBias)) {
        fail("attention_bias", "qwen2 always has q/k/v biases and no o_proj bias");
    }
    if (c.qkNorm !== (c.architecture === "qwen3")) fail("qk_norm", `is ${c.qkNorm}, but only qwen3 (and every qwen3) has q/k norms`);
    const ids: [string, number | null][] = [["bos_token_id", c.bosTokenId]];
    for (const id of Array.isArray(c.eosTokenId) ? c.eosTokenId : [c.eosTokenId]) ids.push(["eos_token_id", id]);
    for (const [field, id] of ids) {
        if (id !== null && !(Number.isSafeInteger(id) && id >= 0 && id < c.vocabSize)) {
            fail(field, `${id} is outside the vocabulary [0, ${c.vocabSize})`);
        }
    }
}

/** The fields a fresh config must give; the rest default as in transformers. */
export type DecoderConfigInit = Pick<
    DecoderConfig,
    "architecture" | "vocabSize" | "hiddenSize" | "intermediateSize" | "numLayers" | "numHeads"
> &
    Partial<Omit<DecoderConfig, "sourceJson" | "qkNorm" | "attentionOutputBias">>;

/** Builds and validates a config in code (for a model the project initialises itself). */
export function makeDecoderConfig(init: DecoderConfigInit): DecoderConfig {
    const arch = init.architecture;
    // In code, head_dim defaults to hidden/heads for every family (config.json always gets
    // head_dim written for qwen3, so transformers' 128 default never applies to it).
    const headDim = init.headDim ?? init.hiddenSize / init.numHeads;
    if (!Number.isInteger(headDim)) {
        throw new ModelFormatError("DecoderConfig", `hidden_size (${init.hiddenSize}) is not divisible by num_attention_heads (${init.numHeads}); give headDim`, "head_dim");
    }
    const attentionBias = arch === "qwen2" ? true : (init.attentionBias ?? false);
    const config: DecoderConfig = {
        architecture: arch,
        vocabSize: init.vocabSize,
        hiddenSize: init.hiddenSize,
        intermediateSize: init.intermediateSize,
        numLayers: init.numLayers,
        numHeads: init.numHeads,
        numKvHeads: init.numKvHeads ?? init.numHeads,
        headDim,
        rmsNormEps: init.rmsNormEps ?? RMS_NORM_EPS_DEFAULT,
        ropeTheta: init.ropeTheta ?? ROPE_THETA_DEFAULT,
        ropeScaling: init.ropeScaling ?? { type: "none" },
        maxPositionEmbeddings: init.maxPositionEmbeddings ?? MAX_POSITIONS_DEFAULT[arch],
        tieWordEmbeddings: init.tieWordEmbeddings ?? false,
        attentionBias,
        attentionOutputBias: arch === "qwen2" ? false : attentionBias,
        qkNorm: arch === "qwen3",
        bosTokenId: init.bosTokenId ?? null,
        eosTokenId: init.eosTokenId ?? null,
        torchDtype: init.torchDtype ?? "float32",
    };
    validateDecoderConfig(config);
    return config;
}

function ropeScalingJson(s: RopeScaling): Json | null {
    return s.type === "linear" ? { type: "linear", rope_type: "linear", factor: s.factor } : null;
}

/**
 * The config.json object for a config. A parsed config keeps every key of its source
 * (in the source's order) with the standard keys updated; a fresh one gets the standard
 * keys of its family, sorted as transformers writes them.
 */
export function decoderConfigToJson(c: DecoderConfig): Json {
    validateDecoderConfig(c);
    const source = c.sourceJson;
    const out: Json = source !== undefined ? structuredClone(source) as Json : {};
    const fresh = source === undefined;
    // A key the source left out stays out while the value is what its absence means.
    const put = (key: string, value: unknown, absentMeans?: unknown) => {
        if (!fresh && !(key in out) && value === absentMeans) return;
        out[key] = value;
    };
    const className = ARCHITECTURE_CLASSES[c.architecture];
    const classes = out.architectures;
    if (!(Array.isArray(classes) && classes[0] === className)) out.architectures = [className];
    out.model_type = c.architecture;
    out.vocab_size = c.vocabSize;
    out.hidden_size = c.hiddenSize;
    out.intermediate_size = c.intermediateSize;
    out.num_hidden_layers = c.numLayers;
    out.num_attention_heads = c.numHeads;
    put("num_key_value_heads", c.numKvHeads, c.numHeads);
    // What an absent head_dim means to transformers: 128 for qwen3, hidden/heads otherwise.
    const headDimAbsent = c.architecture === "qwen3" ? QWEN3_HEAD_DIM_DEFAULT : c.hiddenSize / c.numHeads;
    if (fresh) {
        if (c.architecture !== "qwen2" || c.headDim !== headDimAbsent) out.head_dim = c.headDim;
    } else {
        put("head_dim", c.headDim, headDimAbsent);
    }
    put("hidden_act", "silu", "silu");
    put("rms_norm_eps", c.rmsNormEps, RMS_NORM_EPS_DEFAULT);
    const ropeParameters = out.rope_parameters;
    if (typeof ropeParameters === "object" && ropeParameters !== null) {
        const rp: Json = { ...(ropeParameters as Json), rope_theta: c.ropeTheta, rope_type: c.ropeScaling.type === "linear" ? "linear" : "default" };
        if (c.ropeScaling.type === "linear") rp.factor = c.ropeScaling.factor;
        else delete rp.factor;
        out.rope_parameters = rp;
    } else {
        put("rope_theta", c.ropeTheta, ROPE_THETA_DEFAULT);
        put("rope_scaling", ropeScalingJson(c.ropeScaling), null);
    }
    put("max_position_embeddings", c.maxPositionEmbeddings, MAX_POSITIONS_DEFAULT[c.architecture]);
    put("tie_word_embeddings", c.tieWordEmbeddings, false);
    if (c.architecture !== "qwen2") put("attention_bias", c.attentionBias, false);
    put("bos_token_id", c.bosTokenId, null);
    put("eos_token_id", c.eosTokenId, null);
    if ("dtype" in out && !("torch_dtype" in out)) out.dtype = c.torchDtype;
    else out.torch_dtype = c.torchDtype;
    if (!fresh) return out;

    out.attention_dropout = 0.0;
    out.initializer_range = 0.02;
    out.use_cache = true;
    if (c.architecture === "llama") {
        out.mlp_bias = false;
        out.pretraining_tp = 1;
    } else {
        out.use_sliding_window = false;
        out.sliding_window = null;
        out.max_window_layers = c.numLayers;
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function configPath(dirOrFile: string): string {
    return dirOrFile.endsWith(".json") ? dirOrFile : join(dirOrFile, "config.json");
}

/** Reads config.json from a model folder (or a path to a .json file). */
export async function readDecoderConfig(dirOrFile: string): Promise<DecoderConfig> {
    const file = configPath(dirOrFile);
    let text: string;
    try {
        text = await readFile(file, "utf8");
    } catch (err) {
        if (isNotFound(err)) throw new MissingFileError(file);
        throw err;
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (err) {
        throw new ModelFormatError(file, `not valid JSON (${(err as Error).message})`);
    }
    return parseDecoderConfig(json, file);
}

/** Writes config.json into a folder (or to a .json path), atomically. */
export async function writeDecoderConfig(dirOrFile: string, config: DecoderConfig): Promise<void> {
    await writeJsonAtomic(configPath(dirOrFile), decoderConfigToJson(config));
}

/** A parameter's HF name and shape. */
export interface ParameterSpec {
    name: string;
    shape: number[];
}

/**
 * Every parameter of the model in HF naming, in a stable order: the embedding, then per
 * layer (input norm, q/k/v/o projections with their biases, q/k norms, post-attention
 * norm, gate/up/down), then the final norm and (untied) LM head.
 */
export function parameterSpecs(c: DecoderConfig): ParameterSpec[] {
    validateDecoderConfig(c);
    const D = c.hiddenSize;
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    const specs: ParameterSpec[] = [{ name: "model.embed_tokens.weight", shape: [c.vocabSize, D] }];
    for (let i = 0; i < c.numLayers; i++) {
        const p = `model.layers.${i}`;
        specs.push({ name: `${p}.input_layernorm.weight`, shape: [D] });
        for (const [proj, rows] of [["q_proj", qDim], ["k_proj", kvDim], ["v_proj", kvDim]] as const) {
            specs.push({ name: `${p}.self_attn.${proj}.weight`, shape: [rows, D] });
            if (c.attentionBias) specs.push({ name: `${p}.self_attn.${proj}.bias`, shape: [rows] });
        }
        specs.push({ name: `${p}.self_attn.o_proj.weight`, shape: [D, qDim] });
        if (c.attentionOutputBias) specs.push({ name: `${p}.self_attn.o_proj.bias`, shape: [D] });
        if (c.qkNorm) {
            specs.push({ name: `${p}.self_attn.q_norm.weight`, shape: [c.headDim] });
            specs.push({ name: `${p}.self_attn.k_norm.weight`, shape: [c.headDim] });
        }
        specs.push({ name: `${p}.post_attention_layernorm.weight`, shape: [D] });
        specs.push({ name: `${p}.mlp.gate_proj.weight`, shape: [c.intermediateSize, D] });
        specs.push({ name: `${p}.mlp.up_proj.weight`, shape: [c.intermediateSize, D] });
        specs.push({ name: `${p}.mlp.down_proj.weight`, shape: [D, c.intermediateSize] });
    }
    specs.push({ name: "model.norm.weight", shape: [D] });
    if (!c.tieWordEmbeddings) specs.push({ name: "lm_head.weight", shape: [c.vocabSize, D] });
    return specs;
}

/** The number of scalar parameters (tied embeddings counted once). */
export function parameterCount(c: DecoderConfig): number {
    let n = 0;
    for (const s of parameterSpecs(c)) n += s.shape.reduce((a, b) => a * b, 1);
    return n;
}
