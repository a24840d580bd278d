#!/usr/bin/env python3
"""Reference prompts for hearth's chat templates, from llama.cpp's own template engine.

Run with the reference venv (llama-cpp-python + gguf):
    /opt/ref/venv/bin/python scripts/ref/chat_reference.py [--models build/models] [--out tests/data/chat/reference.json]

llama.cpp's llama_chat_apply_template() does not run Jinja: it detects a template family from
substrings of the template text (or takes a family name) and formats with built-in code. hearth
reproduces exactly that, so every expected string here comes from that call:
  * by_name:   every family name hearth supports x every conversation x add_generation_prompt
  * by_text:   real templates read from GGUF files, rendered through llama.cpp's detection
  * detection: short hand-written template texts carrying the substrings llama.cpp looks for;
               for each, the family llama.cpp is checked (below) to pick, by comparing its output
               with the output for that family's name.
"""
import argparse
import ctypes
import json
import sys
from pathlib import Path

import gguf
import llama_cpp

# Family names as llama.cpp spells them (--chat-template NAME) that hearth renders.
SUPPORTED = [
    "chatml", "llama2", "llama2-sys", "llama2-sys-bos", "llama2-sys-strip",
    "mistral-v1", "mistral-v3", "mistral-v3-tekken", "mistral-v7", "mistral-v7-tekken",
    "phi3", "phi4", "falcon3", "zephyr", "monarch", "gemma", "orion", "openchat",
    "vicuna", "vicuna-orca", "deepseek", "deepseek2", "deepseek3", "command-r", "llama3",
    "chatglm3", "chatglm4", "glmedge", "minicpm", "exaone3", "exaone4", "exaone-moe",
    "granite", "granite-4.0", "granite-4.1", "megrez", "llama4",
]

CONVERSATIONS = {
    "user_only": [("user", "Hello!")],
    "system_user": [("system", "You are a helpful assistant."), ("user", "What is 2+2?")],
    "multi_turn": [
        ("system", "Answer in one word."),
        ("user", "Capital of France?"),
        ("assistant", "Paris"),
        ("user", "And of Italy?"),
    ],
    "no_system_multi": [("user", "Hi"), ("assistant", "Hello! How can I help?"), ("user", "Tell me a joke.")],
    "ends_with_assistant": [("user", "Say yes."), ("assistant", "Yes.")],
    "unicode_whitespace": [
        ("system", "  Réponds en français.  "),
        ("user", "\n Grüß dich! 你好 🌍 — ¿qué tal?\t"),
        ("assistant", "  Très bien, merci ! 😊\n"),
        ("user", "Ça va ?"),
    ],
    "two_systems": [("system", "First rule."), ("system", " Second rule. "), ("user", "Go.")],
    "empty_content": [("user", "")],
    "other_roles": [("user", "Weather?"), ("tool", "{\"temp\": 21}"), ("user", "Thanks")],
    "tool_call_roles": [("user", "Weather?"), ("assistant_tool_call", "{\"name\": \"weather\"}"), ("tool", " 21 C ")],
}

