#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (tests/fuzz/corpus/<target>/): small valid files
of each format, so that the fuzzer starts from inputs the parsers accept. Standard library only;
run from anywhere. The hf-tiny configs are copied from tests/fixtures."""

import json
import pathlib
import shutil
import struct

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
FIXTURES = HERE.parent / "fixtures"


def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, data bytes)] -> file bytes (8-byte aligned header)."""
    header, offset, data = {}, 0, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def npy(descr, shape, raw, version=1):
    """A .npy file as numpy.save writes it (header padded to 64 bytes)."""
    dims = f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}"
    prefix = 10 if version == 1 else 12
    text += " " * (-(prefix + len(text) + 1) % 64) + "\n"
    length = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text.encode() + raw


def configs():
    """Configs of every RoPE method and architecture the readers know."""
    out = {}
    for model in ("llama_default", "mistral_default", "qwen2_default", "phi3_longrope"):
        out[model] = (FIXTURES / "hf-tiny" / model / "config.json").read_text()
    base = json.loads(out["llama_default"])
    base.pop("rope_parameters", None)
    base["rope_theta"] = 10000.0
    variants = {
        "linear": {"type": "linear", "factor": 4.0},
        "dynamic": {"rope_type": "dynamic", "factor": 2.0},
        "yarn": {"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 64,
                 "beta_fast": 32, "beta_slow": 1, "mscale": 1.0},
        "llama3": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                   "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
    }
    for name, block in variants.items():
        out["rope_scaling_" + name] = json.dumps(dict(base, rope_scaling=block), indent=2)
    qwen = json.loads(out["qwen2_default"])
    qwen.update(use_sliding_window=True, sliding_window=16, max_window_layers=1)
    out["qwen2_sliding"] = json.dumps(qwen, indent=2)
    mistral = json.loads(out["mistral_default"])
    mistral.update(sliding_window=16, layer_types=["sliding_attention", "full_attention"])
    out["mistral_layer_types"] = json.dumps(mistral, indent=2)
    return out


def tokenizers():
    """Tiny tokenizer.json files: BPE with each family of components the reader supports."""
    gpt2_bytes = {c: i for i, c in enumerate("HeloĠwrd!,12ap")}
    gpt2_bytes.update({"ll": len(gpt2_bytes), "Ġw": len(gpt2_bytes) + 1})
    byte_level = {
        "added_tokens": [{"id": 16, "content": "<s>", "special": True, "lstrip": False,
                          "rstrip": False, "single_word": False, "normalized": False}],
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "\\p{N}{1,3}| ?\\p{L}+|\\s+(?!\\S)|\\s+"},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
             "use_regex": False}]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [16], "tokens": ["<s>"]}}},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "vocab": gpt2_bytes, "merges": ["l l", "Ġ w"],
                  "ignore_merges": False},
    }
    pieces = {"<unk>": 0, "<s>": 1, "</s>": 2, "▁": 3, "a": 4, "b": 5, "▁a": 6, "<0x0A>": 7,
              "<0xC3>": 8, "<0xBC>": 9}
    metaspace = {
        "added_tokens": [{"id": i, "content": t, "special": True, "lstrip": False,
                          "rstrip": False, "single_word": False, "normalized": False}
                         for t, i in (("<unk>", 0), ("<s>", 1), ("</s>", 2))],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "},
                                                   "content": "▁"}]},
        "pre_tokenizer": None,
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                      {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "vocab": pieces, "merges": [["▁", "a"]], "unk_token": "<unk>",
                  "fuse_unk": True, "byte_fallback": True},
    }
    words = {
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"},
                                                           {"type": "Strip", "left": True,
                                                            "right": True}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "WhitespaceSplit"}, {"type": "Digits", "individual_digits": True},
            {"type": "Punctuation", "behavior": "Isolated"}]},
        "model": {"type": "BPE", "vocab": {"[UNK]": 0, "h": 1, "##e": 2, "he": 3, "##l": 4, "1": 5},
                  "merges": ["h ##e"], "unk_token": "[UNK]", "continuing_subword_prefix": "##"},
    }
    return {"byte_level": byte_level, "metaspace": metaspace, "words": words}


