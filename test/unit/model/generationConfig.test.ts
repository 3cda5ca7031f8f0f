import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelFormatError } from "../../../src/model/errors.js";
import {
    defaultGenerationConfig,
    generationConfigToJson,
    parseGenerationConfig,
    readGenerationConfig,
    writeGenerationConfig,
} from "../../../src/model/generationConfig.js";

// generation_config.json of Qwen/Qwen3-0.6B.
const QWEN3 = {
    bos_token_id: 151643,
    do_sample: true,
    eos_token_id: [151645, 151643],
    pad_token_id: 151643,
    temperature: 0.6,
    top_k: 20,
    top_p: 0.95,
    transformers_version: "4.51.0",
};

let dir: string;
beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "r1-genconfig-"));
});
afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
});

describe("generation_config.json", () => {
    it("parses Qwen3's file, defaults filling the rest", () => {
        const g = parseGenerationConfig(QWEN3);
        expect({ ...g, sourceJson: undefined }).toEqual({
            doSample: true,
            temperature: 0.6,
            topP: 0.95,
            topK: 20,
            minP: null,
            repetitionPenalty: 1,
            maxNewTokens: null,
            maxLength: 20,
            bosTokenId: 151643,
            eosTokenIds: [151645, 151643],
            padTokenId: 151643,
            sourceJson: undefined,
        });
        expect(parseGenerationConfig({ eos_token_id: 2, max_new_tokens: 512, min_p: 0.05 })).toMatchObject({ eosTokenIds: [2], maxNewTokens: 512, minP: 0.05 });
    });

    it("a missing file gives transformers' defaults", async () => {
        const g = await readGenerationConfig(join(dir, "nothing-here"));
        expect(g).toEqual(defaultGenerationConfig());
        expect(g).toMatchObject({ doSample: false, temperature: 1, topP: 1, topK: 50, maxLength: 20, eosTokenIds: [] });
    });

    it("bad values name the file and field", async () => {
        const cases: [Record<string, unknown>, string][] = [
            [{ temperature: "hot" }, "temperature must be a number >= 0"],
            [{ top_p: 0 }, "top_p must be a number in (0, 1]"],
            [{ top_k: 2.5 }, "top_k must be an integer >= 0"],
            [{ eos_token_id: [1, -2] }, "eos_token_id must be a token id or a list of token ids"],
            [{ do_sample: "yes" }, "do_sample must be true or false"],
            [{ max_new_tokens: 0 }, "max_new_tokens must be an integer >= 1"],
        ];
        for (const [json, message] of cases) {
            const file = join(dir, "generation_config.json");
            await writeFile(file, JSON.stringify(json));
            const err = await readGenerationConfig(dir).catch((e: unknown) => e);
            expect(err).toBeInstanceOf(ModelFormatError);
            expect((err as Error).message).toContain(file);
            expect((err as Error).message).toContain(message);
        }
        await writeFile(join(dir, "generation_config.json"), "{oops");
        await expect(readGenerationConfig(dir)).rejects.toThrow("not valid JSON");
    });

    it("round-trips a loaded file and writes only non-defaults for a fresh one", async () => {
        expect(generationConfigToJson(parseGenerationConfig(QWEN3))).toEqual(QWEN3);
        const fresh = { ...defaultGenerationConfig(), temperature: 0.7, eosTokenIds: [5], maxNewTokens: 64 };
        expect(generationConfigToJson(fresh)).toEqual({ temperature: 0.7, eos_token_id: 5, max_new_tokens: 64 });
        await writeGenerationConfig(dir, fresh);
        const back = await readGenerationConfig(dir);
        expect({ ...back, sourceJson: undefined }).toEqual({ ...fresh, sourceJson: undefined });
        expect(JSON.parse(await readFile(join(dir, "generation_config.json"), "utf8"))).toEqual({ temperature: 0.7, eos_token_id: 5, max_new_tokens: 64 });
        await expect(writeGenerationConfig(dir, { ...fresh, topP: 2 })).rejects.toThrow("top_p must be a number in (0, 1]");
    });
});