# Hand-written template texts: each carries the substrings llama.cpp's llm_chat_detect_template
# looks for, and is labelled with the family llama.cpp must pick for it.
DETECTION = [
    ("chatml", "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n'}}{% endfor %}"),
    ("phi4", "{{'<|im_start|>' + m['role'] + '<|im_sep|>' + m['content'] + '<|im_end|>'}}"),
    ("smolvlm", "<|im_start|>{{ m['content'] }}<end_of_utterance>"),
    ("mistral-v7", "{{ '[SYSTEM_PROMPT]' + s + '[/SYSTEM_PROMPT]' }}{{ '[INST]' + u + '[/INST]' }}"),
    ("mistral-v1", "{{ bos_token }}{{ ' [INST] ' + system_message + '\\n\\n' + m['content'] + ' [/INST]' }}"),
    ("mistral-v3-tekken", "{{ \"[AVAILABLE_TOOLS]\" }}{{ \"[INST]\" + m['content'] + \"[/INST]\" }}"),
    ("mistral-v3", "{{ '[AVAILABLE_TOOLS]' }}{{ '[INST]' + m['content'] + '[/INST]' }}"),
    ("llama2-sys-strip", "{% set content = m['content'] %}{{ '[INST] <<SYS>>\\n' + s + '\\n<</SYS>>\\n\\n' + content.strip() + ' [/INST]' }}"),
    ("llama2-sys-bos", "{{ bos_token + '[INST] ' + '<<SYS>>' + m['content'] + ' [/INST]' }}"),
    ("llama2-sys", "{{ '[INST] <<SYS>>\\n' + s + '\\n<</SYS>>\\n\\n' + m['content'] + ' [/INST]' }}"),
    ("llama2", "{{ '[INST] ' + m['content'] + ' [/INST]' }}"),
    ("llama2", "mistral-custom-name"),  # a text starting with "mistral" is taken as [INST]-style
    ("phi3", "{{'<|user|>\\n' + m['content'] + '<|end|>\\n<|assistant|>\\n'}}"),
    ("chatglm4", "[gMASK]<sop>{{ '<|user|>' }}{{ '<|assistant|>' }}"),
    ("falcon3", "{{ '<|user|>\\n' + m['content'] + '\\n<|assistant|>\\n' + m['content'] + '</s>' }}"),
    ("glmedge", "{{ '<|user|>\\n' + m['content'] + '<|assistant|>' }}"),
    ("zephyr", "{{ '<|user|>\\n' + m['content'] + '<|endoftext|>' }}"),
    ("monarch", "{{ bos_token + message['role'] + '\\n' + message['content'] + eos_token }}"),
    ("gemma", "{{ '<start_of_turn>' + role + '\\n' + m['content'] | trim + '<end_of_turn>\\n' }}"),
    ("orion", "{{ 'Human: ' + m['content'] + '\\n\\nAssistant: ' + eos_token }}"),
    ("openchat", "{{ 'GPT4 Correct ' + m['role'] | title + ': ' + m['content'] + '<|end_of_turn|>' }}"),
    ("vicuna-orca", "{{ 'SYSTEM: ' + s }}{{ 'USER: ' + u }}{{ 'ASSISTANT: ' + a }}"),
    ("vicuna", "{{ 'USER: ' + u }}{{ 'ASSISTANT: ' + a }}"),
    ("deepseek", "{{ '### Instruction:\\n' + m['content'] + '\\n' }}{{ '### Response:\\n' + a + '\\n<|EOT|>\\n' }}"),
    ("command-r", "{{ '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + m['content'] + '<|END_OF_TURN_TOKEN|>' }}"),
    ("llama3", "{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] | trim + '<|eot_id|>' }}"),
    ("chatglm3", "[gMASK]sop{{ '<|' + m['role'] + '|>' }}"),
    ("minicpm", "{{ '<用户>' + m['content'] + '<AI>' }}"),
    ("deepseek2", "{{ 'User: ' + u + '\\n\\n' }}{{ 'Assistant: ' + message['content'] + eos_token }}"),
    ("deepseek3", "{{ '<｜User｜>' + u }}{{ '<｜Assistant｜>' + a + '<｜end▁of▁sentence｜>' }}"),
    ("exaone4", "{{ '[|system|]' + s + '[|endofturn|]' }}{{ '[|tool|]' }}{{ '[|assistant|]' }}"),
    ("exaone3", "{{ '[|system|]' + s + '[|endofturn|]\\n' }}{{ '[|assistant|]' + a + '[|endofturn|]' }}"),
    ("exaone-moe", "{{ '<|user|>\\n' + u + '<|endofturn|>' }}{{ '<|assistant|>\\n' }}{{ '<|tool_declare|>' }}"),
    ("rwkv-world", "rwkv-world-style {{ 'User: ' + u }}"),
    ("granite", "{{ '<|start_of_role|>' + m['role'] + '<|end_of_role|>' + m['content'] + '<|end_of_text|>' }}"),
    ("granite-4.0", "{%- set g4_default_system_message = 'x' %}{{ '<|start_of_role|>' + r + '<|end_of_role|>' }}<tools>"),
    ("granite-4.1", "{{ '<|start_of_role|>' + r + '<|end_of_role|>' }}<tool_call>"),
    ("megrez", "{{ '<|role_start|>' + m['role'] + '<|role_end|>' + m['content'] + '<|turn_end|>' }}"),
    ("yandex", "{{ ' Пользователь: ' + u }}{{ ' Ассистент:' }}"),
    ("llama4", "{{ '<|header_start|>' + m['role'] + '<|header_end|>\\n\\n' + m['content'] | trim + '<|eot|>' }}"),
    ("bailing", "{{ '<role>' + ('HUMAN' if r == 'user' else r | upper) + '</role>' }}<role>ASSISTANT</role>"),
    ("gpt-oss", "{{ '<|start|>' + r + '<|channel|>' }}"),
    ("kimi-k2", "{{ '<|im_assistant|>assistant<|im_middle|>' + a + '<|im_end|>' }}"),
    ("seed_oss", "{{ '<seed:bos>' + m['role'] + '\\n' + m['content'] + '<seed:eos>' }}"),
]

# Texts llama.cpp recognizes as no family at all (hearth falls back to chatml for them).
UNKNOWN = [
    "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}",
    "plain text with no markers",
    "chatml ",  # a family name must match exactly
]

