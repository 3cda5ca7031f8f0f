/**
 * A small schema walker for plain-data configs: merges a partial input over defaults, checks
 * every value's type, rejects unknown keys (suggesting the closest known one), and applies
 * dotted-key overrides from the command line. Errors name the dotted path of the field.
 *
 * Ranges and cross-field rules are not its business; each config's validate() does those.
 */

/** A config error; `field` is the dotted path at fault ("generation.temperature"). */
export class ConfigError extends Error {
    override readonly name = "ConfigError";

    constructor(
        readonly field: string,
        message: string,
    ) {
        super(message);
    }
}

export type Spec =
    | { kind: "number"; integer?: boolean; nullable?: boolean }
    | { kind: "string"; nullable?: boolean }
    | { kind: "boolean" }
    | { kind: "enum"; values: readonly string[] }
    | { kind: "object"; fields: Readonly<Record<string, Spec>> }
    /** Arrays and unions: `parse` checks the raw value (input or default) and returns a fresh copy. */
    | { kind: "value"; describe: string; parse: (value: unknown, path: string) => unknown };

export function describeValue(value: unknown): string {
    if (typeof value === "string") return JSON.stringify(value);
    if (value === undefined) return "undefined";
    if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value);
    if (Array.isArray(value)) return "an array";
    return `a ${typeof value}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
    return path === "" ? key : `${path}.${key}`;
}

// ---------------------------------------------------------------------------------------------
// Closest-key suggestions

function editDistance(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0]!;
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const up = prev[j]!;
            prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = up;
        }
    }
    return prev[b.length]!;
}

/** Every leaf and group path of an object spec ("generation.temperature", "generation"). */
function allPaths(spec: Spec, path = ""): string[] {
    if (spec.kind !== "object") return [path];
    const out: string[] = path === "" ? [] : [path];
    for (const [key, child] of Object.entries(spec.fields)) out.push(...allPaths(child, join(path, key)));
    return out;
}

/**
 * The known path nearest to an unknown key: first among its siblings, then anywhere in the
 * schema by last segment (so a top-level "temperature" suggests "generation.temperature").
 */
export function closestKey(root: Spec, siblings: readonly string[], key: string, parentPath: string): string | null {
    const lower = key.toLowerCase();
    const limit = Math.max(2, Math.floor(key.length / 3));
    let best: string | null = null;
    let bestDistance = Infinity;
    for (const s of siblings) {
        const d = editDistance(lower, s.toLowerCase());
        if (d < bestDistance) {
            bestDistance = d;
            best = join(parentPath, s);
        }
    }
    if (bestDistance <= limit) return best;
    for (const p of allPaths(root)) {
        const last = p.slice(p.lastIndexOf(".") + 1);
        const d = editDistance(lower, last.toLowerCase());
        if (d < bestDistance) {
            bestDistance = d;
            best = p;
        }
    }
    return bestDistance <= limit ? best : null;
}

function unknownKeyError(root: Spec, fields: Readonly<Record<string, Spec>>, key: string, path: string): ConfigError {
    const known = Object.keys(fields);
    const near = closestKey(root, known, key, path);
    const full = join(path, key);
    const hint = near !== null ? `did you mean "${near}"?` : `known keys${path === "" ? "" : ` of ${path}`}: ${known.join(", ")}`;
    return new ConfigError(full, `unknown config key "${full}": ${hint}`);
}

// ---------------------------------------------------------------------------------------------
// Resolve: input over defaults, type-checked

function checkLeaf(spec: Spec, value: unknown, path: string): unknown {
    switch (spec.kind) {
        case "number":
            if (value === null && spec.nullable) return null;
            if (typeof value !== "number" || Number.isNaN(value)) {
                throw new ConfigError(path, `${path} must be a number${spec.nullable ? " or null" : ""}; got ${describeValue(value)}`);
            }
            if (spec.integer && !Number.isSafeInteger(value)) throw new ConfigError(path, `${path} must be an integer; got ${value}`);
            return value;
        case "string":
            if (value === null && spec.nullable) return null;
            if (typeof value !== "string") {
                throw new ConfigError(path, `${path} must be a string${spec.nullable ? " or null" : ""}; got ${describeValue(value)}`);
            }
            return value;
        case "boolean":
            if (typeof value !== "boolean") throw new ConfigError(path, `${path} must be true or false; got ${describeValue(value)}`);
            return value;
        case "enum":
            if (typeof value !== "string" || !spec.values.includes(value)) {
                throw new ConfigError(path, `${path} must be one of ${spec.values.map((v) => JSON.stringify(v)).join(", ")}; got ${describeValue(value)}`);
            }
            return value;
        case "value":
            return spec.parse(value, path);
        case "object":
            throw new Error("unreachable");
    }
}

/** `input` merged over `defaults` along `spec`; the result shares nothing with either. */
export function resolveWithSpec(root: Spec, spec: Spec, input: unknown, defaults: unknown, path = ""): unknown {
    if (spec.kind === "object") {
        if (input !== undefined && !isPlainObject(input)) {
            throw new ConfigError(path, `${path === "" ? "the config" : path} must be an object; got ${describeValue(input)}`);
        }
        const given = (input ?? {}) as Record<string, unknown>;
        for (const key of Object.keys(given)) {
            if (!(key in spec.fields)) throw unknownKeyError(root, spec.fields, key, path);
        }
        const base = defaults as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        for (const [key, child] of Object.entries(spec.fields)) {
            out[key] = resolveWithSpec(root, child, given[key], base[key], join(path, key));
        }
        return out;
    }
    return checkLeaf(spec, input === undefined ? defaults : input, path);
}

// ---------------------------------------------------------------------------------------------
// Overrides: "a.b.c=value" from the command line

/** The spec at a dotted path, with the length of the part that walked through object specs. */
function specAt(root: Spec, segments: readonly string[]): { spec: Spec; depth: number } {
    let spec = root;
    let path = "";
    for (const [i, key] of segments.entries()) {
        if (spec.kind !== "object") return { spec, depth: i };
        const child = spec.fields[key];
        if (child === undefined) throw unknownKeyError(root, spec.fields, key, path);
        spec = child;
        path = join(path, key);
    }
    return { spec, depth: segments.length };
}

function parseJsonish(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** A command-line string typed by the spec it lands on (a non-string value passes through). */
function coerce(spec: Spec, raw: unknown, path: string): unknown {
    if (typeof raw !== "string") return raw;
    const text = raw.trim();
    switch (spec.kind) {
        case "number": {
            if (spec.nullable && text === "null") return null;
            const n = text === "" ? Number.NaN : Number(text);
            if (!Number.isFinite(n)) throw new ConfigError(path, `${path} must be a number; got ${JSON.stringify(raw)}`);
            return n;
        }
        case "string":
            return spec.nullable && text === "null" ? null : raw;
        case "boolean": {
            const lower = text.toLowerCase();
            if (["true", "1", "yes", "on"].includes(lower)) return true;
            if (["false", "0", "no", "off"].includes(lower)) return false;
            throw new ConfigError(path, `${path} must be true or false; got ${JSON.stringify(raw)}`);
        }
        case "enum":
            return text;
        case "object":
        case "value":
            return parseJsonish(text);
    }
}

function deepCopy<T>(value: T): T {
    return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/**
 * A copy of `partial` with `path = raw` set. Inside a "value" field (an array or union, e.g.
 * "rewards.1.weight"), the field is first copied from the partial or the defaults, then the
 * nested key is set with a JSON-typed value; the field's parser checks the result later.
 */
export function setOverride(root: Spec, defaults: unknown, partial: Record<string, unknown>, path: string, raw: unknown): Record<string, unknown> {
    const segments = path.split(".");
    if (segments.some((s) => s === "")) throw new ConfigError(path, `override key ${JSON.stringify(path)} has an empty segment`);
    const { spec, depth } = specAt(root, segments);
    const out = deepCopy(partial);
    let node: Record<string, unknown> = out;
    let base = defaults as Record<string, unknown> | undefined;
    for (let i = 0; i < depth - 1; i++) {
        const key = segments[i]!;
        if (!isPlainObject(node[key])) node[key] = {};
        node = node[key] as Record<string, unknown>;
        base = base?.[key] as Record<string, unknown> | undefined;
    }
    const fieldKey = segments[depth - 1]!;
    if (depth === segments.length) {
        node[fieldKey] = coerce(spec, raw, path);
        return out;
    }
    // Into a "value" field: copy it whole, then set inside.
    const fieldPath = segments.slice(0, depth).join(".");
    let inner: unknown = node[fieldKey] !== undefined ? node[fieldKey] : deepCopy(base?.[fieldKey]);
    if (typeof inner !== "object" || inner === null) {
        throw new ConfigError(fieldPath, `cannot set ${path}: ${fieldPath} is ${describeValue(inner)}, not an object or array`);
    }
    node[fieldKey] = inner;
    const rest = segments.slice(depth);
    for (const [i, key] of rest.entries()) {
        const container = inner as Record<string, unknown>;
        if (Array.isArray(container) && !/^\d+$/.test(key)) {
            throw new ConfigError(path, `cannot set ${path}: ${key} is not an index into the array ${segments.slice(0, depth + i).join(".")}`);
        }
        if (i === rest.length - 1) {
            container[key] = typeof raw === "string" ? parseJsonish(raw.trim()) : raw;
        } else {
            if (typeof container[key] !== "object" || container[key] === null) container[key] = {};
            inner = container[key];
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Field checks shared by the trainers' validate(): each throws a ConfigError naming the field.

export function fail(field: string, message: string): never {
    throw new ConfigError(field, `${field} ${message}`);
}

export function intAtLeast(value: number, min: number, field: string, why = ""): void {
    if (!Number.isSafeInteger(value) || value < min) fail(field, `must be an integer >= ${min}${why}; got ${String(value)}`);
}

export function inRange(value: number, lo: number, hi: number, field: string, bounds: "[]" | "(]" | "[)" = "[]"): void {
    const okLo = bounds[0] === "[" ? value >= lo : value > lo;
    const okHi = bounds[1] === "]" ? value <= hi : value < hi;
    if (!(typeof value === "number" && okLo && okHi)) fail(field, `must be in ${bounds[0]}${lo}, ${hi}${bounds[1]}; got ${String(value)}`);
}

export function atLeast(value: number, min: number, field: string, why = ""): void {
    if (!(typeof value === "number" && Number.isFinite(value) && value >= min)) fail(field, `must be a finite number >= ${min}${why}; got ${String(value)}`);
}

export function nonEmpty(value: string, field: string, what: string): void {
    if (typeof value !== "string" || value.trim() === "") fail(field, `is required: ${what}`);
}

/**
 * `partial` with overrides applied: "a.b=value" strings (typed by the field they set) or a
 * { "a.b": value } object; unknown keys are errors naming the closest known key. `example` is
 * shown in the error for a malformed flag. Returns a new object.
 */
export function applyDottedOverrides(
    schema: Spec,
    defaults: unknown,
    partial: Record<string, unknown>,
    flags: readonly string[] | Readonly<Record<string, unknown>>,
    example: string,
): Record<string, unknown> {
    const pairs: [string, unknown][] = [];
    if (Array.isArray(flags)) {
        for (const flag of flags as readonly string[]) {
            const eq = typeof flag === "string" ? flag.indexOf("=") : -1;
            if (eq <= 0) throw new ConfigError("", `override ${JSON.stringify(flag)} must look like key=value (e.g. ${example})`);
            pairs.push([flag.slice(0, eq).trim(), flag.slice(eq + 1)]);
        }
    } else {
        pairs.push(...Object.entries(flags));
    }
    let out = partial;
    for (const [key, value] of pairs) out = setOverride(schema, defaults, out, key, value);
    return out;
}
