/**
 * Training checkpoints: the policy in the Hugging Face layout (f32, so a
 * resumed run continues from the exact weights), the AdamW moments, and the
 * trainer's own state as JSON. Each checkpoint is written into a temporary
 * folder and renamed into place, then `latest` is rewritten atomically, so a
 * crash never leaves a half-written checkpoint as the one to resume from.
 */
import fs from "node:fs";
import path from "node:path";
import { writeBytesAtomic } from "../model/atomicWrite.js";
import { Policy } from "../model/policy.js";
import { readSafetensors, writeSafetensors } from "../model/safetensors.js";

const OPTIMIZER_FILE = "optimizer.safetensors";
const STATE_FILE = "trainer_state.json";
const LATEST_FILE = "latest";

export function checkpointName(step: number): string {
    return `step-${String(step).padStart(6, "0")}`;
}

/** Writes `<runDir>/checkpoints/step-XXXXXX/` and points `latest` at it. Returns its path. */
export async function saveCheckpoint(runDir: string, step: number, policy: Policy, state: object): Promise<string> {
    const root = path.join(runDir, "checkpoints");
    fs.mkdirSync(root, { recursive: true });
    const name = checkpointName(step);
    const final = path.join(root, name);
    const temp = path.join(root, `.${name}.tmp-${process.pid}`);
    fs.rmSync(temp, { recursive: true, force: true });
    await policy.save(temp, { dtype: "f32", overwrite: true });
    const optimizer = policy.native.getOptimizerState();
    await writeSafetensors(path.join(temp, OPTIMIZER_FILE), {
        exp_avg: { shape: [optimizer.m.length], data: optimizer.m },
        exp_avg_sq: { shape: [optimizer.v.length], data: optimizer.v },
    }, { metadata: { step: String(optimizer.step) } });
    fs.writeFileSync(path.join(temp, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
    fs.rmSync(final, { recursive: true, force: true });
    fs.renameSync(temp, final);
    await writeBytesAtomic(path.join(root, LATEST_FILE), `${name}\n`);
    return final;
}

/** The latest complete checkpoint of a run, or null. */
export function latestCheckpoint(runDir: string): string | null {
    const file = path.join(runDir, "checkpoints", LATEST_FILE);
    if (!fs.existsSync(file)) return null;
    const dir = path.join(runDir, "checkpoints", fs.readFileSync(file, "utf8").trim());
    return fs.existsSync(path.join(dir, STATE_FILE)) ? dir : null;
}

/** Loads a checkpoint's policy (weights and optimizer state) and trainer state. */
export async function loadCheckpoint<State>(dir: string): Promise<{ policy: Policy; state: State }> {
    const policy = await Policy.fromPretrained(dir);
    const tensors = await readSafetensors(path.join(dir, OPTIMIZER_FILE));
    const m = tensors.get("exp_avg"), v = tensors.get("exp_avg_sq");
    const state = JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), "utf8")) as State & { optimizerStep?: number };
    if (!m || !v) throw new Error(`${dir}/${OPTIMIZER_FILE}: exp_avg and exp_avg_sq are required`);
    policy.native.setOptimizerState({ m: m.data, v: v.data, step: (state as { optimizerStep?: number }).optimizerStep ?? 0 });
    return { policy, state };
}
