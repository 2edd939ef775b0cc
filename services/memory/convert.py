"""all-MiniLM-L6-v2 (a BERT in safetensors) to GGUF, with numpy and llama.cpp's gguf-py only.

llama.cpp's own converter imports torch; this one does what it does for BERT and nothing else:
the weights read with numpy from the safetensors bytes (8-byte little-endian header length, a
JSON header, then raw data), named by gguf-py's `TensorNameMap`, the WordPiece vocabulary in
llama.cpp's spelling (a continuation loses its '##', any other non-control token gains U+2581),
mean pooling, no causal attention. Norms, biases and every 1-D tensor stay f32; the matrices are
f16 or q8_0 (gguf-py's numpy quantiser).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

ARCH = "bert"
KINDS = ("f16", "q8_0")
DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
F32_ALWAYS = ("token_types",)   # added to the f32 activations as it is: ggml wants f32 there
SKIPPED = ("embeddings.position_ids", "pooler.")   # HF bookkeeping; the pooler is not used


class ConversionError(ValueError):
    """The files are not the BERT this converter knows."""


def read_safetensors(data: bytes) -> dict[str, np.ndarray]:
    """The tensors in a safetensors file's bytes, as read-only numpy views of them."""
    if len(data) < 8:
        raise ConversionError("the weights file is too short")
    (size,) = struct.unpack("<Q", data[:8])
    try:
        header = json.loads(data[8:8 + size])
    except (ValueError, UnicodeDecodeError) as err:
        raise ConversionError(f"the weights file's header is not JSON ({err})") from None
    start, tensors = 8 + size, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = DTYPES.get(info.get("dtype"))
        begin, end = info["data_offsets"]
        if dtype is None or not 0 <= begin <= end <= len(data) - start:
            raise ConversionError(f"the weights file's tensor {name} cannot be read")
        array = np.frombuffer(data, dtype=dtype, count=(end - begin) // np.dtype(dtype).itemsize,
                              offset=start + begin)
        tensors[name] = array.reshape(info["shape"])
    return tensors


def vocabulary(tokenizer: dict) -> tuple[list[str], list[int], dict[str, int]]:
    """Tokens in id order (llama.cpp's WordPiece spelling), their types, and the special ids."""
    import gguf

    model = tokenizer.get("model") or {}
    if model.get("type") != "WordPiece" or model.get("continuing_subword_prefix") != "##":
        raise ConversionError("the tokenizer is not a BERT WordPiece vocabulary")
    by_id = {i: t for t, i in model["vocab"].items()}
    control = {t["content"] for t in tokenizer.get("added_tokens", []) if t.get("special")}
    if sorted(by_id) != list(range(len(by_id))):
        raise ConversionError("the tokenizer's vocabulary has gaps")
    tokens, types = [], []
    for i in range(len(by_id)):
        token = by_id[i]
        if token in control:
            tokens.append(token)
            types.append(gguf.TokenType.CONTROL)
        else:
            tokens.append(token[2:] if token.startswith("##") else "\u2581" + token)
            types.append(gguf.TokenType.NORMAL)
    ids = {}
    for key, token in (("cls", "[CLS]"), ("sep", "[SEP]"), ("unk", "[UNK]"), ("pad", "[PAD]"),
                       ("mask", "[MASK]")):
        if token not in control:
            raise ConversionError(f"the tokenizer has no {token} token")
        ids[key] = model["vocab"][token]
    return tokens, types, ids


def convert(weights: bytes, tokenizer: dict, config: dict, out: Path, kind: str = "q8_0") -> None:
    """Write the GGUF of a BERT sentence encoder with mean pooling to `out` (an existing file
    is overwritten in place: the caller chooses its name and mode)."""
    import gguf
    from gguf.quants import quantize

    if kind not in KINDS:
        raise ConversionError(f"unknown tensor type {kind!r}")
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        raise ConversionError("the model is not a BERT with GELU")
    layers, width = int(config["num_hidden_layers"]), int(config["hidden_size"])
    tensors = read_safetensors(weights)
    tokens, types, ids = vocabulary(tokenizer)
    if tensors["embeddings.word_embeddings.weight"].shape != (len(tokens), width):
        raise ConversionError("the vocabulary and the token embeddings differ in size")

    writer = gguf.GGUFWriter(path=None, arch=ARCH)
    writer.add_name("all-MiniLM-L6-v2")
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0 if kind == "q8_0"
                         else gguf.LlamaFileType.MOSTLY_F16)
    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(width)
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_block_count(layers)
    writer.add_head_count(int(config["num_attention_heads"]))
    writer.add_layer_norm_eps(float(config["layer_norm_eps"]))
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)

    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_type_count(int(config.get("type_vocab_size", 2)))
    writer.add_bos_token_id(ids["cls"])
    writer.add_uint32("tokenizer.ggml.cls_token_id", ids["cls"])
    writer.add_sep_token_id(ids["sep"])
    writer.add_unk_token_id(ids["unk"])
    writer.add_pad_token_id(ids["pad"])
    writer.add_mask_token_id(ids["mask"])
    writer.add_add_bos_token(True)
    writer.add_add_sep_token(True)
    writer.add_add_eos_token(False)

    names = gguf.TensorNameMap(gguf.MODEL_ARCH.BERT, layers)
    for name, array in tensors.items():
        if name.startswith(SKIPPED):
            continue
        new_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
        if new_name is None:
            raise ConversionError(f"the weights hold a tensor this converter does not know: "
                                  f"{name}")
        data = np.ascontiguousarray(array, dtype=np.float32)
        if data.ndim == 1 or "norm" in new_name or new_name.startswith(F32_ALWAYS):
            writer.add_tensor(new_name, data)
        elif kind == "q8_0" and data.shape[-1] % 32 == 0:
            writer.add_tensor(new_name, quantize(data, gguf.GGMLQuantizationType.Q8_0),
                              raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            writer.add_tensor(new_name, data.astype(np.float16))
    try:
        writer.write_header_to_file(path=Path(out))
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()
