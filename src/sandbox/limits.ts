/**
 * Resource limits of one sandboxed run, with documented defaults and a
 * validator that names the offending field.
 *
 * CPU, memory, file size, processes and descriptors are kernel rlimits set on
 * the untrusted process itself; wall time, output size and the scratch size
 * are enforced from outside (a killed PID namespace, capped pipe reads, a
 * size-limited tmpfs).
 */

export interface SandboxLimits {
    /**
     * CPU seconds per process (RLIMIT_CPU, whole seconds: the kernel has no
     * finer unit). SIGXCPU at the limit, SIGKILL one second later. Default 2.
     */
    cpuSeconds: number;
    /**
     * Wall-clock seconds for the whole run, namespace set-up included; the
     * PID namespace is killed when it runs out. Fractions allowed. Default 5.
     */
    wallSeconds: number;
    /**
     * Memory in bytes: RLIMIT_DATA (heap and private mappings) is set to this,
     * RLIMIT_AS to this plus the runtime's address-space reservations (V8
     * reserves ~1 GiB of virtual memory it never touches). Default 512 MiB.
     */
    memoryBytes: number;
    /**
     * Bytes kept from each of stdout, stderr and the result channel; one byte
     * more and the run is killed with status `output_limit`. Default 64 KiB.
     */
    outputBytes: number;
    /** Largest file the program may write (RLIMIT_FSIZE; SIGXFSZ past it). Default 16 MiB. */
    fileBytes: number;
    /** Size of the scratch tmpfs mounted at /tmp (all files together). Default 32 MiB. */
    scratchBytes: number;
    /**
     * Processes and threads together (RLIMIT_NPROC). Each run has a uid of its
     * own, so the count is per run. Node needs 11 for itself. Memory limits are
     * per process, so a process tree can hold up to processes × memoryBytes:
     * keep this small, and run the trainer in a memory cgroup (container,
     * systemd slice) for a hard cap on the total. Default 16.
     */
    processes: number;
    /** Open file descriptors (RLIMIT_NOFILE). Default 64. */
    openFiles: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
    cpuSeconds: 2,
    wallSeconds: 5,
    memoryBytes: 512 * MiB,
    outputBytes: 64 * 1024,
    fileBytes: 16 * MiB,
    scratchBytes: 32 * MiB,
    processes: 16,
    openFiles: 64,
});

interface FieldRule {
    integer: boolean;
    min: number;
    max: number;
}

const RULES: Record<keyof SandboxLimits, FieldRule> = {
    cpuSeconds: { integer: true, min: 1, max: 3600 },
    wallSeconds: { integer: false, min: 0.05, max: 3600 },
    memoryBytes: { integer: true, min: 16 * MiB, max: 2 ** 40 },
    outputBytes: { integer: true, min: 1, max: 2 ** 30 },
    fileBytes: { integer: true, min: 1, max: 2 ** 40 },
    scratchBytes: { integer: true, min: 64 * 1024, max: 2 ** 36 },
    processes: { integer: true, min: 1, max: 65536 },
    openFiles: { integer: true, min: 8, max: 65536 },
};

/**
 * Fills `partial` from `base` (the defaults unless given) and checks every
 * field. Throws a TypeError naming the field, e.g. `limits.cpuSeconds`.
 */
export function resolveLimits(
    partial: Partial<SandboxLimits> | undefined,
    base: Readonly<SandboxLimits> = DEFAULT_SANDBOX_LIMITS,
    label = "limits",
): SandboxLimits {
    if (partial !== undefined && (partial === null || typeof partial !== "object" || Array.isArray(partial))) {
        throw new TypeError(`${label} must be an object of sandbox limits`);
    }
    const out = { ...base };
    for (const [key, value] of Object.entries(partial ?? {})) {
        if (!(key in RULES)) {
            throw new TypeError(`${label}.${key} is not a sandbox limit (known: ${Object.keys(RULES).join(", ")})`);
        }
        if (value === undefined) continue;
        out[key as keyof SandboxLimits] = value as number;
    }
    for (const [key, rule] of Object.entries(RULES) as [keyof SandboxLimits, FieldRule][]) {
        const v = out[key];
        if (typeof v !== "number" || !Number.isFinite(v)) {
            throw new TypeError(`${label}.${key} must be a finite number (got ${String(v)})`);
        }
        if (rule.integer && !Number.isInteger(v)) {
            const why = key === "cpuSeconds" ? " (RLIMIT_CPU counts whole seconds; use wallSeconds for finer limits)" : "";
            throw new TypeError(`${label}.${key} must be an integer (got ${v})${why}`);
        }
        if (v < rule.min || v > rule.max) {
            throw new TypeError(`${label}.${key} must be between ${rule.min} and ${rule.max} (got ${v})`);
        }
    }
    return out;
}
