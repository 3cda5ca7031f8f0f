/**
 * A Hugging Face model folder as a whole, in and out:
 *
 *     config.json              DecoderConfig (config.ts)
 *     generation_config.json   GenerationConfig (optional; defaults when absent)
 *     model.safetensors        or model-0000k-of-0000n.safetensors + model.safetensors.index.json
 *     tokenizer.json, tokenizer_config.json, chat_template.jinja, ...   (optional)
 *
 * Reading checks the weights against the config before any data is read: every parameter
 * of parameterSpecs(config) present with its shape and a loadable dtype, and nothing
 * else, except what transformers also ignores: `lm_head.weight` of a tied model (the
 * embedding is used, as after transformers' tie_weights) and rotary `inv_freq` buffers of
 * old Llama checkpoints. Those are listed in `ignoredTensors`.
 *
 * Writing builds the whole folder under a temporary sibling and renames it into place,
 * so a reader never sees a half-written model.
 */
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { writeTokenizerFiles, type CharTokenizerFiles } from "./charTokenizer.js";
import { decoderConfigToJson, parameterSpecs, readDecoderConfig, type DecoderConfig, type ParameterSpec } from "./config.js";
import { MissingFileError, ModelFormatError, isNotFound } from "./errors.js";
import { writeJsonAtomic } from "./atomicWrite.js";
import {
    GENERATION_CONFIG_FILE,
    defaultGenerationConfig,
    generationConfigToJson,
    parseGenerationConfig,
    readGenerationConfig,
    type GenerationConfig,
} from "./generationConfig.js";
import { LOADABLE_DTYPES, tensorEntries, type Tensor, type TensorMap, type TensorSource, type WriteDtype } from "./safetensors.js";
import { SafetensorsFolder, writeSafetensorsFolder } from "./safetensorsFolder.js";
import { HfTokenizer, TOKENIZER_FILES } from "./tokenizer.js";

export interface ModelFolder {
    dir: string;
    config: DecoderConfig;
    /** generation_config.json, or the defaults when the folder has none. */
    generationConfig: GenerationConfig;
    /** The tokenizer when the folder has tokenizer.json (and loading it was not turned off). */
    tokenizer: HfTokenizer | null;
    /** The parameters, in parameterSpecs order. */
    specs: ParameterSpec[];
    /** The weights, opened lazily (headers read and checked, data not). */
    weights: SafetensorsFolder;
    /** Tensors in the files that are not parameters and were ignored. */
    ignoredTensors: string[];
    /** All file names in the folder. */
    files: string[];
    /** The parameters, when read with loadTensors (the default); otherwise null. */
    tensors: TensorMap | null;
    /** Loads parameters (all by default) as float32, in the order asked. */
    loadParameters(names?: readonly string[]): Promise<TensorMap>;
}

export interface ReadModelFolderOptions {
    /** Load every parameter into `tensors` now. Default true; false leaves them to loadParameters. */
    loadTensors?: boolean;
    /** Load the tokenizer when the folder has one. Default true. */
    tokenizer?: boolean;
}

const MAX_LISTED = 5;

function listSome(items: string[]): string {
    const shown = items.slice(0, MAX_LISTED).map((s) => JSON.stringify(s)).join(", ");
    return items.length > MAX_LISTED ? `${shown} and ${items.length - MAX_LISTED} more` : shown;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
    return a.length === b.length && a.every((d, i) => d === b[i]);
}

