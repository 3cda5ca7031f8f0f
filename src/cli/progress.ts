/**
 * Progress for long runs: a single redrawn line on a terminal, plain lines
 * otherwise (CI logs, pipes). Shows step, the numbers given, throughput and ETA.
 */

export interface ProgressOptions {
    total: number;
    label: string;
    /** Defaults to process.stderr. */
    stream?: NodeJS.WriteStream;
    /** Plain mode prints every n-th update. Defaults to `1`. */
    plainEvery?: number;
}

function formatSeconds(s: number): string {
    if (!Number.isFinite(s)) return "?";
    const m = Math.floor(s / 60);
    return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${Math.round(s)}s`;
}

export class Progress {
    private readonly stream: NodeJS.WriteStream;
    private readonly started = Date.now();
    private readonly tty: boolean;

    constructor(private readonly options: ProgressOptions) {
        this.stream = options.stream ?? process.stderr;
        this.tty = Boolean(this.stream.isTTY);
    }

    update(done: number, fields: Record<string, string | number>): void {
        const elapsed = (Date.now() - this.started) / 1000;
        const eta = done > 0 ? (elapsed / done) * (this.options.total - done) : Number.NaN;
        const parts = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === "number" && !Number.isInteger(v) ? v.toFixed(3) : v}`);
        const width = 20;
        const filled = Math.round((width * done) / Math.max(this.options.total, 1));
        const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
        const line = `${this.options.label} ${bar} ${done}/${this.options.total} ${parts.join(" · ")} · ETA ${formatSeconds(eta)}`;
        if (this.tty) this.stream.write(`\r\x1b[2K${line}`);
        else if (done % (this.options.plainEvery ?? 1) === 0 || done === this.options.total) this.stream.write(`${line}\n`);
    }

    done(): void {
        if (this.tty) this.stream.write("\n");
    }
}
