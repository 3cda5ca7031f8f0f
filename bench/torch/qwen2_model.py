"""A Qwen2 decoder in plain PyTorch (no transformers): the eager baseline the
r1-native benchmarks compare against.

It follows transformers' Qwen2ForCausalLM in "eager" attention mode: RMSNorm in
fp32, rotate_half RoPE, GQA by repeating the K/V heads, causal softmax
attention (torch 1.13 has no scaled_dot_product_attention, and eager is what
transformers runs without it), SwiGLU MLP, an optionally tied LM head over the
full vocabulary. Weights are random: throughput does not depend on them.

Shared by qwen2_train_step.py and qwen2_generate.py; each reads the shape as
a config dict in Hugging Face naming (config.json keys).
"""
import json
import math

import torch
import torch.nn.functional as F
from torch import nn

# The two shapes the r1-native bench names as presets (src/bench/presets.ts).
PRESETS = {
    "tiny-2.9m": {
        "model_type": "qwen2", "vocab_size": 512, "hidden_size": 256, "intermediate_size": 688,
        "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 2,
        "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": True,
    },
    "qwen2.5-0.5b": {
        "model_type": "qwen2", "vocab_size": 151936, "hidden_size": 896, "intermediate_size": 4864,
        "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
        "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": True,
    },
}


def load_config(preset=None, config_json=None, config_path=None):
    """The model shape from a preset name, an inline JSON string or a config.json path."""
    if preset is not None:
        if preset not in PRESETS:
            raise SystemExit(f"--preset: unknown preset {preset!r} (known: {', '.join(PRESETS)})")
        return dict(PRESETS[preset])
    if config_json is not None:
        return json.loads(config_json)
    if config_path is not None:
        with open(config_path, encoding="utf8") as f:
            return json.load(f)
    raise SystemExit("give --preset, --config-json or --config")


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):  # (..., D)
        var = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(var + self.eps))


def rope_cos_sin(positions, head_dim, theta):
    """cos, sin of shape (len(positions), head_dim), the halves repeated (transformers' layout)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    freqs = positions.to(torch.float32)[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def apply_rope(x, cos, sin):  # x (B, H, L, Dh), cos/sin (L, Dh)
    return x * cos + rotate_half(x) * sin


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.num_heads = c["num_attention_heads"]
        self.num_kv_heads = c.get("num_key_value_heads", self.num_heads)
        self.head_dim = c.get("head_dim") or c["hidden_size"] // self.num_heads
        d = c["hidden_size"]
        self.q_proj = nn.Linear(d, self.num_heads * self.head_dim, bias=True)
        self.k_proj = nn.Linear(d, self.num_kv_heads * self.head_dim, bias=True)
        self.v_proj = nn.Linear(d, self.num_kv_heads * self.head_dim, bias=True)
        self.o_proj = nn.Linear(self.num_heads * self.head_dim, d, bias=False)

    def forward(self, x, cos, sin, cache=None, cache_len=0):
        """x (B, L, D). With `cache` (k, v of shape (B, Hkv, C, Dh)), the new keys and
        values are written at [cache_len, cache_len + L) and attention covers the cache."""
        b, length, _ = x.shape
        q = self.q_proj(x).view(b, length, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, length, self.num_kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, length, self.num_kv_heads, self.head_dim).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        if cache is not None:
            k_cache, v_cache = cache
            k_cache[:, :, cache_len:cache_len + length] = k
            v_cache[:, :, cache_len:cache_len + length] = v
            k = k_cache[:, :, :cache_len + length]
            v = v_cache[:, :, :cache_len + length]
        groups = self.num_heads // self.num_kv_heads
        k = k.repeat_interleave(groups, dim=1)  # (B, H, T, Dh)
        v = v.repeat_interleave(groups, dim=1)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)  # (B, H, L, T)
        if length > 1:
            total = k.shape[2]
            # Query i (at absolute position cache_len + i) sees keys <= its position.
            mask = torch.ones(length, total, dtype=torch.bool).triu(cache_len + 1)
            scores = scores.masked_fill(mask, float("-inf"))
        probs = F.softmax(scores, dim=-1, dtype=torch.float32)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, length, -1)
        return self.o_proj(out)


class Mlp(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, f = c["hidden_size"], c["intermediate_size"]
        self.gate_proj = nn.Linear(d, f, bias=False)
        self.up_proj = nn.Linear(d, f, bias=False)
        self.down_proj = nn.Linear(f, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        eps = c.get("rms_norm_eps", 1e-6)
        self.input_layernorm = RMSNorm(c["hidden_size"], eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c["hidden_size"], eps)
        self.mlp = Mlp(c)

    def forward(self, x, cos, sin, cache=None, cache_len=0):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, cache, cache_len)
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen2(nn.Module):
    def __init__(self, c):
        super().__init__()
        if c.get("model_type", "qwen2") != "qwen2":
            raise SystemExit(f"config: model_type {c.get('model_type')!r} is not qwen2")
        self.config = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(Layer(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RMSNorm(c["hidden_size"], c.get("rms_norm_eps", 1e-6))
        self.tied = c.get("tie_word_embeddings", False)
        if not self.tied:
            self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        self.head_dim = self.layers[0].self_attn.head_dim
        self.theta = c.get("rope_theta", 10000.0)
        # transformers' init: matrices ~ N(0, 0.02²), biases 0, norms 1.
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def head_weight(self):
        return self.embed_tokens.weight if self.tied else self.lm_head.weight

    def hidden(self, tokens, caches=None, cache_len=0):
        """Final-norm hidden states (B, L, D) of tokens (B, L) at positions cache_len..."""
        length = tokens.shape[1]
        cos, sin = rope_cos_sin(torch.arange(cache_len, cache_len + length), self.head_dim, self.theta)
        x = self.embed_tokens(tokens)
        for i, layer in enumerate(self.layers):
            x = layer(x, cos, sin, None if caches is None else caches[i], cache_len)
        return self.norm(x)

    def forward(self, tokens):
        """Full logits (B, L, V), as eager training computes them."""
        return F.linear(self.hidden(tokens), self.head_weight())


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def library_info():
    return f"torch {torch.__version__}"