PROBE = "multi_turn"  # the conversation used to tell families apart in the detection check


def apply(tmpl: str, conversation, add_ass: bool):
    """llama.cpp's rendering, or None when it rejects the template (returns -1)."""
    n = len(conversation)
    arr = (llama_cpp.llama_chat_message * max(n, 1))()
    keep = []
    for i, (role, content) in enumerate(conversation):
        r, c = role.encode(), content.encode()
        keep += [r, c]
        arr[i].role = r
        arr[i].content = c
    size = 1 << 16
    buf = ctypes.create_string_buffer(size)
    k = llama_cpp.llama_chat_apply_template(tmpl.encode(), arr, n, add_ass, buf, size)
    if k < 0:
        return None
    if k > size:
        raise RuntimeError("output larger than the buffer")
    return buf.raw[:k].decode("utf-8")


def gguf_template(path: Path):
    reader = gguf.GGUFReader(str(path))
    field = reader.fields.get("tokenizer.chat_template")
    if field is None:
        return None
    return bytes(field.parts[field.data[0]]).decode("utf-8")


def main() -> int:
    ap = argparse.ArgumentParser()
    root = Path(__file__).resolve().parents[2]
    ap.add_argument("--models", default=str(root / "build" / "models"))
    ap.add_argument("--shared", default=str(root.parent / "shared"))
    ap.add_argument("--out", default=str(root / "tests" / "data" / "chat" / "reference.json"))
    args = ap.parse_args()

    conversations = {k: [{"role": r, "content": c} for r, c in v] for k, v in CONVERSATIONS.items()}

    by_name = []
    for name in SUPPORTED:
        for conv_name, conv in CONVERSATIONS.items():
            for add_ass in (True, False):
                out = apply(name, conv, add_ass)
                if out is None:
                    raise RuntimeError(f"llama.cpp does not know the family name {name!r}")
                by_name.append({"family": name, "conversation": conv_name, "add_generation_prompt": add_ass, "expected": out})

    # Real templates from GGUF files. Gemma 3 270M ships none (hearth then falls back to chatml).
    real_sources = [
        ("SmolLM2-135M-Instruct.Q4_1.gguf", Path(args.models) / "SmolLM2-135M-Instruct.Q4_1.gguf", "chatml"),
        ("gemma-3-270m-q4_k_m.gguf", Path(args.models) / "gemma-3-270m-q4_k_m.gguf", None),
        ("ggml-vocab-phi-3.gguf", Path(args.shared) / "tokenizer" / "ggml-vocab-phi-3.gguf", "phi3"),
    ]
    by_text = []
    for label, path, family in real_sources:
        text = gguf_template(path)
        entry = {"source": label, "template": text, "family": family, "cases": []}
        if text is None:
            if family is not None:
                raise RuntimeError(f"{label} has no chat template")
        else:
            for conv_name, conv in CONVERSATIONS.items():
                for add_ass in (True, False):
                    entry["cases"].append({"conversation": conv_name, "add_generation_prompt": add_ass,
                                           "expected": apply(text, conv, add_ass)})
                    if entry["cases"][-1]["expected"] != apply(family, conv, add_ass):
                        raise RuntimeError(f"llama.cpp did not read {label}'s template as {family}")
        by_text.append(entry)

    detection = []
    probe = CONVERSATIONS[PROBE]
    for family, text in DETECTION:
        # Every conversation must come out as the family's: some families differ from their
        # neighbours only for some roles (exaone3/exaone4 on "tool", granite 3.x/4.x on
        # "assistant_tool_call"). granite-4.0 and granite-4.1 render identically, so for those
        # two the label rests on llama.cpp's source rather than on this check.
        for conv in CONVERSATIONS.values():
            for add_ass in (True, False):
                got = apply(text, conv, add_ass)
                if got is None or got != apply(family, conv, add_ass):
                    raise RuntimeError(f"llama.cpp does not detect {family!r} in {text!r}")
        detection.append({"family": family, "template": text, "expected": apply(text, probe, True)})
    for text in UNKNOWN:
        if apply(text, probe, True) is not None:
            raise RuntimeError(f"llama.cpp recognizes {text!r}, expected it not to")
        detection.append({"family": None, "template": text, "expected": None})

    doc = {
        "generator": "scripts/ref/chat_reference.py",
        "llama_cpp_python": llama_cpp.__version__,
        "probe_conversation": PROBE,
        "conversations": conversations,
        "by_name": by_name,
        "by_text": by_text,
        "detection": detection,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(by_name)} by name, {sum(len(e['cases']) for e in by_text)} by text, {len(detection)} detection")
    return 0


if __name__ == "__main__":
    sys.exit(main())
