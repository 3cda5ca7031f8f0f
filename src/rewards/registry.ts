/**
 * Rewards by name, for configs: `{ name: "accuracy", weight: 1, options: { goldColumn: "answer" } }`
 * becomes `createReward("accuracy", { goldColumn: "answer" })`.
 *
 * | name              | factory                     |
 * |-------------------|-----------------------------|
 * | accuracy          | accuracyReward              |
 * | format            | formatReward                |
 * | think_format      | thinkFormatReward           |
 * | tag_count         | tagCountReward              |
 * | reasoning_steps   | reasoningStepsReward        |
 * | cosine            | cosineReward                |
 * | repetition        | repetitionReward            |
 * | overlong          | overlongReward              |
 * | language          | languageConsistencyReward   |
 * | code              | createCodeReward (code/)    |
 *
 * A factory gets the config's options and a RewardContext with facts the trainer knows: cosine
 * takes `maxLen` and overlong takes `maxCompletionLength` from context.maxCompletionLength when
 * the options leave them out.
 *
 * User rewards come from a module (loadUserRewards) and can be registered under their names.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { accuracyReward, type AccuracyRewardOptions } from "./accuracy.js";
import { createCodeReward, type CodeRewardConfig } from "./code/codeReward.js";
import type { CodeSample } from "./code/codeTests.js";
import { cosineReward, type CosineRewardOptions } from "./cosineLength.js";
import { formatReward, thinkFormatReward, type FormatRewardOptions } from "./format.js";
import { languageConsistencyReward, type LanguageConsistencyRewardOptions } from "./languageConsistency.js";
import { overlongReward, type OverlongRewardOptions } from "./overlong.js";
import { reasoningStepsReward, type ReasoningStepsRewardOptions } from "./reasoningSteps.js";
import { repetitionReward, type RepetitionRewardOptions } from "./repetition.js";
import { tagCountReward, type TagCountRewardOptions } from "./tagCount.js";
import { completionText, describe, type RewardFn } from "./types.js";

/** What the trainer knows that some rewards need as a default. */
export interface RewardContext {
    /** The trainer's maxCompletionLength in tokens. */
    maxCompletionLength?: number;
}

/** Builds a reward from config options (plain data; undefined = defaults). */
export type RewardFactory = (options?: unknown, context?: RewardContext) => RewardFn;

type Options = Record<string, unknown>;

/** options with `key` filled from the context when the options leave it out. */
function withDefault(options: unknown, key: string, value: number | undefined): unknown {
    if (value === undefined) return options;
    if (options === undefined) return { [key]: value };
    if (typeof options !== "object" || options === null || Array.isArray(options)) return options; // the factory reports it
    return (options as Options)[key] === undefined ? { ...(options as Options), [key]: value } : options;
}

function codeFactory(options?: unknown): RewardFn {
    if (options !== undefined && (typeof options !== "object" || options === null || Array.isArray(options))) {
        throw new TypeError(`codeReward: options must be an object, got ${describe(options)}`);
    }
    const reward = createCodeReward(options as CodeRewardConfig | undefined);
    return (completion, sample) => reward(completionText(completion, "codeReward"), sample as CodeSample);
}

const builtins: Readonly<Record<string, RewardFactory>> = {
    accuracy: (o) => accuracyReward(o as AccuracyRewardOptions | undefined),
    format: (o) => formatReward(o as FormatRewardOptions | undefined),
    think_format: (o) => thinkFormatReward(o as FormatRewardOptions | undefined),
    tag_count: (o) => tagCountReward(o as TagCountRewardOptions | undefined),
    reasoning_steps: (o) => reasoningStepsReward(o as ReasoningStepsRewardOptions | undefined),
    cosine: (o, ctx) => cosineReward(withDefault(o, "maxLen", ctx?.maxCompletionLength) as CosineRewardOptions),
    repetition: (o) => repetitionReward(o as RepetitionRewardOptions | undefined),
    overlong: (o, ctx) => overlongReward(withDefault(o, "maxCompletionLength", ctx?.maxCompletionLength) as OverlongRewardOptions),
    language: (o) => languageConsistencyReward(o as LanguageConsistencyRewardOptions | undefined),
    code: codeFactory,
};

/** The names built in, in table order. */
export const builtinRewardNames: readonly string[] = Object.freeze(Object.keys(builtins));

const registry = new Map<string, RewardFactory>(Object.entries(builtins));

/** Every registered name: the built-ins, then user registrations in order. */
export function rewardNames(): string[] {
    return [...registry.keys()];
}

export function hasReward(name: string): boolean {
    return registry.has(name);
}

/** The factory registered under `name`; an unknown name throws, listing the known ones. */
export function getRewardFactory(name: string): RewardFactory {
    const factory = typeof name === "string" ? registry.get(name) : undefined;
    if (factory === undefined) {
        throw new TypeError(`unknown reward ${describe(name)} (known: ${rewardNames().join(", ")})`);
    }
    return factory;
}

