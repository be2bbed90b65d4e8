"""Task metadata of our lm-eval tasks (``--metadata``), validated before any model loads.

:class:`EvalMetadata` is the one definition of the keys our tasks read (see docs/metadata.md);
:func:`parse_metadata` turns a user's ``--metadata`` value into it with one-line errors (unknown
keys named with a suggestion). The task adapters under ``lm_eval_tasks/`` read their options
through :func:`task_options`, which also accepts lm-eval's merge of ``--model_args`` (string
values, extra keys).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from artificial_needles.config_errors import ConfigError
from artificial_needles.errors import NeedlesError

#: Keys lm-eval itself puts into task metadata, or that model_args merge in.
LM_EVAL_KEYS = ("version", "num_fewshot", "pretrained")


class EvalMetadata(BaseModel):
    """The ``--metadata`` keys of the artificial-needles tasks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_seq_lengths: tuple[int, ...] = Field(
        (4096,), description="KV retrieval: prompt lengths (any positive integers)"
    )
    depth_buckets: int = Field(
        10, ge=1, le=100, description="KV retrieval: gold-dictionary depth buckets"
    )
    num_samples: int = Field(20, ge=1, description="KV retrieval: prompts per (length, bucket)")
    seed: int = Field(0, ge=0, description="KV retrieval: dataset seed (eval domain)")
    margin: int = Field(100, ge=0, description="KV retrieval: tokens left for the answer")
    chat_template: bool = Field(
        False, description="KV retrieval: size prompts through the chat template"
    )
    system_instruction: str | None = Field(
        None,
        description="KV retrieval: the system turn before each prompt (lm-eval's "
        "--system_instruction), counted with chat_template",
    )
    tokenizer: str | None = Field(None, description="KV retrieval: tokenizer sizing the prompts")
    gold_dict_size: Annotated[int, Field(ge=1)] | Literal["match"] | None = Field(
        None,
        description="KV retrieval: keys in the gold dictionary; match: sized like the "
        "distractors (the shortcut probe: a model that learned the size cue drops)",
    )
    near_miss_keys: float | None = Field(
        None, ge=0.0, le=1.0, description="KV retrieval: share of near-miss distractor keys"
    )
    near_miss_values: float | None = Field(
        None, ge=0.0, le=1.0, description="KV retrieval: share of near-miss distractor values"
    )
    num_queries: int | None = Field(
        None, ge=1, description="kv_retrieval_multiquery: keys asked per prompt"
    )
    hops: int | None = Field(None, ge=1, description="kv_retrieval_multihop: lookups per chain")
    mdqa_data: str | None = Field(None, description="MDQA: data file or folder")
    flenqa_data: str | None = Field(None, description="FLenQA: local data file")

    @field_validator("max_seq_lengths", mode="before")
    @classmethod
    def _lengths(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else text.split(",")
        if isinstance(value, int):
            value = [value]
        return value

    @field_validator("max_seq_lengths")
    @classmethod
    def _positive(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(n < 1 for n in value):
            raise ValueError("must be one or more positive integers")
        return value


KEYS = tuple(EvalMetadata.model_fields)
#: Metadata keys passed on to the KV generators' configs (when set), and the tasks that take
#: each (None: every KV task).
GENERATOR_KEYS: dict[str, tuple[str, ...] | None] = {
    "gold_dict_size": None,
    "near_miss_keys": None,
    "near_miss_values": None,
    "num_queries": ("multi-query-kv",),
    "hops": ("multi-hop-kv",),
}


def generator_overrides(opts: EvalMetadata, task: str) -> dict[str, Any]:
    """The generator config fields that ``opts`` sets for KV ``task`` (unset keys, and keys of
    other tasks, are left out: the documents then stay those of the task's defaults)."""
    out = {}
    for key, tasks in GENERATOR_KEYS.items():
        value = getattr(opts, key)
        if value is not None and (tasks is None or task in tasks):
            out[key] = value
    return out


def _checked(values: dict[str, Any], where: str) -> EvalMetadata:
    try:
        return EvalMetadata(**values)
    except ValidationError as exc:
        raise ConfigError.from_validation(exc, where, KEYS, values, noun="key") from None


def parse_metadata(value: Any, where: str = "--metadata") -> dict[str, Any]:
    """Validate a user's metadata (dict, JSON text, or None); return it as given, checked.

    Raises NeedlesError naming the key and the fix. lm-eval's own keys (``version``...) pass.
    """
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise NeedlesError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise NeedlesError(
            f"{where}: expected a JSON object such as '{{\"num_samples\": 5}}', got "
            f"{type(value).__name__} {value!r}"
        )
    _checked({k: v for k, v in value.items() if k not in LM_EVAL_KEYS}, where)
    return dict(value)


def task_options(kwargs: dict[str, Any], where: str = "task metadata") -> EvalMetadata:
    """Our options out of what lm-eval passes to ``custom_dataset`` (metadata merged with
    model_args and the task's dataset_kwargs): unknown keys are ignored there."""
    known = {k: v for k, v in kwargs.items() if k in KEYS and v is not None}
    if "chat_template" in known and isinstance(known["chat_template"], str):
        known["chat_template"] = known["chat_template"].strip().lower() in {
            "1",
            "true",
            "yes",
            "on",
        }
    return _checked(known, where)
