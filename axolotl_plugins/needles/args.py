"""Top-level Axolotl config keys of the needles plugin (all prefixed ``needles_``).

Axolotl merges this model into its own config model, so the validators below run when the
config is loaded and a bad value fails there with the key named.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

#: The ``type:`` of a ``datasets:`` entry that holds our synthetic rows.
DATASET_TYPE = "artificial_needles.axolotl.dataset"
#: Sample indices of the optional eval split start here (disjoint from any training split).
EVAL_INDEX_OFFSET = 1_000_000


class NeedlesArgs(BaseModel):
    """Input args of :class:`artificial_needles.axolotl.NeedlesPlugin`."""

    needles_task: str | None = Field(
        None, description="generator name: simple-kv, multi-subkey-kv or a plugin-registered one"
    )
    needles_preset: str | None = Field(None, description="preset of the task, e.g. paper-mistral")
    needles_num_samples: int | None = Field(None, ge=1, description="training samples")
    needles_mix_ratio: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="share of synthetic rows in the mix with the other `datasets:` entries "
        "(replaces needles_num_samples)",
    )
    needles_eval_samples: int = Field(0, ge=0, description="samples of a generated eval split")
    needles_max_tokens: int | None = Field(
        None, ge=16, description="token budget of a row; default sequence_len"
    )
    needles_margin: int | None = Field(None, ge=0, description="tokens kept for the answer")
    needles_num_dicts: int | Literal["fill"] | None = Field(
        None, description="dictionaries per prompt, or 'fill' to fill the budget"
    )
    needles_answer_template: bool | None = Field(None, description="append the answer template")
    needles_seed: int | None = Field(None, ge=0, description="dataset seed")
    needles_gold_position: Literal["uniform", "paper", "fixed", "depth"] | None = None
    needles_overrides: dict[str, Any] | None = Field(
        None, description="any other field of the task's config, e.g. {key_digits: [3, 4]}"
    )
    needles_train_on: Literal["answer", "answer_slots"] = Field(
        "answer",
        description="answer: the answer and its end-of-turn token; answer_slots: only the "
        "value and dictionary-name tokens",
    )
    needles_eval_tasks: list[str] | None = Field(
        None, description="lm-eval tasks run on the trained model after training"
    )
    needles_eval_limit: float | None = Field(None, gt=0, description="lm-eval --limit")
    needles_eval_metadata: dict[str, Any] | None = Field(
        None, description="lm-eval task metadata, e.g. {max_seq_lengths: [4096]}"
    )
    needles_eval_batch_size: int = Field(1, ge=1)
    needles_eval_chat_template: bool = Field(True, description="apply the chat template in eval")
    needles_eval_model_args: str | None = Field(
        None, description="extra lm-eval model_args, e.g. attn_implementation=sdpa"
    )

    @field_validator("needles_task")
    @classmethod
    def _known_task(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from artificial_needles.plugins import get_generators

        known = sorted(get_generators())
        if value not in known:
            raise ValueError(f"needles_task: unknown task {value!r}; use one of {', '.join(known)}")
        return value

    @model_validator(mode="after")
    def _check_generator(self) -> NeedlesArgs:
        if self.needles_task is None:
            set_keys = [k for k in NeedlesArgs.model_fields if _is_set(self, k)]
            if set_keys:
                raise ValueError(
                    f"{', '.join(set_keys)} need needles_task (e.g. needles_task: simple-kv)"
                )
            return self
        if self.needles_mix_ratio is not None and self.needles_num_samples is not None:
            raise ValueError(
                "needles_mix_ratio and needles_num_samples are exclusive: the ratio sets the "
                "number of synthetic samples; drop one of them"
            )
        from artificial_needles.axolotl.spec import validate_generator

        validate_generator(self.needles_task, self.needles_preset, generator_overrides(self))
        return self


_DEFAULTS = {name: f.default for name, f in NeedlesArgs.model_fields.items()}


def _is_set(args: Any, key: str) -> bool:
    return getattr(args, key, None) not in (None, _DEFAULTS.get(key))


def generator_overrides(cfg: Any) -> dict[str, Any]:
    """Generator config fields from the ``needles_*`` keys of ``cfg`` (a config or args)."""

    def get(key: str) -> Any:
        if hasattr(cfg, "get"):
            return cfg.get(key)
        return getattr(cfg, key, None)

    out: dict[str, Any] = dict(get("needles_overrides") or {})
    seq_len = get("sequence_len")
    max_tokens = get("needles_max_tokens") or seq_len
    if max_tokens is not None:
        out["max_tokens"] = max_tokens
    simple = {
        "needles_num_samples": "num_samples",
        "needles_margin": "margin",
        "needles_answer_template": "answer_template",
        "needles_seed": "seed",
        "needles_gold_position": "gold_position",
    }
    for key, field in simple.items():
        if get(key) is not None:
            out[field] = get(key)
    num_dicts = get("needles_num_dicts")
    if num_dicts == "fill":
        out["num_dicts"] = None
    elif num_dicts is not None:
        out["num_dicts"] = num_dicts
    return out


def check_unknown_keys(cfg: Any) -> None:
    """Reject misspelled ``needles_*`` keys (Axolotl would drop them silently)."""
    known = NeedlesArgs.model_fields
    unknown = sorted(k for k in cfg if k.startswith("needles_") and k not in known)
    if unknown:
        import difflib

        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, list(NeedlesArgs.model_fields), n=1)
            hints.append(f"{key} (did you mean {close[0]}?)" if close else key)
        raise ValueError(f"unknown needles plugin keys: {', '.join(hints)}")
