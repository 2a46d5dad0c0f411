#!/usr/bin/python3
"""The trainer's optimizer step written in eager PyTorch (Debian's python3-torch, the same
LibTorch 1.13 the trainer links), for the fine-tuning comparison of issue 18: the trainer's
Llama (tied embeddings, RMSNorm in float32, GQA attention with rotate_half RoPE and an explicit
causal softmax, SwiGLU), mean token cross-entropy, backward, gradient clipping at 1.0 and AdamW
(betas 0.9, 0.95, weight decay 0.1 on the matrices), on random windows of T + 1 tokens.
One warm-up step, then STEPS timed steps. Prints tokens/s (batch x T per step).
Usage: eager_train.py H,LAYERS,HEADS,KV_HEADS,INTER,VOCAB T BATCH [STEPS] [threads]
threads: torch.set_num_threads (default: torch's own default, as a user runs it)."""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

h, layers, heads, kv, inter, vocab = map(int, sys.argv[1].split(","))
T, B = int(sys.argv[2]), int(sys.argv[3])
steps = int(sys.argv[4]) if len(sys.argv) > 4 else 5
if len(sys.argv) > 5:
    torch.set_num_threads(int(sys.argv[5]))
torch.manual_seed(1)
hd = h // heads


class RmsNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(h))

    def forward(self, x):
        xf = x.float()
        return self.weight * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + 1e-5)).to(x.dtype)


def rot(x):
    return torch.cat([-x[..., hd // 2:], x[..., :hd // 2]], -1)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        lin = lambda i, o: nn.Linear(i, o, bias=False)
        self.n1, self.n2 = RmsNorm(), RmsNorm()
        self.q, self.k, self.v, self.o = lin(h, heads * hd), lin(h, kv * hd), lin(h, kv * hd), lin(heads * hd, h)
        self.gate, self.up, self.down = lin(h, inter), lin(h, inter), lin(inter, h)

    def forward(self, x, cos, sin, mask):
        b, t = x.shape[:2]
        y = self.n1(x)
        q = self.q(y).view(b, t, heads, hd).transpose(1, 2)
        k = self.k(y).view(b, t, kv, hd).transpose(1, 2)
        v = self.v(y).view(b, t, kv, hd).transpose(1, 2)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        if kv != heads:
            k, v = k.repeat_interleave(heads // kv, 1), v.repeat_interleave(heads // kv, 1)
        s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        a = torch.softmax(s.masked_fill(mask, float("-inf")), -1) @ v
        x = x + self.o(a.transpose(1, 2).reshape(b, t, heads * hd))
        y = self.n2(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(vocab, h)
        self.layers = nn.ModuleList(Layer() for _ in range(layers))
        self.norm = RmsNorm()
        for p in self.parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids, cos, sin, mask):
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x) @ self.embed.weight.t()


model = Model()
decay = [p for p in model.parameters() if p.dim() >= 2]
no_decay = [p for p in model.parameters() if p.dim() < 2]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                         {"params": no_decay, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.95))
inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).double() / hd))
ang = torch.outer(torch.arange(T).double(), inv)
cos = torch.cat([ang.cos()] * 2, -1).float()
sin = torch.cat([ang.sin()] * 2, -1).float()
mask = torch.ones(T, T, dtype=torch.bool).triu(1)


def step():
    batch = torch.randint(0, vocab, (B, T + 1))
    x, y = batch[:, :T], batch[:, 1:]
    loss = F.cross_entropy(model(x, cos, sin, mask).reshape(-1, vocab), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


step()
t = time.time()
for _ in range(steps):
    step()
s = (time.time() - t) / steps
print(f"eager PyTorch {torch.__version__}, threads {torch.get_num_threads()}: T={T} batch {B} "
      f"{s:.3f} s/step, {B * T / s:.1f} tokens/s")
