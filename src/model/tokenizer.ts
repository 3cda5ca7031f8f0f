/**
 * A model folder's tokenizer: `tokenizer.json` + `tokenizer_config.json` through
 * @huggingface/tokenizers (the official JS port of the Rust library), special-token ids
 * resolved as transformers resolves them, and chat templates rendered with
 * @huggingface/jinja with the variables transformers' apply_chat_template provides.
 *
 * Library behaviour this wrapper evens out:
 * - `decode([])` throws in the library; here it returns "".
 * - `decode` of an id outside the vocabulary silently yields ""; here it is a RangeError.
 * - `clean_up_tokenization_spaces` defaults to true in the library but to false in
 *   transformers (>= 4.45); here an unset value means false, so decode(encode(s)) == s.
 * - `raise_exception` is predefined by the jinja runtime (and cannot be overridden); its
 *   error is rethrown naming the template's file.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Template } from "@huggingface/jinja";
import { Tokenizer } from "@huggingface/tokenizers";
import { MissingFileError, ModelFormatError, isNotFound } from "./errors.js";
import { readGenerationConfig, type GenerationConfig } from "./generationConfig.js";

export { buildCharTokenizer, writeTokenizerFiles, type CharTokenizerFiles, type CharTokenizerOptions } from "./charTokenizer.js";

/** Files that make up a tokenizer in a model folder (copied when a folder is saved). */
export const TOKENIZER_FILES = [
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
    "vocab.json",
    "merges.txt",
    "tokenizer.model",
] as const;

/** One chat message; extra keys (reasoning_content, tool_calls, ...) go to the template as-is. */
export interface ChatMessage {
    role: string;
    content: string;
    [key: string]: unknown;
}

export interface ChatTemplateOptions {
    /** Append the prompt that opens the assistant's turn. Default false, as in transformers. */
    addGenerationPrompt?: boolean;
    /** Tool (function) JSON schemas; selects a "tool_use" template when the folder has one. */
    tools?: unknown[];
    /** Retrieval documents, for templates that take them. */
    documents?: unknown[];
    /** Further template variables (e.g. {enable_thinking: false} for Qwen3). */
    extra?: Record<string, unknown>;
    /** A named template of a folder with several. */
    templateName?: string;
}

export interface EncodeOptions {
    /** Add the tokenizer's post-processor tokens (e.g. Llama's BOS). Default true, as in transformers. */
    addSpecialTokens?: boolean;
}

export interface DecodeOptions {
    /** Drop special tokens from the text. Default false. */
    skipSpecialTokens?: boolean;
}

/** The inputs of HfTokenizer.fromObjects. */
export interface TokenizerSources {
    tokenizerJson: unknown;
    tokenizerConfig: unknown;
    /** eos_token_id (possibly a list) of generation_config.json joins the stop ids. */
    generationConfig?: GenerationConfig;
    /** A chat_template.jinja file's text, which takes precedence as the default template. */
    chatTemplateFile?: string;
    /** Names the folder in error messages. */
    source?: string;
}

const SPECIAL_TOKEN_KEYS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] as const;

type Json = Record<string, unknown>;

export class HfTokenizer {
    /** One past the largest token id (model vocabulary plus added tokens). */
    readonly vocabSize: number;
    readonly bosToken: string | null;
    readonly bosTokenId: number | null;
    readonly eosToken: string | null;
    /** tokenizer_config.json's eos_token, or else the first of eosTokenIds. */
    readonly eosTokenId: number | null;
    /** Every id that ends a completion: generation_config.json's eos_token_id(s), then the tokenizer's eos. */
    readonly eosTokenIds: readonly number[];
    readonly padToken: string | null;
    readonly padTokenId: number | null;
    readonly unkTokenId: number | null;
    /** Ids of tokens marked special (skipped by decode with skipSpecialTokens). */
    readonly specialTokenIds: ReadonlySet<number>;
    /** Chat templates by name ("default" for a single one). */
    readonly chatTemplates: ReadonlyMap<string, string>;

