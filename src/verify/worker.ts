/**
 * Worker-thread entry of the verification pool: one item at a time, answered by id. The pool
 * terminates this thread when an item overruns its time bound, which is what makes the bound
 * hard even inside a synchronous compute-engine call.
 */
import { parentPort } from "node:worker_threads";
import type { VerifyOptions } from "./types.js";
import { verifyMathDetailed } from "./verifyMath.js";

export interface WorkerRequest {
    type: "verify";
    id: number;
    gold: string;
    pred: string;
    options: VerifyOptions;
}

if (parentPort !== null) {
    const port = parentPort;
    port.on("message", (request: WorkerRequest) => {
        try {
            port.postMessage({ type: "result", id: request.id, result: verifyMathDetailed(request.gold, request.pred, request.options) });
        } catch (error) {
            port.postMessage({
                type: "result",
                id: request.id,
                result: {
                    correct: false,
                    reason: "worker-error",
                    gold: { extracted: null, source: "none", normalized: null },
                    pred: { extracted: null, source: "none", normalized: null },
                    message: error instanceof Error ? error.message : String(error),
                    elapsedMs: 0,
                },
            });
        }
    });
    port.postMessage({ type: "ready" });
}
