/**
 * The data files of a Hugging Face dataset folder (a `git clone` of a dataset repository, or a
 * `snapshot_download`), with the split and subset each file belongs to.
 *
 * Files: every `*.parquet` and `*.jsonl` under the folder (at most 4 levels deep), skipping
 * names that start with "." or "__". The split of a file, from its path relative to the folder:
 *
 * 1. a shard name `<split>-00000-of-00003.<ext>` gives `<split>` (`data/train-00000-of-00001.parquet`);
 * 2. a bare number `0000.parquet` (the Parquet-converter layout `<subset>/<split>/0000.parquet`)
 *    takes the name of its folder;
 * 3. a name holding exactly one split word (train, test, validation, valid, val, dev, eval)
 *    between delimiters (- _ . space or digits) gives that word (`gsm8k_train.jsonl` → "train");
 * 4. a file in a folder named by a split word takes that word (`test/part-1.jsonl` → "test");
 * 5. otherwise the file name without its extension (`aime24.jsonl` → "aime24").
 *
 * The subset (a configuration, as in `gsm8k/main/...`) is the first folder of the path unless
 * that folder is `data` or is the file's split folder; files at the top level or in `data/`
 * belong to the default subset "". Split names are kept as written (no "valid" → "validation").
 */
import { readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";

export type DataFormat = "jsonl" | "parquet";

export interface DatasetFile {
    /** Absolute or caller-relative path, as joined from the folder. */
    path: string;
    /** Path relative to the dataset folder, with "/" separators. */
    relativePath: string;
    format: DataFormat;
    split: string;
    /** "" for the default subset. */
    subset: string;
}

const splitWords = ["train", "test", "validation", "valid", "val", "dev", "eval"];
const shardName = /^(.+?)-\d+-of-\d+$/;
const maxDepth = 4;

/** The format of a data file from its extension, or null when it is not one. */
export function formatOfFile(file: string): DataFormat | null {
    const lower = file.toLowerCase();
    if (lower.endsWith(".parquet")) return "parquet";
    if (lower.endsWith(".jsonl")) return "jsonl";
    return null;
}

function stem(name: string): string {
    const dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(0, dot) : name;
}

function splitWordIn(name: string): string | null {
    const found = new Set<string>();
    for (const token of name.toLowerCase().split(/[-_. 0-9]+/)) if (splitWords.includes(token)) found.add(token);
    return found.size === 1 ? [...found][0]! : null;
}

/** The split and subset of a file from its path relative to the dataset folder (see the file comment). */
export function splitOfPath(relativePath: string): { split: string; subset: string } {
    const parts = relativePath.split("/").filter((p) => p !== "");
    const base = stem(parts[parts.length - 1] ?? "");
    const dirs = parts.slice(0, -1);
    const parent = dirs[dirs.length - 1];
    let split: string;
    let splitFromFolder = false;
    const shard = shardName.exec(base);
    if (shard) {
        split = shard[1]!;
    } else if (/^\d+$/.test(base) && parent !== undefined) {
        split = parent;
        splitFromFolder = true;
    } else {
        const word = splitWordIn(base);
        if (word !== null) {
            split = word;
        } else if (parent !== undefined && splitWords.includes(parent.toLowerCase())) {
            split = parent;
            splitFromFolder = true;
        } else {
            split = base;
        }
    }
    const first = dirs[0];
    const subset = first === undefined || first === "data" || (splitFromFolder && dirs.length === 1) ? "" : first;
    return { split, subset };
}

/** The data files of a dataset folder, sorted by path, with split and subset. */
export async function listDatasetFiles(folder: string): Promise<DatasetFile[]> {
    const files: DatasetFile[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
        const entries = await readdir(dir, { withFileTypes: true });
        for (const entry of entries) {
            if (entry.name.startsWith(".") || entry.name.startsWith("__")) continue;
            const path = join(dir, entry.name);
            if (entry.isDirectory()) {
                if (depth < maxDepth) await walk(path, depth + 1);
                continue;
            }
            const format = formatOfFile(entry.name);
            if (format === null || !(entry.isFile() || entry.isSymbolicLink())) continue;
            const relativePath = relative(folder, path).split(sep).join("/");
            files.push({ path, relativePath, format, ...splitOfPath(relativePath) });
        }
    };
    await walk(folder, 1);
    files.sort((a, b) => (a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0));
    return files;
}

/**
 * The files of one split (and subset). Without `split`, the folder must have exactly one split;
 * without `subset`, exactly one subset. Anything else is an error that lists what there is.
 */
export function selectDatasetFiles(folder: string, files: readonly DatasetFile[], choice: { split?: string; subset?: string }): DatasetFile[] {
    if (files.length === 0) throw new Error(`${folder}: no *.parquet or *.jsonl file in the dataset folder`);
    const subsets = [...new Set(files.map((f) => f.subset))];
    let subset = choice.subset;
    if (subset === undefined) {
        if (subsets.length > 1) throw new Error(`${folder}: the dataset has subsets ${list(subsets)}; choose one (subset option)`);
        subset = subsets[0]!;
    } else if (!subsets.includes(subset)) {
        throw new Error(`${folder}: no subset ${JSON.stringify(subset)} (subsets: ${list(subsets)})`);
    }
    const inSubset = files.filter((f) => f.subset === subset);
    const splits = [...new Set(inSubset.map((f) => f.split))];
    let split = choice.split;
    if (split === undefined) {
        if (splits.length > 1) throw new Error(`${folder}: the dataset has splits ${list(splits)}; choose one (split option)`);
        split = splits[0]!;
    } else if (!splits.includes(split)) {
        throw new Error(`${folder}: no split ${JSON.stringify(split)} (splits: ${list(splits)})`);
    }
    return inSubset.filter((f) => f.split === split);
}

function list(names: readonly string[]): string {
    return names.map((n) => (n === "" ? '"" (default)' : JSON.stringify(n))).join(", ");
}
