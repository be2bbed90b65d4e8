"""The pydantic config shared by the dictionary KV generators, with all its validation.

:class:`KVConfig` holds every user-settable parameter of a generator; a task adds its own
fields by subclassing it. Everything the CLI flags, the Axolotl ``needles_*`` keys and
``artificial-needles list`` show is derived from these fields (see
:mod:`~.options`), so a new parameter is one new field here or in a subclass.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

IntRange = tuple[int, int]

#: Allowed bounds of the [min, max] range fields.
RANGE_BOUNDS = {
    "dict_size": (1, 10_000),
    "key_digits": (1, 15),
    "value_digits": (1, 15),
    "subkeys_per_key": (2, 64),
}


def _check_range(name: str, value: IntRange, low: int, high: int) -> IntRange:
    lo, hi = value
    if lo > hi:
        raise ValueError(f"minimum {lo} is larger than maximum {hi}; write it as [{hi}, {lo}]")
    if lo < low or hi > high:
        raise ValueError(f"{list(value)} must lie within [{low}, {high}]")
    return value


class KVConfig(BaseModel):
    """Parameters shared by the dictionary KV generators (all validated here)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    num_samples: int = Field(350, ge=1, description="number of samples to generate")
    num_dicts: int | None = Field(
        None, ge=1, description="dictionaries per prompt; null fills the token budget"
    )
    max_tokens: int = Field(4096, ge=16, description="token budget of a sample (prompt + margin)")
    margin: int = Field(
        100, ge=0, description="tokens kept free for the answer: prompts fit max_tokens - margin"
    )
    gold_dict_size: int = Field(3, ge=1, description="keys in the gold dictionary")
    dict_size: IntRange = Field((3, 4), description="keys per distractor dictionary [min, max]")
    key_digits: IntRange = Field((3, 4), description="digits of keys [min, max]")
    value_digits: IntRange = Field((3, 4), description="digits of values [min, max]")
    shuffle_names: bool = Field(False, description="name dictionaries by a random permutation")
    gold_position: Literal["uniform", "paper", "fixed", "depth"] = Field(
        "uniform",
        description="uniform; paper (5% first, 3% among the first 5%, rest uniform); "
        "fixed (gold_index); depth (uniform within gold_depth)",
    )
    gold_index: int | None = Field(None, ge=1, description="1-based gold position for 'fixed'")
    gold_depth: tuple[float, float] | None = Field(
        None, description="[lo, hi) fraction of the list for 'depth', e.g. [0.2, 0.3]"
    )
    answer_template: bool = Field(True, description="append the answer template to the question")
    seed: int = Field(0, ge=0, description="dataset seed")

    @field_validator("*", mode="after")
    @classmethod
    def _check_ranges(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in RANGE_BOUNDS:
            return _check_range(info.field_name, value, *RANGE_BOUNDS[info.field_name])
        return value

    @model_validator(mode="after")
    def _check(self) -> KVConfig:
        if self.margin >= self.max_tokens:
            raise ValueError(
                f"margin ({self.margin}) must be smaller than max_tokens ({self.max_tokens})"
            )
        if self.gold_position == "fixed":
            if self.gold_index is None:
                raise ValueError("gold_position 'fixed' needs gold_index (1-based position)")
            if self.num_dicts is not None and self.gold_index > self.num_dicts:
                raise ValueError(
                    f"gold_index {self.gold_index} is past the last dictionary "
                    f"(num_dicts={self.num_dicts})"
                )
        elif self.gold_index is not None:
            raise ValueError("gold_index is only used with gold_position 'fixed'")
        if self.gold_position == "depth":
            if self.gold_depth is None:
                raise ValueError("gold_position 'depth' needs gold_depth [lo, hi) within [0, 1]")
            lo, hi = self.gold_depth
            if not (0.0 <= lo < hi <= 1.0):
                raise ValueError(
                    f"gold_depth {list(self.gold_depth)} must satisfy 0 <= lo < hi <= 1"
                )
        elif self.gold_depth is not None:
            raise ValueError("gold_depth is only used with gold_position 'depth'")
        return self

    @property
    def budget(self) -> int:
        """Largest allowed prompt length in tokens."""
        return self.max_tokens - self.margin
