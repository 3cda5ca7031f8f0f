/** At most `limit` tasks at once; waiting tasks start in arrival order. */
export class Semaphore {
    private readonly waiting: (() => void)[] = [];
    private free: number;

    constructor(limit: number) {
        if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Semaphore: limit must be a positive integer, got ${String(limit)}`);
        this.free = limit;
    }

    async run<T>(task: () => Promise<T>): Promise<T> {
        if (this.free > 0) this.free--;
        else await new Promise<void>((resolve) => this.waiting.push(resolve));
        try {
            return await task();
        } finally {
            const next = this.waiting.shift();
            if (next) next();
            else this.free++;
        }
    }
}
