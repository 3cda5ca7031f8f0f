/**
 * A pool of worker threads that verifies items with a hard per-item time bound.
 *
 * Each worker takes one item at a time. A timer starts when the item is handed to a started
 * worker; when it fires first, the worker is terminated, the item answers false with reason
 * "timeout", and a fresh worker takes its place, so one bad item never stalls the rest.
 * Workers also run under a heap limit: an item that exhausts it answers "input-too-large".
 *
 * Plain numbers and fractions are decided on the calling thread (verifyMathFast), which keeps
 * the common case free of the message round trip.
 *
 * The worker script is the compiled worker.js next to this module. When it is absent (the
 * TypeScript sources run directly, as under vitest) the pool verifies in-process with the
 * cooperative guards only; pass `workerUrl` to point at a compiled worker explicitly.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { resolveVerifyOptions, type ResolvedVerifyOptions, type VerifyDetail, type VerifyOptions, type VerifyReason } from "./types.js";
import { verifyMathDetailed, verifyMathFast } from "./verifyMath.js";
import type { WorkerRequest } from "./worker.js";

export interface VerifyPoolOptions {
    /** Worker threads. Default: cores − 1, between 1 and 4. */
    concurrency?: number;
    /** The compiled worker script. Default: worker.js beside this module, when it exists. */
    workerUrl?: URL | string;
    /** Heap limit of each worker in MiB. Default 512. */
    memoryLimitMb?: number;
    /** How long a worker may take to start before the pool falls back to in-process. Default 30 s. */
    startupTimeoutMs?: number;
}

interface Task {
    id: number;
    gold: string;
    pred: string;
    options: ResolvedVerifyOptions;
    resolve: (detail: VerifyDetail) => void;
}

interface Slot {
    worker: Worker;
    ready: boolean;
    task: Task | null;
    timer: NodeJS.Timeout | null;
}

