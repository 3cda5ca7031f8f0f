/**
 * What isolation this machine offers. The sandbox uses only stock Linux
 * pieces: util-linux (`unshare`, `mount`, `umount`, `pivot_root`, `setpriv`,
 * `prlimit`), coreutils `timeout`, and `/bin/sh`. Creating mount, PID and
 * network namespaces and switching to an unprivileged uid needs root.
 *
 * This file only checks statically (platform, uid, tools); `sandbox.ts` runs a
 * live probe through the whole chain once before the first real run.
 */
import fs from "node:fs";
import path from "node:path";

/** Thrown when no safe sandbox can be built here and unsandboxed runs were not allowed. */
export class SandboxUnavailableError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SandboxUnavailableError";
    }
}

/** Absolute real paths of the tools the namespace sandbox runs. */
export interface SandboxTools {
    sh: string;
    unshare: string;
    mount: string;
    umount: string;
    pivotRoot: string;
    setpriv: string;
    prlimit: string;
    timeout: string;
}

/** Hardening that needs more than the required tools; each is used where this machine allows it. */
export interface SandboxFeatures {
    /**
     * True when unprivileged users may create user namespaces here; the
     * sandbox then nests the program in a user namespace whose limit of
     * further user namespaces is 0, so it cannot reach the kernel code
     * (netfilter, mounts...) that a private user namespace unlocks.
     */
    blockUserNamespaces: boolean;
    /**
     * Perl (Essential in Debian) and the keyctl syscall number of this
     * architecture: the program then starts in a new, empty session keyring
     * instead of sharing the host process's one. Null where either is missing.
     */
    sessionKeyring: { perl: string; keyctlSyscall: number } | null;
}

export type IsolationReport =
    | { available: true; tools: SandboxTools; features: SandboxFeatures }
    | { available: false; reason: string; prlimit: string | null };

// keyctl(2) numbers; other architectures go without a fresh session keyring.
const KEYCTL_SYSCALL: Partial<Record<string, number>> = { x64: 250, arm64: 219, riscv64: 219 };

const TOOL_NAMES: Record<keyof SandboxTools, { file: string; pkg: string }> = {
    sh: { file: "sh", pkg: "dash or bash" },
    unshare: { file: "unshare", pkg: "util-linux" },
    mount: { file: "mount", pkg: "mount (util-linux)" },
    umount: { file: "umount", pkg: "mount (util-linux)" },
    pivotRoot: { file: "pivot_root", pkg: "util-linux" },
    setpriv: { file: "setpriv", pkg: "util-linux" },
    prlimit: { file: "prlimit", pkg: "util-linux" },
    timeout: { file: "timeout", pkg: "coreutils" },
};

// Fixed system folders only: PATH is not trusted to name what runs as root.
const SYSTEM_DIRS = ["/usr/bin", "/usr/sbin", "/bin", "/sbin"];

/** The real path of a system tool, or null when none of the system folders has it. */
export function findSystemTool(file: string): string | null {
    for (const dir of SYSTEM_DIRS) {
        const candidate = path.join(dir, file);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return fs.realpathSync(candidate);
        } catch {
            // try the next folder
        }
    }
    return null;
}

/** Static check: Linux, root, and every tool present. Never throws. */
export function detectIsolation(): IsolationReport {
    const prlimit = process.platform === "linux" ? findSystemTool("prlimit") : null;
    if (process.platform !== "linux") {
        return { available: false, reason: `the code sandbox needs Linux namespaces (this is ${process.platform})`, prlimit };
    }
    if (typeof process.getuid !== "function" || process.getuid() !== 0) {
        return {
            available: false,
            reason:
                "the code sandbox needs root: it creates mount, PID and network namespaces with unshare " +
                "and then drops the program to an unprivileged uid (run as root, e.g. in a container)",
            prlimit,
        };
    }
    const tools: Partial<SandboxTools> = {};
    const missing: string[] = [];
    for (const [key, { file, pkg }] of Object.entries(TOOL_NAMES) as [keyof SandboxTools, { file: string; pkg: string }][]) {
        const found = findSystemTool(file);
        if (found === null) missing.push(`${file} (${pkg})`);
        else tools[key] = found;
    }
    if (missing.length > 0) {
        return { available: false, reason: `the code sandbox is missing system tools: ${missing.join(", ")}`, prlimit };
    }
    const perl = findSystemTool("perl");
    const keyctlSyscall = KEYCTL_SYSCALL[process.arch];
    return {
        available: true,
        tools: tools as SandboxTools,
        features: {
            blockUserNamespaces: unprivilegedUserNamespaces(),
            sessionKeyring: perl !== null && keyctlSyscall !== undefined ? { perl, keyctlSyscall } : null,
        },
    };
}

function readSysctl(file: string): number | null {
    try {
        return Number(fs.readFileSync(file, "utf8").trim());
    } catch {
        return null;
    }
}

/** Whether an unprivileged process could create a user namespace on this kernel. */
export function unprivilegedUserNamespaces(): boolean {
    const max = readSysctl("/proc/sys/user/max_user_namespaces");
    const debianSwitch = readSysctl("/proc/sys/kernel/unprivileged_userns_clone");
    return max !== null && max > 0 && debianSwitch !== 0;
}

/** The message used when isolation is missing and unsandboxed runs were not allowed. */
export function unavailableMessage(reason: string): string {
    return (
        `cannot run untrusted code safely: ${reason}. ` +
        "Pass allowUnsandboxed: true to run it without isolation (only rlimits and a killed process group; " +
        "the program can then read and write your files and reach the network)."
    );
}
