/**
 * The SFT trainer on a tiny randomly initialised decoder: exact gradient accumulation, a short
 * run whose loss falls, resume equal to an uninterrupted run, and the RoPE overrides landing in
 * the saved config.json (and in the arithmetic).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHATML_TEMPLATE, buildCharTokenizer } from "../../src/model/charTokenizer.js";
import { makeDecoderConfig } from "../../src/model/config.js";
import { Policy } from "../../src/model/policy.js";
import { HfTokenizer } from "../../src/model/tokenizer.js";
import { resolveSftConfig, type SftConfigInput } from "../../src/train/sft/config.js";
import { rebuildWithOverrides } from "../../src/train/sft/modelOverrides.js";
import { packExamples } from "../../src/train/sft/pack.js";
import { accumulateGradients } from "../../src/train/sft/step.js";
import { tokeniseRows } from "../../src/train/sft/tokenise.js";
import { createSftTrainer } from "../../src/train/sft/trainer.js";
import { expectClose } from "../helpers/numeric.js";

const CHARS = "0123456789+=\n ";
const tokenizerFiles = buildCharTokenizer(CHARS, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], { chatTemplate: CHATML_TEMPLATE });
const tokenizer = HfTokenizer.fromObjects(tokenizerFiles);
const modelConfig = makeDecoderConfig({
    architecture: "qwen2", vocabSize: tokenizer.vocabSize, hiddenSize: 16, intermediateSize: 32, numLayers: 1, numHeads: 2, numKvHeads: 1,
    maxPositionEmbeddings: 256,
});

function tinyPolicy(seed = 1): Policy {
    return Policy.fromConfig(modelConfig, { seed, tokenizer, tokenizerFiles, initStd: 0.1 });
}

let work: string;
let dataFile: string;
let modelDir: string;

beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "r1-sft-"));
    const rows: string[] = [];
    for (let i = 0; i < 24; i++) {
        const a = (i * 7) % 10, b = (i * 3 + 1) % 10;
        rows.push(JSON.stringify({ prompt: `${a}+${b}=`, completion: String(a + b), id: i }));
    }
    dataFile = path.join(work, "train.jsonl");
    fs.writeFileSync(dataFile, `${rows.join("\n")}\n`);
    modelDir = path.join(work, "base");
    await tinyPolicy().save(modelDir, { dtype: "f32" });
});

afterAll(() => {
    fs.rmSync(work, { recursive: true, force: true });
});

function config(outputDir: string, over: SftConfigInput = {}) {
    return resolveSftConfig({
        model: modelDir,
        outputDir,
        seed: 5,
        ...over,
        data: { path: dataFile, maxLength: 16, ...over.data },
        training: { tokenBudget: 32, ...over.training },
        optimisation: { learningRate: 3e-3, lrSchedule: { type: "constant" }, ...over.optimisation },
        logging: { saveEverySteps: 0, ...over.logging },
    });
}

function readLines(file: string): Record<string, unknown>[] {
    return fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
}

const withoutTiming = (lines: Record<string, unknown>[]) => lines.map(({ timing: _timing, ...rest }) => rest);

describe("SFT gradient accumulation", () => {
    it("1 micro-batch of 4 sequences equals 4 micro-batches of 1 (loss and every gradient)", async () => {
        const rows = ["1+2=", "3+4=", "9+9=", "5+0="].map((prompt, i) => ({
            row: { prompt, completion: ["3", "7", "18 ", "5"][i]! },
            where: `r${i}`,
        }));
        const { examples } = tokeniseRows(tokenizer, rows, config(path.join(work, "unused")).data);
        // Unequal completion lengths, so a per-micro-batch mean would weight tokens differently.
        expect(new Set(examples.map((e) => e.lossTokens)).size).toBeGreaterThan(1);

        const one = tinyPolicy(3);
        one.zeroGrad();
        const a = await accumulateGradients(one, [packExamples(examples, [0, 1, 2, 3])]);
        const four = tinyPolicy(3);
        four.zeroGrad();
        const b = await accumulateGradients(four, [0, 1, 2, 3].map((i) => packExamples(examples, [i])));
        expect(b.lossTokens).toBe(a.lossTokens);
        expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 * Math.abs(a.loss));
        for (const name of one.parameterNames()) expectClose(name, four.getGradient(name), one.getGradient(name), { atol: 1e-6, rtol: 1e-4 });

        // The same split with each micro-batch's own mean (no shared denominator) is not the same step.
        const naive = tinyPolicy(3);
        naive.zeroGrad();
        let naiveLoss = 0;
        for (const i of [0, 1, 2, 3]) {
            const batch = packExamples(examples, [i]);
            naiveLoss += (await naive.forwardBackward(batch, { kind: "sft", lossMask: batch.lossMask })).loss / 4;
        }
        expect(Math.abs(naiveLoss - a.loss)).toBeGreaterThan(1e-3 * Math.abs(a.loss));
    });
});

describe("SftTrainer", () => {
    it("a short run on a tiny model lowers the training and held-out loss", async () => {
        const outputDir = path.join(work, "learn");
        const c = config(outputDir, { saveDtype: "f32", data: { evalFraction: 0.25 }, training: { maxSteps: 30 }, logging: { evalEverySteps: 10 } });
        const trainer = await createSftTrainer(c, { policy: tinyPolicy() });
        expect(trainer.data.eval.length).toBe(6);
        expect(trainer.data.train.length).toBe(18);
        const result = await trainer.train();
        expect(result).toMatchObject({ steps: 30, stopped: false });
        const lines = readLines(trainer.metricsPath);
        expect(lines.length).toBe(30);
        const first = lines[0]!, last = lines[29]!;
        expect(last.loss as number).toBeLessThan((first.loss as number) * 0.6);
        const evals = lines.filter((l) => "evalLoss" in l).map((l) => l.evalLoss as number);
        expect(evals.length).toBe(3);
        expect(evals[2]!).toBeLessThan(evals[0]!);
        for (const l of lines) expect(l).toMatchObject({ lr: 3e-3, epoch: expect.any(Number), gradNorm: expect.any(Number) });
        // The final model is a loadable Hugging Face folder with the trained weights.
        const saved = await Policy.fromPretrained(result.modelDir!);
        expect(saved.getParameter("lm_head.weight")).toEqual(trainer.policy.getParameter("lm_head.weight"));
        const tps = lines.reduce((s, l) => s + (l.timing as { tokensPerSecond: number }).tokensPerSecond, 0) / lines.length;
        console.log(`sft tiny model: ${Math.round(tps)} tokens/s (mean over ${lines.length} steps)`);
    });

    it("resume after a stop writes the same metrics lines as an uninterrupted run", async () => {
        const over: SftConfigInput = {
            data: { evalFraction: 0.25 },
            training: { epochs: 2, gradientAccumulationSteps: 2, tokenBudget: 16 },
            optimisation: { lrSchedule: { type: "cosine", warmupSteps: 2 } },
            logging: { logEverySteps: 2, evalEverySteps: 3 },
        };
        const straight = await createSftTrainer(config(path.join(work, "straight"), over));
        await straight.train();
        const want = withoutTiming(readLines(straight.metricsPath));
        // Two epochs, crossed in the middle; a line every 2 steps, plus eval steps and the last.
        expect(straight.totalSteps).toBe(10);
        expect(new Set(want.map((l) => l.epoch))).toEqual(new Set([0, 1]));

        const dir = path.join(work, "resumed");
        const first = await createSftTrainer(config(dir, over), {
            onStep: (r) => {
                if (r.step === 5) first.requestStop();
            },
        });
        const stopped = await first.train();
        expect(stopped).toMatchObject({ steps: 5, stopped: true, modelDir: null });
        expect(fs.existsSync(path.join(dir, "checkpoints", "step-000005", "trainer_state.json"))).toBe(true);
        const second = await createSftTrainer(config(dir, over), { resume: true });
        expect(second.stepsDone).toBe(5);
        const done = await second.train();
        expect(done.steps).toBe(straight.totalSteps);
        expect(withoutTiming(readLines(second.metricsPath))).toEqual(want);

        // A resume with other data-order settings is refused, naming the setting.
        await expect(createSftTrainer(config(dir, { ...over, seed: 6 } as SftConfigInput), { resume: true })).rejects.toThrow(/made with seed 5 but this run has 6/);
    });

    it("trains chat rows on the assistant turns only", async () => {
        const file = path.join(work, "chat.jsonl");
        const chats = [["1+1=", "2"], ["5+5=", "10"], ["2+2=", "4"]].map(([q, a]) => ({ messages: [{ role: "user", content: q }, { role: "assistant", content: a }] }));
        fs.writeFileSync(file, chats.map((c) => JSON.stringify(c)).join("\n"));
        const outputDir = path.join(work, "chat");
        const trainer = await createSftTrainer(config(outputDir, { data: { path: file, format: "messages", maxLength: 64 }, training: { epochs: 1, tokenBudget: 256 } }));
        await trainer.train();
        const [line] = readLines(trainer.metricsPath);
        // Each assistant turn: its digits and <|im_end|>.
        expect(line).toMatchObject({ step: 1, sequences: 3, lossTokens: 2 + 3 + 2 });
    });

    it("writes ropeThetaOverride and maxPositionEmbeddings into the saved config.json", async () => {
        const outputDir = path.join(work, "rope");
        const c = config(outputDir, { ropeThetaOverride: 300000, maxPositionEmbeddings: 512, training: { maxSteps: 2 }, logging: { saveEverySteps: 1 } });
        const trainer = await createSftTrainer(c);
        expect(trainer.policy.config.ropeTheta).toBe(300000);
        const { modelDir: out } = await trainer.train();
        for (const file of [path.join(out!, "config.json"), path.join(outputDir, "checkpoints", "step-000002", "config.json")]) {
            const json = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
            expect(json.rope_theta).toBe(300000);
            expect(json.max_position_embeddings).toBe(512);
        }
        expect(fs.existsSync(path.join(out!, "tokenizer.json"))).toBe(true);
        // The starting folder is untouched.
        const source = JSON.parse(fs.readFileSync(path.join(modelDir, "config.json"), "utf8")) as Record<string, unknown>;
        expect(source.rope_theta ?? 10000).toBe(10000);
        expect(source.max_position_embeddings).toBe(256);
    });

    it("a rebuilt policy computes with the new θ, and maxLength is checked against the positions", async () => {
        const original = tinyPolicy(4);
        const rebuilt = rebuildWithOverrides(original, { ropeTheta: 300000, maxPositionEmbeddings: null });
        const direct = Policy.fromConfig({ ...modelConfig, ropeTheta: 300000 }, { seed: 4, initStd: 0.1 });
        const batch = { tokens: Int32Array.from(tokenizer.encode("12+34=46 and 5+5=10")), cuSeqlens: Int32Array.from([0, 19]) };
        const got = (await rebuilt.logprobs(batch)).logp;
        expectClose("logp", got, (await direct.logprobs(batch)).logp, { atol: 1e-6, rtol: 1e-5 });
        const before = (await original.logprobs(batch)).logp;
        expect(Math.max(...Array.from(got, (x, i) => Math.abs(x - before[i]!)))).toBeGreaterThan(1e-5);
        expect(original.config.ropeTheta).toBe(10000);
        expect(rebuilt.tokenizer).toBe(original.tokenizer);

        await expect(createSftTrainer(config(path.join(work, "long"), { data: { maxLength: 300 }, training: { tokenBudget: 300 } }))).rejects.toThrow(
            /data\.maxLength \(300\) exceeds the model's max_position_embeddings \(256\)/,
        );
    });
});