const fmt = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/** Reads and checks a model folder. */
export async function readModelFolder(dir: string, options: ReadModelFolderOptions = {}): Promise<ModelFolder> {
    let files: string[];
    try {
        files = (await readdir(dir)).sort();
    } catch (err) {
        if (isNotFound(err)) throw new MissingFileError(dir, "model folder not found");
        throw err;
    }
    const config = await readDecoderConfig(dir);
    const generationConfig = await readGenerationConfig(dir);
    const weights = await SafetensorsFolder.open(dir);
    const specs = parameterSpecs(config);

    const expected = new Map(specs.map((s) => [s.name, s.shape]));
    const missing: string[] = [];
    for (const spec of specs) {
        const info = weights.info(spec.name);
        if (info === undefined) {
            missing.push(spec.name);
            continue;
        }
        const where = join(dir, info.file);
        if (!sameShape(info.shape, spec.shape)) {
            throw new ModelFormatError(where, `tensor "${spec.name}" has shape ${fmt(info.shape)}, but config.json implies ${fmt(spec.shape)}`, spec.name);
        }
        if (!(LOADABLE_DTYPES as readonly string[]).includes(info.dtype)) {
            throw new ModelFormatError(where, `tensor "${spec.name}" has dtype ${info.dtype} (loadable: ${LOADABLE_DTYPES.join(", ")})`, spec.name);
        }
    }
    if (missing.length > 0) {
        const first = missing[0]!;
        throw new ModelFormatError(dir, `the weights lack ${missing.length} parameter(s) config.json requires: ${listSome(missing)} (e.g. "${first}" of shape ${fmt(expected.get(first)!)})`, first);
    }
    const ignoredTensors: string[] = [];
    const unexpected: string[] = [];
    for (const name of weights.names) {
        if (expected.has(name)) continue;
        if (name === "lm_head.weight" && config.tieWordEmbeddings) {
            const info = weights.info(name)!;
            const want = [config.vocabSize, config.hiddenSize];
            if (!sameShape(info.shape, want)) {
                throw new ModelFormatError(join(dir, info.file), `tensor "lm_head.weight" has shape ${fmt(info.shape)}, expected ${fmt(want)}`, name);
            }
            ignoredTensors.push(name);
        } else if (name.endsWith(".rotary_emb.inv_freq")) {
            ignoredTensors.push(name);
        } else {
            unexpected.push(name);
        }
    }
    if (unexpected.length > 0) {
        throw new ModelFormatError(dir, `the weights hold ${unexpected.length} tensor(s) that are not parameters of a ${config.architecture} model with this config: ${listSome(unexpected)}`, unexpected[0]);
    }

    let tokenizer: HfTokenizer | null = null;
    if ((options.tokenizer ?? true) && files.includes("tokenizer.json")) {
        tokenizer = await HfTokenizer.fromFolder(dir);
        if (tokenizer.vocabSize > config.vocabSize) {
            throw new ModelFormatError(dir, `the tokenizer has ${tokenizer.vocabSize} token ids but config.json vocab_size is ${config.vocabSize}`, "vocab_size");
        }
    }
    const loadParameters = async (names: readonly string[] = specs.map((s) => s.name)): Promise<TensorMap> => {
        for (const n of names) {
            if (!expected.has(n)) throw new ModelFormatError(dir, `"${n}" is not a parameter of this model`, n);
        }
        return weights.loadMany(names);
    };
    const tensors = (options.loadTensors ?? true) ? await loadParameters() : null;
    return { dir, config, generationConfig, tokenizer, specs, weights, ignoredTensors, files, tensors, loadParameters };
}

export interface WriteModelFolderOptions {
    config: DecoderConfig;
    /** Exactly the parameters of parameterSpecs(config) (no lm_head.weight when tied). */
    tensors: TensorSource;
    /** Storage dtype; config.json's torch_dtype is set to match. */
    dtype: WriteDtype;
    /** Default: transformers' defaults with the config's bos/eos ids. */
    generationConfig?: GenerationConfig;
    /** Copy the tokenizer files (TOKENIZER_FILES that exist) of this folder. */
    tokenizerSourceDir?: string;
    /** Or write these tokenizer files (e.g. from buildCharTokenizer). */
    tokenizerFiles?: CharTokenizerFiles;
    /** Shard the weights above this many bytes per file (default 5e9). */
    maxShardBytes?: number;
    /** Replace an existing non-empty folder. Default false: that is an error. */
    overwrite?: boolean;
}

function checkTensorsAgainstSpecs(dir: string, config: DecoderConfig, tensors: TensorSource): [string, Tensor][] {
    const given = new Map(tensorEntries(tensors));
    const ordered: [string, Tensor][] = [];
    for (const spec of parameterSpecs(config)) {
        const t = given.get(spec.name);
        if (t === undefined) throw new ModelFormatError(dir, `parameter "${spec.name}" (shape ${fmt(spec.shape)}) is missing from tensors`, spec.name);
        if (!sameShape(t.shape, spec.shape)) {
            throw new ModelFormatError(dir, `parameter "${spec.name}" has shape ${fmt(t.shape)}, but the config implies ${fmt(spec.shape)}`, spec.name);
        }
        ordered.push([spec.name, t]);
        given.delete(spec.name);
    }
    if (given.size > 0) {
        const names = [...given.keys()];
        const why = names.includes("lm_head.weight") && config.tieWordEmbeddings ? " (lm_head.weight is not saved when tie_word_embeddings is true)" : "";
        throw new ModelFormatError(dir, `tensors has ${names.length} name(s) that are not parameters of this config: ${listSome(names)}${why}`, names[0]);
    }
    return ordered;
}

function maxTokenId(tokenizerJson: unknown, file: string): number {
    const model = (tokenizerJson as { model?: { vocab?: unknown } } | null)?.model;
    let maxId = -1;
    const vocab = model?.vocab;
    if (Array.isArray(vocab)) {
        maxId = vocab.length - 1; // Unigram: [piece, score][]
    } else if (typeof vocab === "object" && vocab !== null) {
        for (const id of Object.values(vocab)) {
            if (typeof id === "number") maxId = Math.max(maxId, id);
        }
    } else {
        throw new ModelFormatError(file, "model.vocab is missing", "model.vocab");
    }
    const added = (tokenizerJson as { added_tokens?: unknown }).added_tokens;
    if (Array.isArray(added)) {
        for (const t of added as { id?: unknown }[]) {
            if (typeof t?.id === "number") maxId = Math.max(maxId, t.id);
        }
    }
    return maxId;
}