    private readonly tokenizer: Tokenizer;
    private readonly specialTokensMap: Record<string, unknown>;
    private readonly compiled = new Map<string, Template>();

    private constructor(
        private readonly sources: TokenizerSources,
        readonly source: string,
    ) {
        const json = sources.tokenizerJson;
        const config = sources.tokenizerConfig;
        const tokenizerFile = `${source}/tokenizer.json`;
        const configFile = `${source}/tokenizer_config.json`;
        if (typeof json !== "object" || json === null || Array.isArray(json) || typeof (json as Json).model !== "object") {
            throw new ModelFormatError(tokenizerFile, "must be a JSON object with a \"model\"", "model");
        }
        if (typeof config !== "object" || config === null || Array.isArray(config)) {
            throw new ModelFormatError(configFile, "must be a JSON object");
        }
        const tokenizerJson = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...(json as Json) };
        const tokenizerConfig: Json = { ...(config as Json) };
        tokenizerConfig.clean_up_tokenization_spaces ??= false;
        try {
            this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
        } catch (err) {
            throw new ModelFormatError(tokenizerFile, `cannot build the tokenizer (${(err as Error).message})`);
        }

        let maxId = -1;
        for (const id of this.tokenizer.get_vocab(true).values()) maxId = Math.max(maxId, id);
        this.vocabSize = maxId + 1;
        const special = new Set<number>();
        for (const [id, token] of this.tokenizer.get_added_tokens_decoder()) if (token.special) special.add(id);

        const resolve = (key: string): [string | null, number | null] => {
            const value = tokenizerConfig[key];
            const content = typeof value === "object" && value !== null ? (value as Json).content : value;
            if (content === undefined || content === null) return [null, null];
            if (typeof content !== "string") throw new ModelFormatError(configFile, `${key} must be a string or null`, key);
            const id = this.tokenizer.token_to_id(content);
            if (id === undefined) throw new ModelFormatError(configFile, `${key} ${JSON.stringify(content)} is not in the vocabulary`, key);
            return [content, id];
        };
        let eosId: number | null;
        let padToken: string | null;
        let padId: number | null;
        [this.bosToken, this.bosTokenId] = resolve("bos_token");
        [this.eosToken, eosId] = resolve("eos_token");
        [padToken, padId] = resolve("pad_token");
        this.unkTokenId = resolve("unk_token")[1];
        for (const id of [this.bosTokenId, eosId, padId, this.unkTokenId]) if (id !== null) special.add(id);
        const additional = tokenizerConfig.additional_special_tokens;
        if (Array.isArray(additional)) {
            for (const t of additional) {
                const content = typeof t === "object" && t !== null ? (t as Json).content : t;
                const id = typeof content === "string" ? this.tokenizer.token_to_id(content) : undefined;
                if (id !== undefined) special.add(id);
            }
        }
        this.specialTokenIds = special;

        const stops: number[] = [...(sources.generationConfig?.eosTokenIds ?? [])];
        for (const id of stops) {
            if (this.tokenizer.id_to_token(id) === undefined) {
                throw new ModelFormatError(`${source}/generation_config.json`, `eos_token_id ${id} is not a token of the tokenizer`, "eos_token_id");
            }
        }
        if (eosId !== null && !stops.includes(eosId)) stops.push(eosId);
        this.eosTokenIds = stops;
        this.eosTokenId = eosId ?? stops[0] ?? null;
        const generationPad = sources.generationConfig?.padTokenId ?? null;
        if (padId === null && generationPad !== null) {
            padToken = this.tokenizer.id_to_token(generationPad) ?? null;
            if (padToken === null) {
                throw new ModelFormatError(`${source}/generation_config.json`, `pad_token_id ${generationPad} is not a token of the tokenizer`, "pad_token_id");
            }
            padId = generationPad;
        }
        this.padToken = padToken;
        this.padTokenId = padId;

