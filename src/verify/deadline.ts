/**
 * The in-process half of the time bound: a deadline that the verifier checks between steps,
 * and the error that unwinds a verification which hit a limit.
 *
 * Cooperative checks cannot interrupt a long synchronous call inside the compute engine; that
 * is why every engine call is preceded by size guards (cas.ts) and why batches run in worker
 * threads that are terminated when they overrun (workerPool.ts).
 */

export type AbortReason = "timeout" | "input-too-large";

export class VerifyAbort extends Error {
    constructor(
        readonly reason: AbortReason,
        message: string,
    ) {
        super(message);
        this.name = "VerifyAbort";
    }
}

export class Deadline {
    readonly startedAt: number;
    readonly expiresAt: number;

    constructor(readonly budgetMs: number) {
        this.startedAt = performance.now();
        this.expiresAt = this.startedAt + budgetMs;
    }

    elapsedMs(): number {
        return performance.now() - this.startedAt;
    }

    remainingMs(): number {
        return this.expiresAt - performance.now();
    }

    expired(): boolean {
        return performance.now() >= this.expiresAt;
    }

    /** Throw a timeout abort when the budget is spent; `where` names the step for the message. */
    check(where: string): void {
        if (this.expired()) {
            throw new VerifyAbort("timeout", `time bound of ${this.budgetMs} ms reached during ${where}`);
        }
    }
}

export function tooLarge(message: string): VerifyAbort {
    return new VerifyAbort("input-too-large", message);
}
