#!/usr/bin/env python3
"""Throughput of a perplexity forward pass: transformers (SDPA, bfloat16, logits and loss) vs
rope-bench on the very same random checkpoints. Usage: hf_bench.py ROPE_BENCH"""
import gc
import threading
import os
import subprocess
import sys
import tempfile
import time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

bench = sys.argv[1]
SHAPES = [
    ("Phi-3-mini shape (3.8B)", dict(hidden_size=3072, num_hidden_layers=32, num_attention_heads=32,
                                     num_key_value_heads=32, intermediate_size=8192,
                                     vocab_size=32064), [4096, 16384]),
    ("Llama-2-7B shape", dict(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32,
                              num_key_value_heads=32, intermediate_size=11008, vocab_size=32000),
     [4096, 65536]),
]


def hf_rate(model, vocab, T, reps=2):
    ids = torch.randint(0, vocab, (1, T), device="cuda")
    try:
        with torch.inference_mode():
            model(input_ids=ids, labels=ids)
            torch.cuda.synchronize()
            t = time.time()
            for _ in range(reps):
                model(input_ids=ids, labels=ids)
            torch.cuda.synchronize()
        return f"{T * reps / (time.time() - t):.0f} tokens/s"
    except torch.cuda.OutOfMemoryError:
        return "out of memory"
    finally:
        torch.cuda.empty_cache()


for name, shape, lengths in SHAPES:
    cfg = LlamaConfig(**shape, max_position_embeddings=131072, rope_theta=10000.0)
    cfg._attn_implementation = "sdpa"
    torch.set_default_dtype(torch.bfloat16)
    with torch.device("cuda"):
        model = LlamaForCausalLM(cfg).eval()
    torch.set_default_dtype(torch.float32)
    for T in lengths:
        print(f"{name}: transformers {T}: {hf_rate(model, shape['vocab_size'], T)}", flush=True)
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        t = time.time()
        model.save_pretrained(d, safe_serialization=True)
        print(f"saved in {time.time() - t:.0f} s", flush=True)
        del model
        gc.collect()
        torch.cuda.empty_cache()
        cmd = ["stdbuf", "-oL", bench, "--model", d, "--device", "cuda", "--dtype", "bfloat16",
               "--lengths", ",".join(map(str, lengths)), "--repeats", "2"]
        peak = [0]
        done = threading.Event()

        def poll():  # the GPU's used memory while rope-bench runs (it is alone on the GPU)
            while not done.is_set():
                q = subprocess.run(["nvidia-smi", "--query-gpu=memory.used",
                                    "--format=csv,noheader,nounits"], capture_output=True, text=True)
                if q.returncode == 0:
                    peak[0] = max(peak[0], int(q.stdout.split()[0]))
                done.wait(0.2)

        poller = threading.Thread(target=poll)
        poller.start()
        r = subprocess.run(cmd, capture_output=True, text=True)
        done.set()
        poller.join()
        print(r.stdout, r.stderr[-2000:], f"rope-bench exit {r.returncode}, peak GPU memory "
              f"{peak[0]} MiB", flush=True)
        if r.returncode < 0 and subprocess.run(["which", "gdb"], capture_output=True).returncode == 0:
            g = subprocess.run(["gdb", "-batch", "-ex", "run", "-ex", "bt", "--args"] + cmd[2:],
                               capture_output=True, text=True)
            print("\n".join(l for l in g.stdout.splitlines() if l.startswith("#"))[:4000])
