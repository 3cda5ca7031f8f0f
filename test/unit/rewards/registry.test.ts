import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    builtinRewardNames,
    createReward,
    getRewardFactory,
    hasReward,
    loadUserRewards,
    registerReward,
    rewardNames,
    unregisterReward,
} from "../../../src/rewards/registry.js";
import type { Completion } from "../../../src/rewards/types.js";

function completion(text: string, length = 0): Completion {
    return { text, ids: new Array<number>(length).fill(1), finishReason: "stop", prompt: "" };
}

describe("reward registry", () => {
    it("knows the built-in names", () => {
        expect(builtinRewardNames).toEqual(["accuracy", "format", "think_format", "tag_count", "reasoning_steps", "cosine", "repetition", "overlong", "language", "code"]);
        for (const name of builtinRewardNames) expect(hasReward(name)).toBe(true);
    });

    it("builds rewards from names and options", async () => {
        expect(createReward("format")(completion("<think>a</think><answer>4</answer>"), {})).toBe(1);
        expect(createReward("format", { prefilledThink: true })(completion("a</think><answer>4</answer>"), {})).toBe(1);
        expect(createReward("accuracy", { goldColumn: "answer" })(completion("<answer>4</answer>"), { answer: "4" })).toBe(1);
        expect(createReward("tag_count")(completion("<think>\n"), {})).toBe(0.25);
        expect(createReward("reasoning_steps")(completion("First, a. Next, b. Finally, c."), {})).toBe(1);
        expect(createReward("repetition", { ngramSize: 1 })(completion("", 4), {})).toBe(-0.75);
        expect(createReward("language", { language: "zh" })(completion("<think>中文 english</think>"), {})).toBeCloseTo(2 / 3, 15);
        expect(createReward("think_format")(completion("<think>a</think>b"), {})).toBe(1);
    });

    it("fills cosine's maxLen and overlong's maxCompletionLength from the context", async () => {
        const context = { maxCompletionLength: 100 };
        const cosine = createReward("cosine", { isCorrect: () => true }, context);
        expect(cosine(completion("x", 50), {})).toBeCloseTo(0.75, 15);
        const overlong = createReward("overlong", undefined, context);
        expect(overlong(completion("", 90), {})).toBe(-0.5); // default cache 20 of 100
        const explicit = createReward("overlong", { maxCompletionLength: 10, softPunishCache: 5 }, context);
        expect(explicit(completion("", 9), {})).toBeCloseTo(-0.8, 15);
        expect(() => createReward("overlong")).toThrow(/maxCompletionLength is required/);
        expect(() => createReward("cosine", {})).toThrow(/maxLen is required/);
    });

    it("adapts the code reward to the Completion contract", async () => {
        const code = createReward("code");
        expect(await code(completion("no program here"), {})).toBeNull(); // a row without tests abstains
    });

    it("gives a clear error for an unknown name or bad options", () => {
        expect(() => getRewardFactory("acuracy")).toThrow(/unknown reward "acuracy" \(known: accuracy, format/);
        expect(() => createReward("format", { strict: true })).toThrow(/formatReward: unknown option "strict"/);
        expect(() => createReward("code", 5)).toThrow(/codeReward: options must be an object/);
    });

    it("registers and unregisters user factories", () => {
        registerReward("always_one", () => () => 1);
        try {
            expect(rewardNames()).toContain("always_one");
            expect(createReward("always_one")(completion("x"), {})).toBe(1);
            expect(() => registerReward("always_one", () => () => 1)).toThrow(/already registered/);
            expect(() => registerReward("format", () => () => 1)).toThrow(/already registered/);
        } finally {
            expect(unregisterReward("always_one")).toBe(true);
        }
        expect(hasReward("always_one")).toBe(false);
        expect(() => unregisterReward("format")).toThrow(/built in/);
        expect(() => registerReward("bad name", () => () => 1)).toThrow(/identifier-like/);
        expect(() => registerReward("x", 3 as never)).toThrow(/must be a function/);
        registerReward("returns_junk", (() => 5) as never);
        try {
            expect(() => createReward("returns_junk")).toThrow(/factory returned 5, not a function/);
        } finally {
            unregisterReward("returns_junk");
        }
    });
});

describe("loadUserRewards", () => {
    let dir: string;
    const write = (name: string, source: string): string => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, source);
        return file;
    };

    beforeAll(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "r1-rewards-"));
    });
    afterAll(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("loads named function exports as rewards and calls them as factories when given options", async () => {
        const file = write(
            "named.mjs",
            [
                "export function brevity(completion) { return completion.ids.length < 3 ? 1 : 0; }",
                "export function makeLimit(options) { return (completion) => (completion.ids.length <= options.limit ? 1 : -1); }",
                "export async function slow(completion, sample) { return sample.bonus ?? 0; }",
            ].join("\n"),
        );
        const user = await loadUserRewards(file);
        expect(Object.keys(user).sort()).toEqual(["brevity", "makeLimit", "slow"]);
        expect(user.brevity!()(completion("", 2), {})).toBe(1);
        expect(user.brevity!()(completion("", 5), {})).toBe(0);
        const limit = user.makeLimit!({ limit: 4 });
        expect(limit(completion("", 4), {})).toBe(1);
        expect(limit(completion("", 5), {})).toBe(-1);
        expect(await user.slow!()(completion(""), { bonus: 0.5 })).toBe(0.5);
    });

    it("loads a default export object of name → function, relative to the cwd", async () => {
        const file = write("object.mjs", "const yes = () => 1;\nexport default { yes, no: () => 0 };\nexport { yes };\n");
        const relative = path.relative(process.cwd(), file);
        const user = await loadUserRewards(relative);
        expect(Object.keys(user).sort()).toEqual(["no", "yes"]);
        expect(user.yes!()(completion(""), {})).toBe(1);
        expect(user.no!()(completion(""), {})).toBe(0);
    });

    it("loads a default export function as 'default', and file: URLs", async () => {
        const file = write("single.mjs", "export default function (completion) { return completion.text.length; }\n");
        const user = await loadUserRewards(pathToFileURL(file).href);
        expect(Object.keys(user)).toEqual(["default"]);
        expect(user.default!()(completion("abc"), {})).toBe(3);
    });

    it("names the module and the export that is not a function", async () => {
        const constant = write("constant.mjs", "export const threshold = 3;\nexport function ok() { return 1; }\n");
        await expect(loadUserRewards(constant)).rejects.toThrow(/module ".*constant\.mjs": export "threshold" is not a function \(got 3\)/);
        const inDefault = write("bad-default.mjs", "export default { fine: () => 1, broken: 'text' };\n");
        await expect(loadUserRewards(inDefault)).rejects.toThrow(/module ".*bad-default\.mjs": default export "broken" is not a function/);
        const scalarDefault = write("scalar-default.mjs", "export default 42;\n");
        await expect(loadUserRewards(scalarDefault)).rejects.toThrow(/the default export is not a function \(got 42\)/);
    });

    it("refuses clashing names, empty modules, missing files and broken modules", async () => {
        const clash = write("clash.mjs", "export const a = () => 1;\nexport default { a: () => 2 };\n");
        await expect(loadUserRewards(clash)).rejects.toThrow(/two different rewards are named "a"/);
        const empty = write("empty.mjs", "const x = 1;\n");
        await expect(loadUserRewards(empty)).rejects.toThrow(/exports no reward functions/);
        await expect(loadUserRewards(path.join(dir, "missing.mjs"))).rejects.toThrow(/reward module ".*missing\.mjs" not found/);
        const broken = write("broken.mjs", "export function (\n");
        await expect(loadUserRewards(broken)).rejects.toThrow(/could not import reward module ".*broken\.mjs"/);
        await expect(loadUserRewards("" as never)).rejects.toThrow(/modulePath must be a non-empty string/);
    });

    it("reports a factory that does not return a function", async () => {
        const file = write("bad-factory.mjs", "export function make(options) { return options.value; }\n");
        const user = await loadUserRewards(file);
        expect(() => user.make!({ value: 7 })).toThrow(/export "make" was called as a factory \(options were given\) and returned 7, not a reward function/);
    });
});
