import { describe, expect, it } from "vitest";
import { DEFAULT_SANDBOX_LIMITS, resolveLimits } from "../../../src/sandbox/limits.js";
import { ConcurrencyPool } from "../../../src/sandbox/pool.js";
import { minimalBindSet } from "../../../src/sandbox/runtimes.js";
import { shQuote } from "../../../src/sandbox/rootfs.js";

describe("resolveLimits", () => {
    it("has the documented defaults", () => {
        expect(DEFAULT_SANDBOX_LIMITS.cpuSeconds).toBe(2);
        expect(DEFAULT_SANDBOX_LIMITS.memoryBytes).toBe(512 * 1024 * 1024);
        expect(DEFAULT_SANDBOX_LIMITS.outputBytes).toBe(64 * 1024);
        expect(DEFAULT_SANDBOX_LIMITS.processes).toBe(16);
        expect(resolveLimits(undefined)).toEqual(DEFAULT_SANDBOX_LIMITS);
    });

    it("overrides field by field on top of a base", () => {
        const base = resolveLimits({ cpuSeconds: 1 });
        expect(resolveLimits({ wallSeconds: 0.5 }, base)).toEqual({ ...DEFAULT_SANDBOX_LIMITS, cpuSeconds: 1, wallSeconds: 0.5 });
    });

    it("names the bad field", () => {
        expect(() => resolveLimits({ cpuSeconds: 0.5 })).toThrow(/limits\.cpuSeconds must be an integer.*RLIMIT_CPU/);
        expect(() => resolveLimits({ memoryBytes: 1024 })).toThrow("limits.memoryBytes must be between");
        expect(() => resolveLimits({ wallSeconds: Number.NaN })).toThrow("limits.wallSeconds must be a finite number");
        expect(() => resolveLimits({ cpu: 1 } as never)).toThrow("limits.cpu is not a sandbox limit");
        expect(() => resolveLimits("fast" as never)).toThrow("limits must be an object");
    });
});

describe("ConcurrencyPool", () => {
    it("never runs more than its size and keeps FIFO order", async () => {
        const pool = new ConcurrencyPool(2);
        let running = 0;
        let peak = 0;
        const order: number[] = [];
        const task = (i: number) => pool.run(async () => {
            running++;
            peak = Math.max(peak, running);
            await new Promise((r) => setTimeout(r, 5));
            order.push(i);
            running--;
            if (i === 3) throw new Error("task 3 fails");
            return i;
        });
        const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map(task));
        expect(peak).toBe(2);
        expect(results.filter((r) => r.status === "rejected")).toHaveLength(1);
        expect(order.slice(0, 2).sort()).toEqual([0, 1]);
        expect(pool.running).toBe(0);
        expect(pool.queued).toBe(0);
        expect(() => new ConcurrencyPool(0)).toThrow("concurrency must be a positive integer");
    });
});

describe("sandbox helpers", () => {
    it("binds each host folder once, never one under /usr, never /", () => {
        expect(minimalBindSet(["/opt/py/lib", "/opt/py", "/usr/lib/x", "/opt/node/bin"])).toEqual(["/opt/py", "/opt/node/bin"]);
        expect(() => minimalBindSet(["/"])).toThrow("whole host filesystem");
    });

    it("quotes for sh", () => {
        expect(shQuote("a b")).toBe("'a b'");
        expect(shQuote("it's")).toBe(`'it'\\''s'`);
    });
});
