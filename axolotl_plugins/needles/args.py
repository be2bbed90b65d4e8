"""Top-level Axolotl config keys of the needles plugin (all prefixed ``needles_``).

A leaf module: pydantic, the logger and the core's parameter table
(:func:`artificial_needles.generators.options.generator_params`) only. Axolotl merges
:class:`NeedlesArgs` into its own config model. The generator keys are not written here: every
user-settable generator parameter ``X`` is the key ``needles_X`` (its ``axolotl_key``), so a new
generator parameter is a new key without an edit in the plugin. The keys written below are the
plugin's own (task choice, mixing, evaluation). Checks that need the generator registry, lm-eval
or the file system run when the config is loaded, in :mod:`artificial_needles.axolotl.checks`.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model, field_validator, model_validator

from artificial_needles.generators.options import ParamSpec, generator_params

LOG = logging.getLogger("axolotl.needles.args")

#: The ``type:`` of a ``datasets:`` entry that holds our synthetic rows.
DATASET_TYPE = "artificial_needles.axolotl.dataset"
#: Generator parameters whose core ``None`` is written as a word in YAML (where null = unset).
NONE_AS = {"num_dicts": "fill"}
#: Generator parameters whose default comes from another Axolotl key.
DEFAULT_FROM = {"max_tokens": "sequence_len"}


class _PluginArgs(BaseModel):
    """The plugin's own keys (the generator keys are added by :func:`_with_generator_keys`)."""

    needles_task: str | None = Field(
        None,
        description="generator name: simple-kv, multi-subkey-kv, multi-query-kv, multi-hop-kv "
        "or a plugin-registered one",
    )
    needles_preset: str | None = Field(None, description="preset of the task, e.g. paper-mistral")
    needles_mix_ratio: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="share of synthetic rows in the mix with the other `datasets:` entries "
        "(replaces needles_num_samples)",
    )
    needles_eval_samples: int = Field(
        0, ge=0, description="samples of a generated eval split (never training samples)"
    )
    needles_overrides: dict[str, Any] | None = Field(
        None, description="task-specific fields of the task's config, e.g. {subkeys_per_key: 4}"
    )
    needles_train_on: Literal["answer", "answer_slots"] = Field(
        "answer",
        description="answer: the answer and its end-of-turn token; answer_slots: only the "
        "value and dictionary-name tokens",
    )
    needles_eval_tasks: list[str] | None = Field(
        None, description="lm-eval tasks run on the trained model after training"
    )
    needles_eval_baseline: bool = Field(
        False, description="also evaluate the base model before training; writes the report"
    )
    needles_label: str | None = Field(
        None, description="label of the trained model in the report (default: output_dir name)"
    )
    needles_eval_limit: float | None = Field(None, gt=0, description="lm-eval --limit")
    needles_eval_metadata: dict[str, Any] | None = Field(
        None, description="lm-eval task metadata, e.g. {max_seq_lengths: [4096]}"
    )
    needles_eval_batch_size: int | str | None = Field(
        None,
        description="lm-eval batch size: a number, auto or auto:N (default 1 with hf, auto "
        "with vllm)",
    )
    needles_eval_backend: Literal["hf", "vllm"] = Field(
        "hf", description="lm-eval model type of the evaluation child process"
    )
    needles_eval_chat_template: bool = Field(True, description="apply the chat template in eval")
    needles_eval_log_samples: bool = Field(
        False, description="lm-eval --log_samples: each document's prompt, output and score"
    )
    needles_eval_model_args: str | None = Field(
        None, description="extra lm-eval model_args, e.g. attn_implementation=sdpa"
    )

    @field_validator("needles_eval_batch_size")
    @classmethod
    def _batch_size(cls, value: int | str | None) -> int | str | None:
        if value is None:
            return None
        text = str(value).strip()
        if text.isdigit() and int(text) >= 1:
            return int(text)
        if re.fullmatch(r"auto(:[1-9]\d*)?", text):
            return text
        raise ValueError(f"{value!r}: use a positive number, auto or auto:N")

    @model_validator(mode="after")
    def _check_combinations(self) -> _PluginArgs:
        if self.needles_task is None:
            set_keys = [k for k in type(self).model_fields if is_set(self, k)]
            if set_keys:
                raise ValueError(
                    f"{', '.join(set_keys)} need needles_task (e.g. needles_task: simple-kv)"
                )
            return self
        if self.needles_mix_ratio is not None and getattr(self, "needles_num_samples", None):
            raise ValueError(
                "needles_mix_ratio and needles_num_samples are exclusive: the ratio sets the "
                "number of synthetic samples; drop one of them"
            )
        if self.needles_eval_baseline and not self.needles_eval_tasks:
            raise ValueError("needles_eval_baseline needs needles_eval_tasks (what to evaluate)")
        return self


