/**
 * The contract between the GRPO trainer and its reward functions.
 *
 * A reward scores one completion of one prompt. The trainer calls every reward on every
 * completion of a step (see combine.ts), sums the non-null scores with their weights, and turns
 * the sums into group advantages. null means "no opinion" (a math reward on a row without a gold
 * answer, a code reward on a row without tests): it is left out of the weighted sum and out of
 * that reward's mean/std, as TRL does with None.
 */

/** What a reward sees of one completion. */
export interface Completion {
    /** Completion text (special tokens removed). */
    text: string;
    /** Completion token ids (for token-level rewards such as repetition and length). */
    ids: readonly number[];
    /** "stop" | "length" (truncated). */
    finishReason: "stop" | "length";
    /** The prompt text. */
    prompt: string;
}

/** A dataset row: arbitrary columns; `solution`/`answer` hold the gold answer for math tasks. */
export type Sample = Record<string, unknown>;

/** null = no opinion (excluded from the weighted sum and from that reward's mean/std). May be async. */
export type RewardFn = (completion: Completion, sample: Sample) => number | null | Promise<number | null>;

export interface NamedReward {
    name: string;
    fn: RewardFn;
    weight: number;
}

// ---------------------------------------------------------------------------------------------
// Option and input checks shared by the reward factories (not re-exported by index.ts).
// Configs name rewards and options as plain data, so a misspelt option must fail loudly.

/** Throws unless options is undefined or a plain object whose keys are all known. */
export function checkOptions(options: unknown, owner: string, known: readonly string[]): void {
    if (options === undefined) return;
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
        throw new TypeError(`${owner}: options must be an object, got ${describe(options)}`);
    }
    for (const key of Object.keys(options)) {
        if (!known.includes(key)) {
            throw new TypeError(`${owner}: unknown option "${key}" (known: ${known.join(", ")})`);
        }
    }
}

export function finiteOption(value: unknown, field: string, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new TypeError(`${field} must be a finite number, got ${describe(value)}`);
    }
    return value;
}

/** An integer ≥ min (a length or a count). */
export function integerOption(value: unknown, field: string, fallback: number | undefined, min: number): number {
    if (value === undefined) {
        if (fallback === undefined) throw new TypeError(`${field} is required`);
        return fallback;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
        throw new TypeError(`${field} must be an integer ≥ ${min}, got ${describe(value)}`);
    }
    return value;
}

export function booleanOption(value: unknown, field: string, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== "boolean") throw new TypeError(`${field} must be a boolean, got ${describe(value)}`);
    return value;
}

/** The completion's text; a completion without one is a trainer bug, reported with the reward's name. */
export function completionText(completion: Completion, owner: string): string {
    const text = (completion as Partial<Completion> | null | undefined)?.text;
    if (typeof text !== "string") throw new TypeError(`${owner}: completion.text must be a string, got ${describe(text)}`);
    return text;
}

/** The completion's length in tokens (ids may be a plain array or a typed array). */
export function completionLength(completion: Completion, owner: string): number {
    const ids = (completion as Partial<Completion> | null | undefined)?.ids as { length?: unknown } | undefined;
    if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") {
        throw new TypeError(`${owner}: completion.ids must be an array of token ids, got ${describe(ids)}`);
    }
    return ids.length;
}

export function describe(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "an array";
    if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
    return typeof value;
}