async function isNonEmptyDir(dir: string): Promise<boolean> {
    try {
        return (await readdir(dir)).length > 0;
    } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
    }
}

/**
 * Writes a complete model folder. Everything goes to a temporary folder beside `dir`,
 * which is then renamed to `dir` (an existing folder is moved aside first and removed
 * last). Returns the file names written.
 */
export async function writeModelFolder(dir: string, options: WriteModelFolderOptions): Promise<string[]> {
    const { config, dtype } = options;
    if (dtype !== "f32" && dtype !== "bf16") throw new RangeError(`writeModelFolder: dtype must be "f32" or "bf16", got ${JSON.stringify(dtype)}`);
    if (options.tokenizerSourceDir !== undefined && options.tokenizerFiles !== undefined) {
        throw new RangeError("writeModelFolder: give tokenizerSourceDir or tokenizerFiles, not both");
    }
    const ordered = checkTensorsAgainstSpecs(dir, config, options.tensors);
    if (!options.overwrite && (await isNonEmptyDir(dir))) {
        throw new ModelFormatError(dir, "folder exists and is not empty (pass overwrite: true to replace it)");
    }
    const savedConfig: DecoderConfig = { ...config, torchDtype: dtype === "bf16" ? "bfloat16" : "float32" };
    const configJson = decoderConfigToJson(savedConfig);
    const generationConfig = options.generationConfig ?? {
        ...defaultGenerationConfig(),
        bosTokenId: config.bosTokenId,
        eosTokenIds: config.eosTokenId === null ? [] : Array.isArray(config.eosTokenId) ? [...config.eosTokenId] : [config.eosTokenId],
    };
    const generationJson = generationConfigToJson(generationConfig);
    parseGenerationConfig(generationJson, GENERATION_CONFIG_FILE);

    // Check the tokenizer fits the embedding before writing anything.
    let tokenizerJson: unknown = options.tokenizerFiles?.tokenizerJson;
    if (options.tokenizerSourceDir !== undefined) {
        const file = join(options.tokenizerSourceDir, "tokenizer.json");
        try {
            tokenizerJson = JSON.parse(await readFile(file, "utf8"));
        } catch (err) {
            if (isNotFound(err)) throw new MissingFileError(file, "file not found (tokenizerSourceDir must hold a tokenizer.json)");
            throw new ModelFormatError(file, `not valid JSON (${(err as Error).message})`);
        }
    }
    if (tokenizerJson !== undefined) {
        const top = maxTokenId(tokenizerJson, "tokenizer.json");
        if (top >= config.vocabSize) {
            throw new ModelFormatError(dir, `the tokenizer has token id ${top} but vocab_size is ${config.vocabSize}`, "vocab_size");
        }
    }

    const parent = dirname(dir);
    await mkdir(parent, { recursive: true });
    const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
    const temp = join(parent, `.${basename(dir)}.tmp-${tag}`);
    await mkdir(temp);
    try {
        await writeJsonAtomic(join(temp, "config.json"), configJson);
        await writeJsonAtomic(join(temp, GENERATION_CONFIG_FILE), generationJson);
        await writeSafetensorsFolder(temp, ordered, { dtype, maxShardBytes: options.maxShardBytes });
        if (options.tokenizerFiles !== undefined) await writeTokenizerFiles(temp, options.tokenizerFiles);
        if (options.tokenizerSourceDir !== undefined) {
            for (const f of TOKENIZER_FILES) {
                try {
                    await copyFile(join(options.tokenizerSourceDir, f), join(temp, f));
                } catch (err) {
                    if (!isNotFound(err)) throw err;
                }
            }
        }
        await swapInto(temp, dir, tag);
    } catch (err) {
        await rm(temp, { recursive: true, force: true });
        throw err;
    }
    return (await readdir(dir)).sort();
}

async function swapInto(temp: string, dir: string, tag: string): Promise<void> {
    let exists = false;
    try {
        exists = (await stat(dir)).isDirectory();
    } catch (err) {
        if (!isNotFound(err)) throw err;
    }
    if (!exists) {
        await rename(temp, dir);
        return;
    }
    const old = join(dirname(dir), `.${basename(dir)}.old-${tag}`);
    await rename(dir, old);
    try {
        await rename(temp, dir);
    } catch (err) {
        await rename(old, dir);
        throw err;
    }
    await rm(old, { recursive: true, force: true });
}
