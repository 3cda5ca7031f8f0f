/**
 * `generation_config.json`: the sampling defaults a model ships with (Qwen3, for example,
 * asks for temperature 0.6, top_p 0.95, top_k 20 and stops on either of two eos ids).
 * Missing keys, or a missing file, take transformers' GenerationConfig defaults.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "./atomicWrite.js";
import { ModelFormatError, isNotFound } from "./errors.js";

export const GENERATION_CONFIG_FILE = "generation_config.json";

/** Sampling settings, with transformers' names in camelCase. */
export interface GenerationConfig {
    /** false: greedy decoding (transformers' default); true: sample with the settings below. */
    doSample: boolean;
    /** Softmax temperature, > 0 when sampling. Default 1. */
    temperature: number;
    /** Nucleus mass in (0, 1]. Default 1 (off). */
    topP: number;
    /** Keep the k most likely tokens; 0 turns it off. Default 50. */
    topK: number;
    /** Minimum probability relative to the top token, in [0, 1]; null: off. */
    minP: number | null;
    /** > 0; 1 is off. */
    repetitionPenalty: number;
    /** Tokens to generate past the prompt; null: unset (maxLength applies). */
    maxNewTokens: number | null;
    /** Prompt plus completion, in tokens. Default 20, as in transformers. */
    maxLength: number;
    bosTokenId: number | null;
    /** Every id that ends a completion (a single eos_token_id becomes a one-element list). */
    eosTokenIds: number[];
    padTokenId: number | null;
    /** The file this came from, for keys not modelled here; absent when built in code. */
    sourceJson?: Readonly<Record<string, unknown>>;
}

/** transformers' GenerationConfig defaults. */
export function defaultGenerationConfig(): GenerationConfig {
    return {
        doSample: false,
        temperature: 1,
        topP: 1,
        topK: 50,
        minP: null,
        repetitionPenalty: 1,
        maxNewTokens: null,
        maxLength: 20,
        bosTokenId: null,
        eosTokenIds: [],
        padTokenId: null,
    };
}

/** Parses a generation_config.json object; `source` names it in errors. */
export function parseGenerationConfig(json: unknown, source = GENERATION_CONFIG_FILE): GenerationConfig {
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
        throw new ModelFormatError(source, "generation config must be a JSON object");
    }
    const obj = json as Record<string, unknown>;
    const fail = (field: string, what: string): never => {
        throw new ModelFormatError(source, `${field} ${what}, got ${JSON.stringify(obj[field])}`, field);
    };
    const present = (field: string) => obj[field] !== undefined && obj[field] !== null;
    const num = (field: string, ok: (v: number) => boolean, rule: string, fallback: number): number => {
        if (!present(field)) return fallback;
        const v = obj[field];
        if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) fail(field, rule);
        return v as number;
    };
    const int = (field: string, min: number, fallback: number | null): number | null => {
        if (!present(field)) return fallback;
        const v = obj[field];
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) fail(field, `must be an integer >= ${min}`);
        return v as number;
    };
    const d = defaultGenerationConfig();
    let eosTokenIds: number[] = [];
    if (present("eos_token_id")) {
        const v = obj.eos_token_id;
        const list = Array.isArray(v) ? v : [v];
        if (!list.every((x) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0)) {
            fail("eos_token_id", "must be a token id or a list of token ids");
        }
        eosTokenIds = [...new Set(list as number[])];
    }
    if (present("do_sample") && typeof obj.do_sample !== "boolean") fail("do_sample", "must be true or false");
    return {
        doSample: (obj.do_sample as boolean | undefined) ?? d.doSample,
        temperature: num("temperature", (v) => v >= 0, "must be a number >= 0", d.temperature),
        topP: num("top_p", (v) => v > 0 && v <= 1, "must be a number in (0, 1]", d.topP),
        topK: int("top_k", 0, d.topK)!,
        minP: present("min_p") ? num("min_p", (v) => v >= 0 && v <= 1, "must be a number in [0, 1]", 0) : null,
        repetitionPenalty: num("repetition_penalty", (v) => v > 0, "must be a number > 0", d.repetitionPenalty),
        maxNewTokens: int("max_new_tokens", 1, null),
        maxLength: int("max_length", 1, d.maxLength)!,
        bosTokenId: int("bos_token_id", 0, null),
        eosTokenIds,
        padTokenId: int("pad_token_id", 0, null),
        sourceJson: structuredClone(obj),
    };
}

/** Reads generation_config.json from a folder; a missing file gives the defaults. */
export async function readGenerationConfig(dir: string): Promise<GenerationConfig> {
    const file = join(dir, GENERATION_CONFIG_FILE);
    let text: string;
    try {
        text = await readFile(file, "utf8");
    } catch (err) {
        if (isNotFound(err)) return defaultGenerationConfig();
        throw err;
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (err) {
        throw new ModelFormatError(file, `not valid JSON (${(err as Error).message})`);
    }
    return parseGenerationConfig(json, file);
}

/**
 * The generation_config.json object: a parsed config keeps its source's keys with the
 * modelled ones updated; other keys are written only when they differ from the defaults.
 * Unset values (null) are left out.
 */
export function generationConfigToJson(g: GenerationConfig): Record<string, unknown> {
    const fresh = g.sourceJson === undefined;
    const out: Record<string, unknown> = fresh ? {} : (structuredClone(g.sourceJson) as Record<string, unknown>);
    const set = (key: string, value: unknown, defaultValue: unknown = null) => {
        // Keys absent from the source (all, for a fresh file) are written only when they
        // differ from the defaults, as transformers writes the file.
        if (value === null) delete out[key];
        else if (key in out || value !== defaultValue) out[key] = value;
    };
    const d = defaultGenerationConfig();
    set("do_sample", g.doSample, d.doSample);
    set("temperature", g.temperature, d.temperature);
    set("top_p", g.topP, d.topP);
    set("top_k", g.topK, d.topK);
    set("min_p", g.minP);
    set("repetition_penalty", g.repetitionPenalty, d.repetitionPenalty);
    set("max_new_tokens", g.maxNewTokens);
    set("max_length", g.maxLength, d.maxLength);
    set("bos_token_id", g.bosTokenId);
    set("eos_token_id", g.eosTokenIds.length === 0 ? null : g.eosTokenIds.length === 1 ? g.eosTokenIds[0] : [...g.eosTokenIds]);
    set("pad_token_id", g.padTokenId);
    return out;
}

/** Writes generation_config.json into a folder, atomically. */
export async function writeGenerationConfig(dir: string, g: GenerationConfig): Promise<void> {
    // Validate through the parser so a bad value never reaches the file.
    const json = generationConfigToJson(g);
    parseGenerationConfig(json, "GenerationConfig");
    await writeJsonAtomic(join(dir, GENERATION_CONFIG_FILE), json);
}
