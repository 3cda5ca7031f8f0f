"""PyTorch eager baseline for `r1-native bench train-step`: forward + backward +
AdamW of a Qwen2 decoder on B sequences of L random tokens.

This is eager PyTorch's best case for the shape: B equal-length sequences as
one (B, L) batch with no padding, full logits and cross-entropy over every
next token (what eager training computes), gradient clipping and
torch.optim.AdamW with its default implementation, zero_grad(set_to_none=True).

    /usr/bin/python3 bench/torch/qwen2_train_step.py --preset tiny-2.9m \
        --seq-len 256 --batch 8 --threads 2 --steps 3 --json

Prints one JSON line with tokens_per_s (tokens per step / best step time).
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def blas_library():
    """The BLAS shared object this process loaded (torch's matmuls go through it)."""
    try:
        with open("/proc/self/maps", encoding="utf8") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown"
    return ", ".join(sorted(paths)) or "none loaded"


def cpu_seconds():
    """User + system CPU time of this process, all threads."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset")
    ap.add_argument("--config-json", help="the model shape as config.json keys, inline")
    ap.add_argument("--config", help="a config.json path")
    ap.add_argument("--seq-len", type=int, required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--max-grad-norm", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    args = ap.parse_args()
    for name in ("seq_len", "batch", "threads", "steps"):
        if getattr(args, name) < (2 if name == "seq_len" else 1):
            ap.error(f"--{name.replace('_', '-')} is too small ({getattr(args, name)})")

    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        print(json.dumps({"error": f"torch unavailable: {e}"}))
        return 3
    from qwen2_model import Qwen2, library_info, load_config, parameter_count

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config = load_config(args.preset, args.config_json, args.config)
    model = Qwen2(config)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    tokens = torch.randint(0, config["vocab_size"], (args.batch, args.seq_len))

    def step():
        optimizer.zero_grad(set_to_none=True)
        logits = model(tokens)  # (B, L, V)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1))
        loss.backward()
        if args.max_grad_norm > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
        optimizer.step()
        return loss.item()

    t0 = time.perf_counter()
    step()  # warm-up: allocates the optimizer state
    warmup_ms = (time.perf_counter() - t0) * 1e3
    samples = []
    for _ in range(args.steps):
        t0, c0 = time.perf_counter(), cpu_seconds()
        loss = step()
        samples.append(((time.perf_counter() - t0) * 1e3, (cpu_seconds() - c0) * 1e3))
    best_i = min(range(len(samples)), key=lambda i: samples[i][0])
    best, best_cpu = samples[best_i]
    median = statistics.median(s[0] for s in samples)
    n = args.batch * args.seq_len
    result = {
        "library": library_info(),
        "blas": blas_library(),
        "params": parameter_count(model),
        "seq_len": args.seq_len,
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "steps": args.steps,
        "warmup_ms": warmup_ms,
        "best_ms": best,
        "median_ms": median,
        "tokens_per_step": n,
        "tokens_per_s": n / best * 1e3,
        "median_tokens_per_s": n / median * 1e3,
        "cpu_ms": best_cpu,
        "tokens_per_cpu_s": n / best_cpu * 1e3,
        "loss": loss,
    }
    if not args.json:
        print(f"{result['library']}, BLAS {result['blas']}, {result['params']:,} params, "
              f"B={args.batch} L={args.seq_len} T={result['threads']}: "
              f"{best:.1f} ms/step best, {median:.1f} median, {result['tokens_per_s']:.0f} tokens/s")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
