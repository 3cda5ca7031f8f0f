/**
 * The text curation steps compare: the value of one or more columns, normalised.
 *
 * Normalisation (as Open R1's decontamination does, plus Unicode folding): NFKC, lower case,
 * runs of white space collapsed to one space, trimmed. With `stripPunctuation`, punctuation
 * and symbols (Unicode P and S) become spaces first, so "x=1." and "x = 1" compare equal.
 */
import { createHash } from "node:crypto";
import { columnValue } from "../readers/columnMapping.js";

export interface NormalizeOptions {
    /** Replace punctuation and symbols with spaces before collapsing white space. Default false. */
    stripPunctuation?: boolean;
}

const punctuation = /[\p{P}\p{S}]/gu;

export function normalizeText(text: string, options: NormalizeOptions = {}): string {
    let s = text.normalize("NFKC").toLowerCase();
    if (options.stripPunctuation === true) s = s.replace(punctuation, " ");
    return s.replace(/\s+/gu, " ").trim();
}

/** Words of a normalised text (split on its single spaces). */
export function words(normalized: string): string[] {
    return normalized === "" ? [] : normalized.split(" ");
}

/** The word n-grams of `tokens`, each joined by one space; none when there are fewer than n words. */
export function wordNgrams(tokens: readonly string[], n: number): string[] {
    const grams: string[] = [];
    for (let i = 0; i + n <= tokens.length; i++) grams.push(tokens.slice(i, i + n).join(" "));
    return grams;
}

/** A 128-bit content hash (base64) of a string; collisions are not a practical concern. */
export function contentHash(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("base64").slice(0, 22);
}

/**
 * The text of a row for curation: the named columns joined by "\n". A string is used as is; a
 * chat (an array of { content } messages) contributes its contents; a number its decimal form.
 * Returns the first column with no usable text instead, so the caller can report it.
 */
export function rowText(row: Record<string, unknown>, columns: readonly string[]): { text: string; missing?: undefined } | { text?: undefined; missing: string } {
    const parts: string[] = [];
    for (const column of columns) {
        const part = textOf(columnValue(row, column));
        if (part === null) return { missing: column };
        parts.push(part);
    }
    return { text: parts.join("\n") };
}

function textOf(value: unknown): string | null {
    if (typeof value === "string") return value;
    if (typeof value === "number" && Number.isFinite(value)) return String(value);
    if (Array.isArray(value) && value.length > 0) {
        const contents: string[] = [];
        for (const message of value) {
            const content = typeof message === "object" && message !== null ? (message as Record<string, unknown>).content : undefined;
            if (typeof content !== "string") return null;
            contents.push(content);
        }
        return contents.join("\n");
    }
    return null;
}

/** The reason used when a row lacks the text a step needs. */
export const noTextReason = (column: string): string => `no text in column ${JSON.stringify(column)}`;

/** Throws unless `columns` is a non-empty list of non-empty names. */
export function checkColumns(columns: unknown, where: string): readonly string[] {
    if (!Array.isArray(columns) || columns.length === 0 || !columns.every((c) => typeof c === "string" && c !== "")) {
        throw new TypeError(`${where} must be a non-empty array of column names, got ${JSON.stringify(columns)}`);
    }
    return columns as string[];
}