def write(target, name, data):
    path = CORPUS / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    f32 = struct.pack("<6f", *[0.5 * i for i in range(6)])
    i64 = struct.pack("<4q", 1, 2, 3, 4)

    write("fuzz_safetensors", "f32_i64_metadata.safetensors",
          safetensors([("w", "F32", [2, 3], f32), ("ids", "I64", [4], i64)], {"format": "pt"}))
    write("fuzz_safetensors", "every_dtype.safetensors", safetensors([
        ("f16", "F16", [2], struct.pack("<2e", 1.0, -2.5)),
        ("bf16", "BF16", [2], b"\x80\x3f\x00\x40"),
        ("f64", "F64", [1], struct.pack("<d", 3.25)),
        ("u8", "U8", [2], b"\x01\xff"),
        ("i32", "I32", [2], struct.pack("<2i", -1, 7)),
        ("u64", "U64", [1], struct.pack("<Q", 9)),
        ("b", "BOOL", [1], b"\x01"),
        ("f8", "F8_E4M3", [1], b"\x38"),
    ]))
    write("fuzz_safetensors", "empty_tensor.safetensors",
          safetensors([("e", "F32", [0, 4], b""), ("s", "F32", [], struct.pack("<f", 1.0))]))
    write("fuzz_safetensors", "no_tensors.safetensors", safetensors([]))

    write("fuzz_model_index", "one_shard.index.json",
          json.dumps({"metadata": {"total_size": 8}, "weight_map": {"x": "a.safetensors"}}))
    write("fuzz_model_index", "missing_shard.index.json",
          json.dumps({"weight_map": {"x": "a.safetensors", "y": "b.safetensors"}}))

    ids = struct.pack("<5q", 1, 5, 9, 0, 3)
    write("fuzz_tokens", "npy_i8_1d", b"\x00" + npy("<i8", [5], ids))
    write("fuzz_tokens", "npy_u2_2d", b"\x00" + npy("<u2", [2, 3], struct.pack("<6H", *range(6))))
    write("fuzz_tokens", "npy_v2_i4", b"\x00" + npy("<i4", [3], struct.pack("<3i", 4, 0, 2), 2))
    write("fuzz_tokens", "npy_u1", b"\x00" + npy("|u1", [4], b"\x01\x02\x00\x03"))
    write("fuzz_tokens", "st_i64_row", b"\x01" + safetensors([("input_ids", "I64", [1, 5], ids)]))
    write("fuzz_tokens", "st_i32_docs",
          b"\x01" + safetensors([("input_ids", "I32", [2, 3], struct.pack("<6i", *range(6)))]))
    write("fuzz_tokens", "bin_tokens", b"\x02" + struct.pack("<6H", 3, 4, 0, 5, 6, 7))
    write("fuzz_tokens", "bin_sidecar", b"\x02" + json.dumps({"dtype": "uint16"}).encode())

    for name, text in configs().items():
        write("fuzz_config_read", name + ".json", text)
        write("fuzz_config_write", name + ".json", text)
    write("fuzz_config_write", "empty.json", "")
    phi3 = json.loads(configs()["phi3_longrope"])
    phi3["rope_scaling"] = dict(phi3.pop("rope_parameters"), type="su")
    write("fuzz_config_write", "phi3_su_rope_scaling.json", json.dumps(phi3, indent=2))

    write("fuzz_factor_files", "csv_column", b"\x00" + b"1.0\n1.25\n1.5\n2.0\n")
    write("fuzz_factor_files", "csv_layers", b"\x00" + b"# layers x pairs\n1,1.5\n1.1,1.6\n")
    write("fuzz_factor_files", "config_phi3", b"\x01" + configs()["phi3_longrope"].encode())
    write("fuzz_factor_files", "config_yarn", b"\x01" + configs()["rope_scaling_yarn"].encode())

    factor_set = {"name": "pi", "method": "linear", "factors": [4.0] * 4, "n_hat": 0,
                  "attention_factor": None, "base": 10000.0, "rotary_dim": 8,
                  "original_max_position": 64, "target_length": 256}
    longrope = dict(factor_set, name="searched", method="search",
                    factors=[1.0, 1.5, 2.0, 4.0], short_factors=[1.0] * 4, n_hat=4,
                    attention_factor=1.2, layer_factors=[[1.0, 1.5, 2.0, 4.0]] * 2)
    write("fuzz_project", "two_sets_session.json", json.dumps({
        "format": "rope-workbench-project", "version": 1, "factor_sets": [factor_set, longrope],
        "session": {"model": "demo", "active": 1}}, indent=2))
    write("fuzz_project", "one_set.json", json.dumps({
        "format": "rope-workbench-project", "version": 1, "factor_sets": [factor_set]}))

    for name, tokenizer in tokenizers().items():
        write("fuzz_tokenizer_json", name + ".json", json.dumps(tokenizer, ensure_ascii=False))

    checkpoint = json.loads((FIXTURES / "bad-inputs" /
                             "ck_history_generation_1e300.checkpoint.json").read_text())
    checkpoint["history"][0]["generation"] = 1
    write("fuzz_search_checkpoint", "generation2.json", json.dumps(checkpoint, indent=1))
    first = dict(checkpoint, generation=0, population=[], seen=[], scores={},
                 screening_scores={}, history=[], evaluations=0, screenings=0)
    write("fuzz_search_checkpoint", "generation0.json", json.dumps(first))


if __name__ == "__main__":
    main()
