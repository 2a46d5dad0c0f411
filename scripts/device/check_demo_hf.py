#!/usr/bin/env python3
"""A model folder (the bundled demo model, or a LongRoPE export of it made by rope-cli train
--init --rope) in Hugging Face transformers vs rope-cli logits (float32, eager attention):
inside the window of 128, at it, one past it and at 4x it (where a LongRoPE config switches
from its short to its long factors). Usage: check_demo_hf.py ROPE_CLI MODEL_DIR"""
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers import AutoModelForCausalLM

cli, model_dir = sys.argv[1], sys.argv[2]
model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32,
                                             attn_implementation="eager").eval()
vocab = model.config.vocab_size
g = torch.Generator().manual_seed(0)
worst = 0.0
with tempfile.TemporaryDirectory() as tmp:
    for T in (100, 128, 129, 512):
        ids = torch.randint(3, vocab, (1, T), generator=g)
        ids[0, 0] = 1
        with torch.no_grad():
            ref = model(ids).logits[0].float()
        inp, out = Path(tmp) / f"in{T}.safetensors", Path(tmp) / f"out{T}.safetensors"
        save_file({"input_ids": ids.contiguous()}, str(inp))
        for device in ("cpu", "cuda"):
            subprocess.run([cli, "logits", "--model", model_dir, "--input", str(inp), "--out",
                            str(out), "--device", device], check=True)
            ours = load_file(str(out))["logits"]
            r = ((ours - ref).abs().max() / ref.abs().max()).item()
            worst = max(worst, r)
            print(f"T={T:4d} {device:4s}: max|ours - HF| / max|HF| = {r:.2e}")
print("RESULT", "PASS" if worst <= 1e-4 else "FAIL", f"worst {worst:.2e}")