export function defaultConcurrency(): number {
    return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** The compiled worker beside this module, or null when running from TypeScript sources. */
export function defaultWorkerUrl(): URL | null {
    const url = new URL("./worker.js", import.meta.url);
    return url.protocol === "file:" && existsSync(fileURLToPath(url)) ? url : null;
}

export function failedDetail(reason: VerifyReason, message: string): VerifyDetail {
    return {
        correct: false,
        reason,
        gold: { extracted: null, source: "none", normalized: null },
        pred: { extracted: null, source: "none", normalized: null },
        message,
        elapsedMs: 0,
    };
}

export class VerifyPool {
    private readonly size: number;
    private readonly workerUrl: URL | null;
    private readonly memoryLimitMb: number;
    private readonly startupTimeoutMs: number;
    private readonly slots = new Set<Slot>();
    private readonly queue: Task[] = [];
    private nextId = 0;
    private startupFailures = 0;
    private fallback = false;
    private closed = false;

    constructor(options: VerifyPoolOptions = {}) {
        const concurrency = options.concurrency ?? defaultConcurrency();
        if (!Number.isInteger(concurrency) || concurrency < 1) {
            throw new RangeError(`VerifyPool: concurrency must be a positive integer, got ${String(concurrency)}`);
        }
        this.size = concurrency;
        this.workerUrl = options.workerUrl === undefined ? defaultWorkerUrl() : new URL(options.workerUrl);
        this.memoryLimitMb = options.memoryLimitMb ?? 512;
        this.startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
        this.fallback = this.workerUrl === null;
    }

    /** True when items run on the calling thread (no compiled worker was found or it failed to start). */
    get inProcess(): boolean {
        return this.fallback;
    }

    /** Verify one item; bad options reject, everything else resolves with a verdict. */
    verify(gold: string, pred: string, options?: VerifyOptions): Promise<VerifyDetail> {
        if (this.closed) return Promise.reject(new Error("VerifyPool: verify() after close()"));
        let resolved: ResolvedVerifyOptions;
        try {
            resolved = resolveVerifyOptions(options);
        } catch (error) {
            return Promise.reject(error);
        }
        if (typeof gold !== "string" || typeof pred !== "string") {
            const field = typeof gold !== "string" ? "gold" : "pred";
            return Promise.resolve(failedDetail("invalid-input", `${field} must be a string`));
        }
        const fast = verifyMathFast(gold, pred, resolved);
        if (fast !== null) return Promise.resolve(fast);
        if (this.fallback) return Promise.resolve(verifyMathDetailed(gold, pred, resolved));
        return new Promise((resolve) => {
            this.queue.push({ id: this.nextId++, gold, pred, options: resolved, resolve });
            this.pump();
        });
    }

    /** Terminate the workers. Items still queued are verified in-process. */
    async close(): Promise<void> {
        this.closed = true;
        this.fallback = true;
        const slots = [...this.slots];
        this.slots.clear();
        for (const slot of slots) {
            if (slot.timer !== null) clearTimeout(slot.timer);
            if (slot.task !== null) this.queue.unshift(slot.task);
        }
        this.drainInProcess();
        await Promise.all(slots.map((slot) => slot.worker.terminate()));
    }

    private pump(): void {
        if (this.fallback) {
            this.drainInProcess();
            return;
        }
        for (const slot of this.slots) {
            if (this.queue.length === 0) return;
            if (slot.ready && slot.task === null) this.assign(slot, this.queue.shift()!);
        }
        while (this.queue.length > this.startingSlots() && this.slots.size < this.size) this.spawn();
    }

    private startingSlots(): number {
        let n = 0;
        for (const slot of this.slots) if (!slot.ready) n++;
        return n;
    }

    private spawn(): void {
        const worker = new Worker(this.workerUrl!, {
            resourceLimits: { maxOldGenerationSizeMb: this.memoryLimitMb, maxYoungGenerationSizeMb: 64 },
        });
        worker.unref(); // the item timers keep the process alive while work is pending
        const slot: Slot = { worker, ready: false, task: null, timer: null };
        this.slots.add(slot);
        slot.timer = setTimeout(() => this.onStartupTimeout(slot), this.startupTimeoutMs);
        worker.on("message", (message: { type: string; id?: number; result?: VerifyDetail }) => this.onMessage(slot, message));
        worker.on("error", (error: Error & { code?: string }) => this.onCrash(slot, error));
        worker.on("exit", (code) => this.onCrash(slot, new Error(`worker exited with code ${code}`)));
    }

    private assign(slot: Slot, task: Task): void {
        slot.task = task;
        const request: WorkerRequest = {
            type: "verify",
            id: task.id,
            gold: task.gold,
            pred: task.pred,
            // The cooperative bound inside the worker is a little shorter, so that most overruns
            // answer without a restart; the timer below is the hard bound.
            options: { ...task.options, timeoutMs: Math.max(1, task.options.timeoutMs * 0.8) },
        };
        slot.timer = setTimeout(() => this.onTimeout(slot), task.options.timeoutMs);
        slot.worker.postMessage(request);
    }

    private onMessage(slot: Slot, message: { type: string; id?: number; result?: VerifyDetail }): void {
        if (!this.slots.has(slot)) return;
        if (message.type === "ready") {
            slot.ready = true;
            this.startupFailures = 0;
            if (slot.timer !== null) clearTimeout(slot.timer);
            slot.timer = null;
            this.pump();
            return;
        }
        const task = slot.task;
        if (message.type !== "result" || task === null || message.id !== task.id) return;
        if (slot.timer !== null) clearTimeout(slot.timer);
        slot.timer = null;
        slot.task = null;
        task.resolve(message.result!);
        this.pump();
    }

    private onTimeout(slot: Slot): void {
        const task = slot.task;
        this.retire(slot);
        if (task !== null) {
            const ms = task.options.timeoutMs;
            task.resolve(failedDetail("timeout", `no verdict within ${ms} ms; the worker was terminated`));
        }
        this.pump();
    }

    private onStartupTimeout(slot: Slot): void {
        this.retire(slot);
        this.noteStartupFailure();
    }

    private onCrash(slot: Slot, error: Error & { code?: string }): void {
        if (!this.slots.has(slot)) return;
        const task = slot.task;
        const wasReady = slot.ready;
        this.retire(slot);
        if (task !== null) {
            const oom = error.code === "ERR_WORKER_OUT_OF_MEMORY";
            task.resolve(failedDetail(oom ? "input-too-large" : "worker-error", oom ? "the worker ran out of memory" : error.message));
        }
        if (!wasReady) this.noteStartupFailure();
        this.pump();
    }

    /** After two workers in a row fail to start, stop trying and verify in-process. */
    private noteStartupFailure(): void {
        if (++this.startupFailures >= 2) this.fallback = true;
        this.pump();
    }

    private retire(slot: Slot): void {
        if (slot.timer !== null) clearTimeout(slot.timer);
        slot.timer = null;
        this.slots.delete(slot);
        void slot.worker.terminate();
    }

    private drainInProcess(): void {
        while (this.queue.length > 0) {
            const task = this.queue.shift()!;
            task.resolve(verifyMathDetailed(task.gold, task.pred, task.options));
        }
    }
}
