"""A real instruct-style test model: the bundled Gemma 3 270M GGUF copied with llama.cpp's own
gguf-py, with Gemma's chat template added to its metadata, so llama.cpp formats real chat
messages (create_chat_completion) for a real model. Used by tests/test_instruct.py and by
bench/advice_quality.py."""

from __future__ import annotations

from pathlib import Path

# Gemma 3's chat template (as published with the instruction-tuned Gemma 3 models).
GEMMA3_CHAT_TEMPLATE = """{{ bos_token }}
{%- if messages[0]['role'] == 'system' -%}
    {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}
    {%- set loop_messages = messages[1:] -%}
{%- else -%}
    {%- set first_user_prefix = "" -%}
    {%- set loop_messages = messages -%}
{%- endif -%}
{%- for message in loop_messages -%}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception("Conversation roles must alternate user/assistant/user/assistant/...") }}
    {%- endif -%}
    {%- if (message['role'] == 'assistant') -%}
        {%- set role = "model" -%}
    {%- else -%}
        {%- set role = message['role'] -%}
    {%- endif -%}
    {{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else "") }}
    {{- message['content'] | trim }}
    {{- '<end_of_turn>\n' }}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{ '<start_of_turn>model\n' }}
{%- endif -%}
"""
CHAT_NAME = "Gemma 3 270M (chat template added for tests)"


def build_chat_model(source: Path, target: Path) -> Path:
    """Copy `source` to `target` with tokenizer.chat_template set (and a name that says so)."""
    import gguf

    reader = gguf.GGUFReader(str(source))
    arch = reader.get_field(gguf.Keys.General.ARCHITECTURE).contents()
    writer = gguf.GGUFWriter(str(target), arch=arch)
    alignment = reader.get_field(gguf.Keys.General.ALIGNMENT)
    if alignment is not None:
        writer.data_alignment = alignment.contents()
    for field in reader.fields.values():
        name = field.name
        if name.startswith("GGUF.") or name in (gguf.Keys.General.ARCHITECTURE,
                                                gguf.Keys.Tokenizer.CHAT_TEMPLATE,
                                                gguf.Keys.General.NAME):
            continue
        kind = field.types[0]
        sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, field.contents(), kind, sub_type=sub)
    writer.add_name(CHAT_NAME)
    writer.add_chat_template(GEMMA3_CHAT_TEMPLATE)
    for tensor in reader.tensors:
        writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype,
                               tensor.data.nbytes, tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for tensor in reader.tensors:
        writer.write_tensor_data(tensor.data)
    writer.close()
    return target
