"""Tiny tokenizers and models built locally, for tests, smoke runs and benchmarks (no downloads).

Public helpers for anyone who wants to exercise the generators, the lm-eval tasks or the Axolotl
plugin without a hub model (our own tests, benchmarks and ``artificial-needles tiny-model`` use
them):

- :func:`build_tokenizer` trains a small byte-level BPE tokenizer (600 tokens) whose digits are
  split one per token, like Mistral's and Llama-2's, and saves it with a chat template;
- :func:`build_model` saves a randomly initialised 2-layer Llama (or Mistral) architecture model
  plus that tokenizer, loadable with ``AutoModelForCausalLM`` / ``AutoTokenizer``;
- :data:`CHAT_TEMPLATES` holds ChatML, Llama-3 and Mistral ``[INST]`` templates and
  :data:`END_OF_TURN` the marker each one ends an assistant turn with;
- :data:`OFFLINE_ENV` is the environment that keeps Hugging Face libraries (and Axolotl's
  telemetry) off the network.

The model's weights are random: it proves a pipeline runs, it scores nothing. ``tokenizers``,
``transformers`` and (for the model) ``torch`` are imported only when a builder is called.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

__all__ = [
    "CHATML",
    "CHAT_TEMPLATES",
    "END_OF_TURN",
    "LLAMA3",
    "MISTRAL",
    "OFFLINE_ENV",
    "SPECIAL",
    "TINY_SHAPE",
    "build_model",
    "build_tokenizer",
]

CHATML = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
LLAMA3 = (
    "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + "
    "'<|end_header_id|>\n\n' + m['content'] | trim + '<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}"
)
MISTRAL = (
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}"
    "{{ '[INST] ' + m['content'] + ' [/INST]' }}{% elif m['role'] == 'assistant' %}"
    "{{ m['content'] + eos_token }}{% endif %}{% endfor %}"
)
#: Environment for subprocesses of tests and benchmarks: nothing may reach a hub.
OFFLINE_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "AXOLOTL_DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "WANDB_MODE": "disabled",
}
#: chat templates by name (``chat_template=`` of the builders)
CHAT_TEMPLATES: dict[str, str] = {"chatml": CHATML, "llama3": LLAMA3, "mistral": MISTRAL}
#: end-of-turn marker of each template (what the trainable tokens must end with)
END_OF_TURN: dict[str, str] = {"chatml": "<|im_end|>", "llama3": "<|eot_id|>", "mistral": "</s>"}
#: special tokens of the tiny tokenizer: bos, eos, unk, pad, then the templates' markers
SPECIAL: list[str] = [
    "<s>",
    "</s>",
    "<unk>",
    "<pad>",
    "<|im_start|>",
    "<|im_end|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
]
#: the model's shape: 2 layers, hidden size 64, grouped-query attention (4 heads, 2 KV heads)
TINY_SHAPE: dict[str, int] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
}


def _corpus(n: int = 400) -> list[str]:
    rng = random.Random(0)
    words = (
        "the a an of and to in is was for on that with as by it at from his her he she they "
        "write high quality answer given question using only provided search results some "
        "which might be irrelevant document title answer true false facts rule statement "
        "derived either show your steps then work this out step by way sure we have right "
        "dictionary dictionaries list below above such each key value integer report "
        "template following fill in name contains integers not necessarily order its do task "
        "who when where what how many year city country river born wrote won first last "
        "user assistant system"
    ).split()
    out = []
    for _ in range(n):
        out.append(" ".join(rng.choice(words) for _ in range(40)))
        out.append(
            "Dictionary [{}] {{{}: {}, {}: {}}}".format(*(rng.randint(1, 9999) for _ in range(5)))
        )
        out.append("Document [{}](Title: {}) {}.".format(rng.randint(1, 30), *rng.sample(words, 2)))
    out.append("(141, 986, 163): 2528, <fill-in-value> <fill-in-dictionary-name> ’ \" ? ! ; '")
    return out


def _check_template(chat_template: str) -> None:
    if chat_template not in CHAT_TEMPLATES:
        from artificial_needles.errors import NeedlesError

        raise NeedlesError(
            f"chat template {chat_template!r}: use one of {', '.join(CHAT_TEMPLATES)}"
        )


def build_tokenizer(path: str | Path, chat_template: str = "chatml") -> Any:
    """Train and save a fast tokenizer in ``path``; returns the loaded transformers tokenizer.

    Deterministic: the same call writes the same files. ``chat_template`` names an entry of
    :data:`CHAT_TEMPLATES`.
    """
    _check_template(chat_template)
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=600,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        additional_special_tokens=SPECIAL[4:],
    )
    fast.chat_template = CHAT_TEMPLATES[chat_template]
    fast.model_max_length = 16384
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(path)
    return fast


def build_model(
    path: str | Path,
    chat_template: str = "chatml",
    seed: int = 0,
    arch: str = "llama",
) -> Path:
    """Save a random 2-layer model (``arch`` ``llama`` or ``mistral``) plus tokenizer in ``path``.

    Shape :data:`TINY_SHAPE`, float32, 16,384 positions, untied embeddings; weights drawn with
    ``torch.manual_seed(seed)``. Returns ``path``.
    """
    if arch not in ("llama", "mistral"):
        from artificial_needles.errors import NeedlesError

        raise NeedlesError(f"model architecture {arch!r}: use llama or mistral")
    _check_template(chat_template)
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM

    config_cls, model_cls = {
        "llama": (LlamaConfig, LlamaForCausalLM),
        "mistral": (MistralConfig, MistralForCausalLM),
    }[arch]
    tok = build_tokenizer(path, chat_template)
    torch.manual_seed(seed)
    config = config_cls(
        vocab_size=len(tok),
        max_position_embeddings=16384,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        tie_word_embeddings=False,
        **TINY_SHAPE,
    )
    model = model_cls(config)
    model.save_pretrained(path)
    return Path(path)
