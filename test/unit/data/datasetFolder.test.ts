import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listDatasetFiles, selectDatasetFiles, splitOfPath } from "../../../src/data/readers/datasetFolder.js";
import { fixtures, useTempDir, writeText } from "./tempDir.js";

const temp = useTempDir("folder");

describe("splitOfPath", () => {
    it.each([
        ["data/train-00000-of-00002.parquet", "train", ""],
        ["data/test-00000-of-00001.parquet", "test", ""],
        ["main/train-00000-of-00001.parquet", "train", "main"],
        ["default/train/0000.parquet", "train", "default"],
        ["train/0000.parquet", "train", ""],
        ["train.jsonl", "train", ""],
        ["gsm8k_test.jsonl", "test", ""],
        ["data/validation.jsonl", "validation", ""],
        ["test/part-1.jsonl", "test", ""],
        ["aime24.jsonl", "aime24", ""],
        ["aime24-00000-of-00001.parquet", "aime24", ""],
        ["train_and_test.jsonl", "train_and_test", ""],
    ])("%s → split %s, subset %j", (path, split, subset) => {
        expect(splitOfPath(path)).toEqual({ split, subset });
    });
});

describe("listDatasetFiles / selectDatasetFiles", () => {
    it("lists the Parquet shards of the fixture folder by split", async () => {
        const folder = join(fixtures, "hf-math");
        const files = await listDatasetFiles(folder);
        expect(files.map((f) => [f.relativePath, f.split, f.format])).toEqual([
            ["data/test-00000-of-00001.parquet", "test", "parquet"],
            ["data/train-00000-of-00002.parquet", "train", "parquet"],
            ["data/train-00001-of-00002.parquet", "train", "parquet"],
        ]);
        expect(selectDatasetFiles(folder, files, { split: "train" }).map((f) => f.relativePath)).toEqual([
            "data/train-00000-of-00002.parquet",
            "data/train-00001-of-00002.parquet",
        ]);
        expect(() => selectDatasetFiles(folder, files, {})).toThrow(/has splits "test", "train"; choose one/);
        expect(() => selectDatasetFiles(folder, files, { split: "dev" })).toThrow(/no split "dev" \(splits: "test", "train"\)/);
    });

    it("skips hidden and non-data files, and asks for a subset when there are several", async () => {
        const root = temp("multi");
        writeText(join(root, "README.md"), "# card");
        writeText(join(root, ".cache", "train.jsonl"), "{}\n");
        writeText(join(root, "main", "train-00000-of-00001.jsonl"), "{}\n");
        writeText(join(root, "socratic", "train-00000-of-00001.jsonl"), "{}\n");
        const files = await listDatasetFiles(root);
        expect(files.map((f) => f.relativePath)).toEqual(["main/train-00000-of-00001.jsonl", "socratic/train-00000-of-00001.jsonl"]);
        expect(() => selectDatasetFiles(root, files, { split: "train" })).toThrow(/subsets "main", "socratic"/);
        expect(selectDatasetFiles(root, files, { subset: "socratic" }).map((f) => f.subset)).toEqual(["socratic"]);
        expect(() => selectDatasetFiles(root, [], {})).toThrow("no *.parquet or *.jsonl file");
    });
});
