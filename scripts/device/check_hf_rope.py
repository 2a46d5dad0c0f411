#!/usr/bin/env python3
"""Compares `rope-cli rope --config ... --json` with Hugging Face transformers' own RoPE
initialisation functions, for every method, on a machine that has transformers.

HF computes inv_freq in float32; run once as is (agreement ~1e-7) and once with torch's
float32 mapped to float64 inside the HF functions (agreement ~1e-12, the issue's target).
Usage: check_hf_rope.py ROPE_CLI FIXTURES_DIR
"""
import contextlib
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
import transformers
from transformers import AutoConfig

try:
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
except ImportError:  # pragma: no cover
    ROPE_INIT_FUNCTIONS = {}

CLI = sys.argv[1]
FIXTURES = Path(sys.argv[2])


def base_cfg(**kw):
    c = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
         "num_attention_heads": 32, "num_key_value_heads": 8, "num_hidden_layers": 2,
         "intermediate_size": 11008, "vocab_size": 32000, "max_position_embeddings": 4096,
         "rope_theta": 10000.0}
    c.update(kw)
    return c


def phi3(partial=1.0, head=96):
    hidden = 32 * head
    pairs = int(head * partial) // 2
    return {"architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "hidden_size": hidden,
            "num_attention_heads": 32, "num_key_value_heads": 32, "num_hidden_layers": 2,
            "intermediate_size": 8192, "vocab_size": 32064, "max_position_embeddings": 131072,
            "original_max_position_embeddings": 4096, "rope_theta": 10000.0,
            "partial_rotary_factor": partial,
            "rope_scaling": {"type": "longrope",
                             "short_factor": [1.0 + 0.01 * i for i in range(pairs)],
                             "long_factor": [1.0 + 0.7 * i for i in range(pairs)]}}


CASES = [
    ("default", base_cfg(), [None]),
    ("linear x4", base_cfg(rope_scaling={"type": "linear", "factor": 4.0}), [None]),
    ("dynamic x4", base_cfg(rope_scaling={"type": "dynamic", "factor": 4.0}), [2048, 8192, 16384]),
    ("yarn x8", base_cfg(max_position_embeddings=32768,
                         rope_scaling={"rope_type": "yarn", "factor": 8.0,
                                       "original_max_position_embeddings": 4096}), [None]),
    ("yarn betas", base_cfg(max_position_embeddings=32768,
                            rope_scaling={"rope_type": "yarn", "factor": 8.0, "beta_fast": 16,
                                          "beta_slow": 2, "original_max_position_embeddings": 4096}),
     [None]),
    ("yarn mscale", base_cfg(max_position_embeddings=163840,
                             rope_scaling={"rope_type": "yarn", "factor": 40.0, "mscale": 1.0,
                                           "mscale_all_dim": 0.5,
                                           "original_max_position_embeddings": 4096}), [None]),
    ("llama3", base_cfg(rope_theta=500000.0, max_position_embeddings=131072,
                        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                      "high_freq_factor": 4.0,
                                      "original_max_position_embeddings": 8192}), [None]),
    ("phi3 longrope", phi3(), [2048, 4096, 4097, 100000]),
    ("phi3 partial 0.75", phi3(partial=0.75, head=128), [1000, 8192]),
]


@contextlib.contextmanager
def float64_everywhere():
    saved = (torch.float, torch.float32, torch.Tensor.float)
    torch.float = torch.float64
    torch.float32 = torch.float64
    torch.Tensor.float = torch.Tensor.double
    try:
        yield
    finally:
        torch.float, torch.float32, torch.Tensor.float = saved


def hf_rope(cfg_dir, seq_len):
    config = AutoConfig.from_pretrained(cfg_dir)
    params = getattr(config, "rope_parameters", None) or getattr(config, "rope_scaling", None) or {}
    rope_type = params.get("rope_type", params.get("type", "default"))
    fn = ROPE_INIT_FUNCTIONS.get(rope_type)
    if fn is None:  # transformers 5.x: default RoPE lives in the model's rotary embedding
        from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding
        emb = LlamaRotaryEmbedding(config=config)
        fn = type(emb).compute_default_rope_parameters
    try:
        inv, att = fn(config, "cpu", seq_len)
    except TypeError:  # transformers 5.x: compute_default_rope_parameters(config, device)
        inv, att = fn(config, "cpu")
    return [float(x) for x in inv.double()], float(att)


def ours(cfg_dir, seq_len):
    args = [CLI, "rope", "--config", cfg_dir, "--json"]
    if seq_len:
        args += ["--seq-len", str(seq_len)]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return j["inv_freq"], j["attention_factor"]


def rel(a, b):
    return max(abs(x - y) / abs(y) for x, y in zip(a, b))


def main():
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    worst = {"float32": 0.0, "float64": 0.0}
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, cfg, lengths in CASES + [("fixture llama", None, [None]),
                                           ("fixture phi3", None, [48, 300])]:
            if cfg is None:
                d = str(FIXTURES / ("llama_default" if "llama" in name else "phi3_longrope"))
            else:
                d = str(Path(tmp) / name.replace(" ", "_"))
                Path(d).mkdir()
                (Path(d) / "config.json").write_text(json.dumps(cfg))
            for seq in lengths:
                try:
                    inv, att = ours(d, seq)
                    row = [f"{name:18s} seq={str(seq):7s}"]
                    for mode in ("float32", "float64"):
                        ctx = float64_everywhere() if mode == "float64" else contextlib.nullcontext()
                        with ctx:
                            hinv, hatt = hf_rope(d, seq)
                        if len(hinv) != len(inv):
                            raise RuntimeError(f"length {len(inv)} vs HF {len(hinv)}")
                        r = max(rel(inv, hinv), abs(att - hatt) / abs(hatt))
                        worst[mode] = max(worst[mode], r)
                        row.append(f"{mode} max rel {r:.2e}")
                    print("  ".join(row))
                except Exception as e:  # report and go on: one run must show everything
                    failures += 1
                    print(f"{name:18s} seq={seq}: FAILED {type(e).__name__}: {e}")
    print(f"worst float32 {worst['float32']:.2e}, worst float64 {worst['float64']:.2e}, "
          f"failures {failures}")
    ok = failures == 0 and worst["float64"] <= 1e-12
    print("RESULT", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
