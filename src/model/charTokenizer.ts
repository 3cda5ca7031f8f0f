/**
 * A character-level tokenizer in the real Hugging Face format, for the tiny models the
 * project trains itself: every character of a given set is one token, special tokens
 * (<|im_start|>, <think>, ...) are single added tokens, and the files load in
 * transformers (PreTrainedTokenizerFast), the Rust tokenizers library and
 * @huggingface/tokenizers alike.
 *
 * The model is BPE with no merges and no pre-tokenizer, so a text splits into its
 * characters (Unicode code points); the Fuse decoder joins them back with nothing between.
 * A character outside the set becomes the unk token, or with byteFallback its UTF-8
 * bytes as <0xNN> tokens (decoded back by the ByteFallback decoder), so no input is lost
 * silently. Ids: the characters in the order given, then the 256 byte tokens (byteFallback),
 * then unk, then the special tokens.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "./atomicWrite.js";

export interface CharTokenizerOptions {
    /** Token for characters outside the set; null for none (then byteFallback is required). Default "<unk>". */
    unkToken?: string | null;
    /** Encode unknown characters as their UTF-8 bytes (<0x00> ... <0xFF>). Default false. */
    byteFallback?: boolean;
    /** Default: "<|im_end|>" when among the special tokens, else "<|endoftext|>" when among them, else none. */
    eosToken?: string | null;
    /** Default: "<|endoftext|>" when among the special tokens, else none. */
    padToken?: string | null;
    /** Default none (the chat template carries the structure). */
    bosToken?: string | null;
    /** A jinja chat template for tokenizer_config.json (see CHATML_TEMPLATE). */
    chatTemplate?: string;
    /** tokenizer_config.json model_max_length, when set. */
    modelMaxLength?: number;
}

/** The two JSON documents of a tokenizer. */
export interface CharTokenizerFiles {
    tokenizerJson: Record<string, unknown>;
    tokenizerConfig: Record<string, unknown>;
}

/** A ChatML template (Qwen's turn format without tools or thinking rules). */
export const CHATML_TEMPLATE =
    "{%- for message in messages %}" +
    "{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}" +
    "{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";

function byteToken(b: number): string {
    return `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
}

/**
 * Builds tokenizer.json and tokenizer_config.json for a character vocabulary.
 * `chars` is a string (each code point a character) or a list of single characters.
 */
export function buildCharTokenizer(
    chars: string | Iterable<string>,
    specialTokens: readonly string[],
    options: CharTokenizerOptions = {},
): CharTokenizerFiles {
    const charList: string[] = [];
    const seen = new Set<string>();
    for (const c of typeof chars === "string" ? Array.from(chars) : chars) {
        if (typeof c !== "string" || Array.from(c).length !== 1) {
            throw new RangeError(`buildCharTokenizer: chars must be single characters, got ${JSON.stringify(c)}`);
        }
        if (!seen.has(c)) charList.push(c);
        seen.add(c);
    }
    if (charList.length === 0) throw new RangeError("buildCharTokenizer: chars is empty");

    const unkToken = options.unkToken === undefined ? "<unk>" : options.unkToken;
    const byteFallback = options.byteFallback ?? false;
    if (unkToken === null && !byteFallback) {
        throw new RangeError("buildCharTokenizer: give unkToken or byteFallback, or characters outside the set would be dropped");
    }
    const specials = [...specialTokens];
    const taken = new Set<string>(charList);
    for (const t of specials) {
        if (typeof t !== "string" || t.length === 0) throw new RangeError(`buildCharTokenizer: special tokens must be non-empty strings, got ${JSON.stringify(t)}`);
        if (taken.has(t)) throw new RangeError(`buildCharTokenizer: special token ${JSON.stringify(t)} is given twice or is also a character`);
        taken.add(t);
    }
    if (unkToken !== null && taken.has(unkToken)) {
        throw new RangeError(`buildCharTokenizer: unkToken ${JSON.stringify(unkToken)} is also a character or special token`);
    }

    const vocab: Record<string, number> = {};
    let next = 0;
    for (const c of charList) vocab[c] = next++;
    if (byteFallback) {
        for (let b = 0; b < 256; b++) {
            const t = byteToken(b);
            if (t in vocab) throw new RangeError(`buildCharTokenizer: ${t} clashes with a byte-fallback token`);
            vocab[t] = next++;
        }
    }
    const addedTokens: Record<string, unknown>[] = [];
    const addSpecial = (content: string) => {
        vocab[content] = next;
        addedTokens.push({ id: next, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
        next++;
    };
    if (unkToken !== null) addSpecial(unkToken);
    for (const t of specials) addSpecial(t);

    const pick = (given: string | null | undefined, fallbacks: string[], key: string): string | null => {
        if (given !== undefined) {
            if (given !== null && !specials.includes(given) && given !== unkToken) {
                throw new RangeError(`buildCharTokenizer: ${key} ${JSON.stringify(given)} must be one of the special tokens`);
            }
            return given;
        }
        return fallbacks.find((t) => specials.includes(t)) ?? null;
    };
    const eosToken = pick(options.eosToken, ["<|im_end|>", "<|endoftext|>"], "eosToken");
    const padToken = pick(options.padToken, ["<|endoftext|>"], "padToken");
    const bosToken = pick(options.bosToken, [], "bosToken");

    const tokenizerJson: Record<string, unknown> = {
        version: "1.0",
        truncation: null,
        padding: null,
        added_tokens: addedTokens,
        normalizer: null,
        pre_tokenizer: null,
        post_processor: null,
        decoder: byteFallback ? { type: "Sequence", decoders: [{ type: "ByteFallback" }, { type: "Fuse" }] } : { type: "Fuse" },
        model: {
            type: "BPE",
            dropout: null,
            unk_token: unkToken,
            continuing_subword_prefix: null,
            end_of_word_suffix: null,
            fuse_unk: false,
            byte_fallback: byteFallback,
            ignore_merges: false,
            vocab,
            merges: [],
        },
    };

    const addedTokensDecoder: Record<string, unknown> = {};
    for (const t of addedTokens) {
        const { id, ...rest } = t;
        addedTokensDecoder[String(id)] = rest;
    }
    const named = new Set([eosToken, padToken, bosToken, unkToken]);
    const tokenizerConfig: Record<string, unknown> = {
        added_tokens_decoder: addedTokensDecoder,
        additional_special_tokens: specials.filter((t) => !named.has(t)),
        bos_token: bosToken,
        clean_up_tokenization_spaces: false,
        eos_token: eosToken,
        pad_token: padToken,
        split_special_tokens: false,
        tokenizer_class: "PreTrainedTokenizerFast",
        unk_token: unkToken,
    };
    if (options.modelMaxLength !== undefined) tokenizerConfig.model_max_length = options.modelMaxLength;
    if (options.chatTemplate !== undefined) tokenizerConfig.chat_template = options.chatTemplate;
    return { tokenizerJson, tokenizerConfig };
}

/** Writes tokenizer.json and tokenizer_config.json into `dir` (created if needed), each atomically. */
export async function writeTokenizerFiles(dir: string, files: CharTokenizerFiles): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeJsonAtomic(join(dir, "tokenizer.json"), files.tokenizerJson);
    await writeJsonAtomic(join(dir, "tokenizer_config.json"), files.tokenizerConfig);
}
