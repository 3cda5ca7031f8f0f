/**
 * Column mapping: which input columns a caller needs, under which names.
 *
 * - `["problem", "solution"]`: those columns, names unchanged;
 * - `{ prompt: "problem", answer: "solution" }`: output name → input column (a rename).
 *
 * An input column may be a dotted path into nested objects ("reward_model.ground_truth"); a key
 * that literally contains the dot wins over the path. A mapped column that is absent or null
 * makes the row bad: `applyColumnMapping` reports which one, it never fills a default.
 */

export type ColumnSpec = readonly string[] | Readonly<Record<string, string>>;

export interface ColumnMapping {
    /** [output name, input column] pairs, in the order given. */
    pairs: readonly (readonly [string, string])[];
    /** The top-level input columns the mapping reads (what a Parquet reader must decode). */
    topLevel: readonly string[];
}

/** Validates a column spec; throws naming the offending entry. */
export function resolveColumnMapping(spec: ColumnSpec, where = "columns"): ColumnMapping {
    const pairs: [string, string][] = [];
    if (Array.isArray(spec)) {
        for (const [i, name] of (spec as readonly unknown[]).entries()) {
            if (typeof name !== "string" || name === "") throw new TypeError(`${where}[${i}] must be a non-empty string, got ${JSON.stringify(name)}`);
            pairs.push([name, name]);
        }
    } else if (typeof spec === "object" && spec !== null) {
        for (const [target, source] of Object.entries(spec as Record<string, unknown>)) {
            if (target === "") throw new TypeError(`${where}: an output column name is empty`);
            if (typeof source !== "string" || source === "") throw new TypeError(`${where}.${target} must name an input column, got ${JSON.stringify(source)}`);
            pairs.push([target, source]);
        }
    } else {
        throw new TypeError(`${where} must be an array of column names or an object { output: input }, got ${JSON.stringify(spec)}`);
    }
    if (pairs.length === 0) throw new TypeError(`${where} is empty`);
    const seen = new Set<string>();
    for (const [target] of pairs) {
        if (seen.has(target)) throw new TypeError(`${where}: output column ${JSON.stringify(target)} is given twice`);
        seen.add(target);
    }
    const topLevel = [...new Set(pairs.map(([, source]) => source.split(".")[0]!))];
    return { pairs, topLevel };
}

/** The value at a column name or dotted path, or undefined. */
export function columnValue(row: Record<string, unknown>, column: string): unknown {
    if (Object.prototype.hasOwnProperty.call(row, column)) return row[column];
    if (!column.includes(".")) return undefined;
    let value: unknown = row;
    for (const part of column.split(".")) {
        if (typeof value !== "object" || value === null || !Object.prototype.hasOwnProperty.call(value, part)) return undefined;
        value = (value as Record<string, unknown>)[part];
    }
    return value;
}

export type MappingResult = { row: Record<string, unknown>; missing?: undefined } | { row?: undefined; missing: string };

/**
 * The mapped row, or the first input column that is absent or null. With `keepOthers`, the
 * other top-level columns are kept too (the mapped input columns are replaced by their outputs).
 */
export function applyColumnMapping(row: Record<string, unknown>, mapping: ColumnMapping, keepOthers = false): MappingResult {
    const out: Record<string, unknown> = {};
    if (keepOthers) {
        const consumed = new Set(mapping.pairs.filter(([, source]) => !source.includes(".")).map(([, source]) => source));
        for (const key of Object.keys(row)) if (!consumed.has(key)) out[key] = row[key];
    }
    for (const [target, source] of mapping.pairs) {
        const value = columnValue(row, source);
        if (value === undefined || value === null) return { missing: source };
        out[target] = value;
    }
    return { row: out };
}
