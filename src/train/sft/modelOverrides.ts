/**
 * Config overrides applied before training: a new RoPE base θ and max_position_embeddings
 * (Open R1 extends Qwen2.5-Math to 32k positions with θ = 300000 before distillation SFT).
 *
 * The native decoder reads ropeTheta from the config when it is constructed, and Policy has no
 * way to change it afterwards, so the policy is rebuilt from the modified config:
 * - from a folder (`loadPolicyWithOverrides`): an overlay folder holds the modified config.json
 *   and symbolic links to every other file of the model, and Policy.fromPretrained loads it;
 *   nothing is copied and the weights are read once.
 * - from a Policy in memory (`rebuildWithOverrides`): Policy.fromConfig on the modified config,
 *   then every parameter copied over (the random init it starts with costs O(parameters)).
 * Either way the saved config.json carries the new values.
 */
import fs from "node:fs";
import path from "node:path";
import { type DecoderConfig, readDecoderConfig, validateDecoderConfig, writeDecoderConfig } from "../../model/config.js";
import { Policy } from "../../model/policy.js";
import type { CharTokenizerFiles } from "../../model/tokenizer.js";

export interface ModelOverrides {
    /** New RoPE base θ; null = keep. */
    ropeTheta: number | null;
    /** New max_position_embeddings; null = keep. */
    maxPositionEmbeddings: number | null;
}

/** The config with the overrides applied, or null when they change nothing. */
export function overriddenConfig(config: DecoderConfig, overrides: ModelOverrides): DecoderConfig | null {
    const theta = overrides.ropeTheta ?? config.ropeTheta;
    const positions = overrides.maxPositionEmbeddings ?? config.maxPositionEmbeddings;
    if (theta === config.ropeTheta && positions === config.maxPositionEmbeddings) return null;
    const next: DecoderConfig = { ...config, ropeTheta: theta, maxPositionEmbeddings: positions };
    validateDecoderConfig(next, "ropeThetaOverride / maxPositionEmbeddings");
    return next;
}

/** Loads a model folder with the overrides; the overlay folder goes to `overlayDir` (replaced if present). */
export async function loadPolicyWithOverrides(modelDir: string, overrides: ModelOverrides, overlayDir: string): Promise<Policy> {
    const config = overriddenConfig(await readDecoderConfig(modelDir), overrides);
    if (config === null) return Policy.fromPretrained(modelDir);
    const source = path.resolve(modelDir);
    const overlay = path.resolve(overlayDir);
    if (overlay === source) throw new Error(`the overlay folder ${overlay} must not be the model folder itself`);
    fs.rmSync(overlay, { recursive: true, force: true });
    fs.mkdirSync(overlay, { recursive: true });
    for (const name of fs.readdirSync(source)) {
        if (name === "config.json") continue;
        fs.symlinkSync(path.join(source, name), path.join(overlay, name));
    }
    await writeDecoderConfig(overlay, config);
    return Policy.fromPretrained(overlay);
}

/** The tokenizer's own files, with a chat_template.jinja folded into tokenizer_config.json. */
function tokenizerFilesOf(policy: Policy): CharTokenizerFiles | undefined {
    if (!policy.tokenizer) return undefined;
    const files = policy.tokenizer.files;
    const tokenizerConfig = structuredClone(files.tokenizerConfig) as Record<string, unknown>;
    if (files.chatTemplateFile !== undefined) {
        const current = tokenizerConfig.chat_template;
        if (Array.isArray(current)) {
            const others = (current as { name?: unknown }[]).filter((t) => t?.name !== "default");
            tokenizerConfig.chat_template = [{ name: "default", template: files.chatTemplateFile }, ...others];
        } else {
            tokenizerConfig.chat_template = files.chatTemplateFile;
        }
    }
    return { tokenizerJson: structuredClone(files.tokenizerJson) as Record<string, unknown>, tokenizerConfig };
}

/** A new Policy with the overrides and the same weights, tokenizer and generation config; `policy` itself is unchanged. */
export function rebuildWithOverrides(policy: Policy, overrides: ModelOverrides): Policy {
    const config = overriddenConfig(policy.config, overrides);
    if (config === null) return policy;
    const next = Policy.fromConfig(config, {
        tokenizer: policy.tokenizer,
        tokenizerFiles: tokenizerFilesOf(policy),
        generationConfig: policy.generationConfig,
        initStd: 0,
    });
    for (const name of policy.parameterNames()) next.setParameter(name, policy.getParameter(name));
    return next;
}