/** getRewardFactory(name)(options, context). */
export function createReward(name: string, options?: unknown, context?: RewardContext): RewardFn {
    const fn = getRewardFactory(name)(options, context);
    if (typeof fn !== "function") throw new TypeError(`reward "${name}": its factory returned ${describe(fn)}, not a function`);
    return fn;
}

/** Adds a factory under a new name; built-in names and names already taken are refused. */
export function registerReward(name: string, factory: RewardFactory): void {
    if (typeof name !== "string" || !/^[A-Za-z_][\w.-]*$/.test(name)) {
        throw new TypeError(`registerReward: name must be an identifier-like string, got ${describe(name)}`);
    }
    if (typeof factory !== "function") throw new TypeError(`registerReward: the factory for "${name}" must be a function, got ${describe(factory)}`);
    if (registry.has(name)) throw new TypeError(`registerReward: "${name}" is already registered`);
    registry.set(name, factory);
}

/** Removes a user registration (built-ins stay). Returns whether the name was registered. */
export function unregisterReward(name: string): boolean {
    if (name in builtins) throw new TypeError(`unregisterReward: "${name}" is built in`);
    return registry.delete(name);
}

// ---------------------------------------------------------------------------------------------
// User reward modules

/**
 * Imports a user module of rewards and returns one factory per reward, by name.
 *
 * `modulePath` is absolute or relative to the current directory (a file: URL works too). Accepted
 * shapes, which may be mixed:
 *
 *     export function brevity(completion, sample) { return completion.ids.length < 200 ? 1 : 0; }
 *     export default { brevity, politeness };        // name → function
 *     export default function (completion, sample) { … }   // named "default"
 *
 * Every export must be a function (any other export is an error naming the module and the
 * export). Each returned factory follows one rule: called without options it returns the export
 * itself as the reward; called with options (even `{}`) it calls the export as a factory,
 * `fn(options, context)`, which must return the reward function.
 *
 * TypeScript modules need a runtime that loads .ts files (Node ≥ 22.18, or a loader such as tsx);
 * plain Node 20 loads .js / .mjs / .cjs only.
 *
 * @example
 * const user = await loadUserRewards("./my_rewards.mjs");
 * const brevity = user.brevity!();                 // the exported reward
 * const scaled = user.makeBrevity!({ limit: 100 }); // an exported factory, called with options
 */
export async function loadUserRewards(modulePath: string): Promise<Record<string, RewardFactory>> {
    if (typeof modulePath !== "string" || modulePath.length === 0) {
        throw new TypeError(`loadUserRewards: modulePath must be a non-empty string, got ${describe(modulePath)}`);
    }
    const file = modulePath.startsWith("file:") ? fileURLToPath(modulePath) : path.resolve(process.cwd(), modulePath);
    if (!fs.existsSync(file)) throw new Error(`loadUserRewards: reward module "${modulePath}" not found (looked at ${file})`);
    let namespace: Record<string, unknown>;
    try {
        namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const hint = /\.[cm]?ts$/.test(file) ? " (loading TypeScript needs Node ≥ 22.18 or a loader such as tsx; or compile it to .mjs)" : "";
        throw new Error(`loadUserRewards: could not import reward module "${modulePath}": ${message}${hint}`, { cause: error });
    }

    const found = new Map<string, Function>();
    const take = (name: string, value: unknown, label: string): void => {
        if (typeof value !== "function") {
            throw new TypeError(`loadUserRewards: module "${modulePath}": ${label} is not a function (got ${describe(value)}); every export must be a reward function or factory`);
        }
        const seen = found.get(name);
        if (seen !== undefined && seen !== value) {
            throw new TypeError(`loadUserRewards: module "${modulePath}": two different rewards are named "${name}" (a named export and a key of the default export)`);
        }
        found.set(name, value);
    };
    for (const [key, value] of Object.entries(namespace)) {
        if (key === "module.exports") continue; // newer Node's alias of a CommonJS default export
        if (key === "default" && typeof value === "object" && value !== null && !Array.isArray(value)) {
            for (const [name, fn] of Object.entries(value)) take(name, fn, `default export "${name}"`);
        } else {
            take(key, value, key === "default" ? "the default export" : `export "${key}"`);
        }
    }
    if (found.size === 0) throw new TypeError(`loadUserRewards: module "${modulePath}" exports no reward functions`);

    const factories: Record<string, RewardFactory> = {};
    for (const [name, fn] of found) {
        factories[name] = (options?: unknown, context?: RewardContext): RewardFn => {
            if (options === undefined) return fn as RewardFn;
            const made: unknown = (fn as (o: unknown, c?: RewardContext) => unknown)(options, context);
            if (typeof made !== "function") {
                throw new TypeError(`loadUserRewards: module "${modulePath}": export "${name}" was called as a factory (options were given) and returned ${describe(made)}, not a reward function`);
            }
            return made as RewardFn;
        };
    }
    return factories;
}
