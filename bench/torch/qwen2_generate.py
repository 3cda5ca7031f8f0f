"""PyTorch eager baseline for `r1-native bench generate`: KV-cache sampling from a
Qwen2 decoder, B prompts of P random tokens, N new tokens each, temperature 1,
no stop tokens (every sequence runs to length).

The loop is the simple one: a prefill over the (B, P) prompt batch writes the
cache (preallocated (B, Hkv, P + N, Dh) per layer) and samples from the last
position's logits; each decode step feeds the B sampled tokens, writes their
keys/values and attends over the cache. Under torch.inference_mode().

    /usr/bin/python3 bench/torch/qwen2_generate.py --preset tiny-2.9m \
        --batch 8 --prompt-len 32 --max-new-tokens 64 --threads 2 --json

Prints one JSON line: tokens_per_s = B·N / (prefill + decode), prefill
included; decode_tokens_per_s = B·(N−1) / decode time.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qwen2_train_step import blas_library, cpu_seconds  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset")
    ap.add_argument("--config-json", help="the model shape as config.json keys, inline")
    ap.add_argument("--config", help="a config.json path")
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--prompt-len", type=int, default=32)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=1, help="timed runs after one warm-up run")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="print only the JSON line")
    args = ap.parse_args()
    for name in ("batch", "prompt_len", "max_new_tokens", "threads", "reps"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1 (got {getattr(args, name)})")
    if args.temperature <= 0:
        ap.error("--temperature must be > 0")

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
    model = Qwen2(config).eval()
    head = model.head_weight()
    attn = model.layers[0].self_attn
    b, p, new = args.batch, args.prompt_len, args.max_new_tokens
    prompts = torch.randint(0, config["vocab_size"], (b, p))

    def sample(hidden_last):  # (B, D) -> (B,)
        logits = F.linear(hidden_last, head) / args.temperature
        return torch.multinomial(F.softmax(logits, dim=-1), 1).squeeze(1)

    def run(new):
        caches = [
            (torch.empty(b, attn.num_kv_heads, p + new, attn.head_dim),
             torch.empty(b, attn.num_kv_heads, p + new, attn.head_dim))
            for _ in model.layers
        ]
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        token = sample(model.hidden(prompts, caches, 0)[:, -1])
        t1 = time.perf_counter()
        out = [token]
        for i in range(new - 1):
            token = sample(model.hidden(token[:, None], caches, p + i)[:, -1])
            out.append(token)
        t2 = time.perf_counter()
        return (t1 - t0) * 1e3, (t2 - t1) * 1e3, (cpu_seconds() - c0) * 1e3

    with torch.inference_mode():
        run(min(new, 2))  # warm-up: every code path, not the full length
        runs = [run(new) for _ in range(args.reps)]
    totals = [a + d for a, d, _ in runs]
    best = min(range(len(runs)), key=lambda i: totals[i])
    prefill_ms, decode_ms, cpu_ms = runs[best]
    total_ms = totals[best]
    result = {
        "library": library_info(),
        "blas": blas_library(),
        "params": parameter_count(model),
        "batch": b,
        "prompt_len": p,
        "max_new_tokens": new,
        "threads": torch.get_num_threads(),
        "reps": args.reps,
        "best_ms": total_ms,
        "median_ms": statistics.median(totals),
        "prefill_ms": prefill_ms,
        "decode_ms": decode_ms,
        "generated_tokens": b * new,
        "tokens_per_s": b * new / total_ms * 1e3,
        "decode_tokens_per_s": (b * (new - 1) / decode_ms * 1e3) if new > 1 else None,
        "prefill_included": True,
        "cpu_ms": cpu_ms,
        "tokens_per_cpu_s": b * new / cpu_ms * 1e3,
    }
    if not args.json:
        print(f"{result['library']}, BLAS {result['blas']}, {result['params']:,} params, "
              f"B={b} P={p} N={new} T={result['threads']}: {total_ms:.0f} ms "
              f"(prefill {prefill_ms:.0f}), {result['tokens_per_s']:.1f} tokens/s")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
