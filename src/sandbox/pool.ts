/**
 * A bounded pool: at most `size` tasks run at once, the rest wait in FIFO
 * order. Used so that judging hundreds of completions never starts more
 * sandboxes than there are cores.
 */
export class ConcurrencyPool {
    readonly size: number;
    private active = 0;
    private readonly waiting: (() => void)[] = [];

    constructor(size: number) {
        if (!Number.isInteger(size) || size < 1) {
            throw new TypeError(`concurrency must be a positive integer (got ${String(size)})`);
        }
        this.size = size;
    }

    /** Tasks running now. */
    get running(): number {
        return this.active;
    }

    /** Tasks waiting for a slot. */
    get queued(): number {
        return this.waiting.length;
    }

    /** Runs `task` when a slot is free; the slot is released however it ends. */
    async run<T>(task: () => Promise<T>): Promise<T> {
        if (this.active >= this.size) {
            await new Promise<void>((resolve) => this.waiting.push(resolve));
        } else {
            this.active++;
        }
        try {
            return await task();
        } finally {
            const next = this.waiting.shift();
            if (next) next(); // the slot passes straight to the next task
            else this.active--;
        }
    }
}