def _generator_field(spec: ParamSpec) -> tuple[Any, Any]:
    annotation = spec.annotation
    if spec.name in NONE_AS:
        annotation = annotation | Literal[NONE_AS[spec.name]]  # type: ignore[operator]
    default = f"default: {DEFAULT_FROM[spec.name]}" if spec.name in DEFAULT_FROM else "preset"
    return (annotation | None, Field(None, description=f"{spec.help} ({default})"))


def _with_generator_keys(base: type[BaseModel]) -> type[BaseModel]:
    fields = {p.axolotl_key: _generator_field(p) for p in generator_params().values()}
    clash = sorted(set(fields) & set(base.model_fields))
    if clash:  # a generator parameter named like a plugin key: rename one of them
        raise RuntimeError(f"needles keys defined twice: {clash}")
    return create_model("NeedlesArgs", __base__=base, __module__=__name__, **fields)


NeedlesArgs = _with_generator_keys(_PluginArgs)
NeedlesArgs.__doc__ = "Input args of :class:`artificial_needles.axolotl.NeedlesPlugin`."
#: ``needles_*`` key of each generator parameter, and back.
KEY_OF_FIELD = {name: p.axolotl_key for name, p in generator_params().items()}
FIELD_OF_KEY = {key: name for name, key in KEY_OF_FIELD.items()}
PLUGIN_KEYS = tuple(_PluginArgs.model_fields)
_DEFAULTS = {name: f.default for name, f in NeedlesArgs.model_fields.items()}


def is_set(args: Any, key: str) -> bool:
    """Whether ``key`` of ``args`` differs from its default."""
    return getattr(args, key, None) not in (None, _DEFAULTS.get(key))


def _get(cfg: Any, key: str) -> Any:
    return cfg.get(key) if hasattr(cfg, "get") else getattr(cfg, key, None)


def generator_overrides(cfg: Any) -> dict[str, Any]:
    """Generator config fields from the ``needles_*`` keys of ``cfg`` (a config or args):
    ``needles_overrides`` first, then each generator key that is set."""
    out: dict[str, Any] = dict(_get(cfg, "needles_overrides") or {})
    for name, key in KEY_OF_FIELD.items():
        value = _get(cfg, key)
        if value is None and name in DEFAULT_FROM:
            value = _get(cfg, DEFAULT_FROM[name])
        if value is None:
            continue
        out[name] = None if NONE_AS.get(name) == value else value
    return out


def key_for_field(name: str, overrides: Iterable[str] = ()) -> str:
    """The config key a user sets generator field ``name`` with."""
    if name in KEY_OF_FIELD and name not in overrides:
        key = KEY_OF_FIELD[name]
        return f"{key} (default: {DEFAULT_FROM[name]})" if name in DEFAULT_FROM else key
    return f"needles_overrides.{name}"


def check_unknown_keys(cfg: Any, other_keys: Iterable[str] = ()) -> None:
    """Reject misspelled ``needles_*`` keys, and top-level keys close to ours that are not in
    ``other_keys`` (Axolotl's own keys): Axolotl would drop them silently."""
    ours = list(NeedlesArgs.model_fields)
    other = set(other_keys)
    hints = []
    for key in sorted(k for k in cfg if isinstance(k, str)):
        if key in NeedlesArgs.model_fields or key in other:
            continue
        close = difflib.get_close_matches(key, ours, n=1, cutoff=0.8)
        if not close and key.startswith("need"):
            close = difflib.get_close_matches(key, ours, n=1, cutoff=0.6)
        if key.startswith("needles_") or close:
            hints.append(f"{key} (did you mean {close[0]}?)" if close else key)
    if hints:
        raise ValueError(f"unknown needles plugin keys: {', '.join(hints)}")