        // transformers passes special_tokens_map (the tokens that are set, as strings).
        this.specialTokensMap = {};
        for (const key of SPECIAL_TOKEN_KEYS) {
            const value = tokenizerConfig[key];
            const content = typeof value === "object" && value !== null ? (value as Json).content : value;
            if (typeof content === "string") this.specialTokensMap[key] = content;
        }
        if (Array.isArray(additional)) {
            this.specialTokensMap.additional_special_tokens = additional.map((t) => (typeof t === "object" && t !== null ? (t as Json).content : t));
        }
        this.chatTemplates = collectTemplates(tokenizerConfig.chat_template, sources.chatTemplateFile, configFile);
    }

    /** Builds a tokenizer from parsed JSON objects. */
    static fromObjects(sources: TokenizerSources): HfTokenizer {
        return new HfTokenizer(sources, sources.source ?? "<tokenizer>");
    }

    /**
     * Loads tokenizer.json and tokenizer_config.json (both required) from a folder, plus
     * chat_template.jinja and generation_config.json when present.
     */
    static async fromFolder(dir: string): Promise<HfTokenizer> {
        const tokenizerJson = await readJson(join(dir, "tokenizer.json"));
        const tokenizerConfig = await readJson(join(dir, "tokenizer_config.json"));
        let chatTemplateFile: string | undefined;
        try {
            chatTemplateFile = await readFile(join(dir, "chat_template.jinja"), "utf8");
        } catch (err) {
            if (!isNotFound(err)) throw err;
        }
        const generationConfig = await readGenerationConfig(dir);
        return new HfTokenizer({ tokenizerJson, tokenizerConfig, generationConfig, chatTemplateFile }, dir);
    }

    /** Token ids of `text`. */
    encode(text: string, options: EncodeOptions = {}): number[] {
        if (typeof text !== "string") throw new TypeError(`encode: text must be a string, got ${typeof text}`);
        const { ids } = this.tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true });
        for (let i = 0; i < ids.length; i++) {
            if (ids[i] === undefined) {
                throw new ModelFormatError(`${this.source}/tokenizer.json`, `no id for a piece of ${JSON.stringify(text)} and no unk token`);
            }
        }
        return ids;
    }

    /** The text of token ids; every id must be in [0, vocabSize). */
    decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
        const list = Array.from(ids);
        for (let i = 0; i < list.length; i++) {
            const id = list[i]!;
            if (!Number.isInteger(id) || this.tokenizer.id_to_token(id) === undefined) {
                throw new RangeError(`decode: ids[${i}] = ${id} is not a token id (vocabulary size ${this.vocabSize})`);
            }
        }
        // Skip by id here: the library only skips added tokens flagged special, while
        // transformers also skips the configured bos/eos/pad/unk tokens.
        const kept = options.skipSpecialTokens ? list.filter((id) => !this.specialTokenIds.has(id)) : list;
        if (kept.length === 0) return "";
        return this.tokenizer.decode(kept, { skip_special_tokens: false });
    }

    /** The id of a token string (an added or vocabulary token), or undefined. */
    tokenToId(token: string): number | undefined {
        return this.tokenizer.token_to_id(token);
    }

    /** The token string of an id, or undefined. */
    idToToken(id: number): string | undefined {
        return this.tokenizer.id_to_token(id);
    }

    /** The underlying @huggingface/tokenizers object. */
    get raw(): Tokenizer {
        return this.tokenizer;
    }

    /** The tokenizer's own JSON objects (for copying the tokenizer into a new folder). */
    get files(): { tokenizerJson: unknown; tokenizerConfig: unknown; chatTemplateFile?: string } {
        return { tokenizerJson: this.sources.tokenizerJson, tokenizerConfig: this.sources.tokenizerConfig, chatTemplateFile: this.sources.chatTemplateFile };
    }

    /**
     * Renders the chat template as transformers' apply_chat_template(tokenize=False):
     * variables messages, tools (null when none), documents (null when none),
     * add_generation_prompt, the special tokens (bos_token, eos_token, ... when set) and
     * `extra`; trim_blocks and lstrip_blocks on.
     */
    applyChatTemplate(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
        if (!Array.isArray(messages)) throw new TypeError("applyChatTemplate: messages must be an array");
        messages.forEach((m, i) => {
            if (typeof m !== "object" || m === null || typeof m.role !== "string") {
                throw new TypeError(`applyChatTemplate: messages[${i}].role must be a string`);
            }
        });
        const name = this.pickTemplate(options);
        let template = this.compiled.get(name);
        const where = `${this.source}: chat template "${name}"`;
        if (template === undefined) {
            try {
                template = new Template(this.chatTemplates.get(name)!);
            } catch (err) {
                throw new Error(`${where} does not parse: ${(err as Error).message}`);
            }
            this.compiled.set(name, template);
        }
        const variables: Record<string, unknown> = {
            ...this.specialTokensMap,
            ...(options.extra ?? {}),
            messages: messages.map(withoutUndefined),
            tools: options.tools ?? null,
            documents: options.documents ?? null,
            add_generation_prompt: options.addGenerationPrompt ?? false,
        };
        try {
            return template.render(variables);
        } catch (err) {
            throw new Error(`${where} failed: ${(err as Error).message}`);
        }
    }

    /** The chat rendered and encoded without extra special tokens (the template has them). */
    encodeChat(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): number[] {
        return this.encode(this.applyChatTemplate(messages, options), { addSpecialTokens: false });
    }

    // transformers' choice: the named one; else "tool_use" when tools are given and it
    // exists; else "default".
    private pickTemplate(options: ChatTemplateOptions): string {
        const names = [...this.chatTemplates.keys()];
        if (names.length === 0) {
            throw new ModelFormatError(`${this.source}/tokenizer_config.json`, "has no chat_template (and there is no chat_template.jinja)", "chat_template");
        }
        if (options.templateName !== undefined) {
            if (!this.chatTemplates.has(options.templateName)) {
                throw new ModelFormatError(`${this.source}/tokenizer_config.json`, `no chat template named "${options.templateName}" (have: ${names.join(", ")})`, "chat_template");
            }
            return options.templateName;
        }
        if (options.tools !== undefined && this.chatTemplates.has("tool_use")) return "tool_use";
        if (this.chatTemplates.has("default")) return "default";
        throw new ModelFormatError(`${this.source}/tokenizer_config.json`, `no default chat template; pass templateName (have: ${names.join(", ")})`, "chat_template");
    }
}

function withoutUndefined(m: ChatMessage): Json {
    return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined));
}

function collectTemplates(value: unknown, file: string | undefined, configFile: string): Map<string, string> {
    const out = new Map<string, string>();
    if (typeof value === "string") {
        out.set("default", value);
    } else if (Array.isArray(value)) {
        for (const [i, item] of value.entries()) {
            const { name, template } = (item ?? {}) as Json;
            if (typeof name !== "string" || typeof template !== "string") {
                throw new ModelFormatError(configFile, `chat_template[${i}] must be {name: string, template: string}`, "chat_template");
            }
            out.set(name, template);
        }
    } else if (value !== undefined && value !== null) {
        throw new ModelFormatError(configFile, "chat_template must be a string or a list of {name, template}", "chat_template");
    }
    if (file !== undefined) out.set("default", file);
    return out;
}

async function readJson(file: string): Promise<unknown> {
    let text: string;
    try {
        text = await readFile(file, "utf8");
    } catch (err) {
        if (isNotFound(err)) throw new MissingFileError(file);
        throw err;
    }
    try {
        return JSON.parse(text);
    } catch (err) {
        throw new ModelFormatError(file, `not valid JSON (${(err as Error).message})`);
    }
}
