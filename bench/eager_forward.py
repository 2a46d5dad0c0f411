#!/usr/bin/python3
"""The engine's perplexity forward pass written in eager PyTorch (Debian's python3-torch, the
same LibTorch 1.13 the engine links), for the CPU comparison of issue 3: a Llama-shaped model
with random weights, RMSNorm, GQA attention with rotate_half RoPE and an explicit causal
softmax (1.13 has no scaled_dot_product_attention), SwiGLU, LM head and token NLL.
Prints tokens/s. Usage: eager_forward.py H,LAYERS,HEADS,KV_HEADS,INTER,VOCAB T [threads]"""
import sys
import time

import torch

h, layers, heads, kv, inter, vocab = map(int, sys.argv[1].split(","))
T = int(sys.argv[2])
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
torch.manual_seed(0)
hd = h // heads
g = lambda *s: torch.randn(*s) * 0.02
W = [dict(n1=torch.ones(h), q=g(heads * hd, h), k=g(kv * hd, h), v=g(kv * hd, h), o=g(h, heads * hd),
          n2=torch.ones(h), gate=g(inter, h), up=g(inter, h), down=g(h, inter)) for _ in range(layers)]
emb, norm, head = g(vocab, h), torch.ones(h), g(vocab, h)
inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
ang = torch.outer(torch.arange(T).float(), inv)
cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
mask = torch.full((T, T), float("-inf")).triu(1)


def rms(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))


def rot(x):
    return torch.cat([-x[..., hd // 2:], x[..., :hd // 2]], -1)


def nll(ids):
    x = emb[ids]
    for L in W:
        y = rms(x, L["n1"])
        q = (y @ L["q"].t()).view(T, heads, hd).transpose(0, 1)
        k = (y @ L["k"].t()).view(T, kv, hd).transpose(0, 1)
        v = (y @ L["v"].t()).view(T, kv, hd).transpose(0, 1)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k, v = k.repeat_interleave(heads // kv, 0), v.repeat_interleave(heads // kv, 0)
        a = torch.softmax(q @ k.transpose(1, 2) / hd ** 0.5 + mask, -1) @ v
        x = x + a.transpose(0, 1).reshape(T, h) @ L["o"].t()
        y = rms(x, L["n2"])
        x = x + (torch.nn.functional.silu(y @ L["gate"].t()) * (y @ L["up"].t())) @ L["down"].t()
    logits = rms(x, norm) @ head.t()
    return torch.nn.functional.cross_entropy(logits[:-1], ids[1:])


ids = torch.randint(0, vocab, (T,))
with torch.inference_mode():
    nll(ids)
    t = time.time()
    reps = 3
    for _ in range(reps):
        nll(ids)
    s = (time.time() - t) / reps
print(f"eager PyTorch {torch.__version__}, threads {torch.get_num_threads()}: T={T} "
      f"{s:.3f} s/pass, {T / s:.1f} tokens/s")
