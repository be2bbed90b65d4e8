"""The pydantic config shared by the dictionary KV generators, with all its validation.

:class:`KVConfig` holds every user-settable parameter of a generator; a task adds its own
fields by subclassing it. Everything the CLI flags, the Axolotl ``needles_*`` keys and
``artificial-needles list`` show is derived from these fields (see
:mod:`~.options`), so a new parameter is one new field here or in a subclass.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

IntRange = tuple[int, int]
#: A token budget, or several that each sample draws one of (a length mixture).
MaxTokens = int | tuple[int, ...]
#: Smallest allowed ``max_tokens``.
MIN_MAX_TOKENS = 16
#: ``gold_dict_size`` value that draws the gold dictionary's size like a distractor's.
MATCH = "match"

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
    max_tokens: MaxTokens = Field(
        4096,
        description="token budget of a sample (prompt + margin); several budgets make a length "
        "mixture: each sample draws one from its seed (weights: max_tokens_weights)",
    )
    max_tokens_weights: tuple[float, ...] | None = Field(
        None, description="relative weight of each max_tokens budget; null: equal weights"
    )
    margin: int = Field(
        100, ge=0, description="tokens kept free for the answer: prompts fit max_tokens - margin"
    )
    gold_dict_size: Annotated[int, Field(ge=1)] | Literal["match"] = Field(
        3,
        description="keys in the gold dictionary; match: drawn from dict_size like a "
        "distractor's (no size cue to where the gold key is)",
    )
    dict_size: IntRange = Field((3, 4), description="keys per distractor dictionary [min, max]")
    key_digits: IntRange = Field((3, 4), description="digits of keys [min, max]")
    value_digits: IntRange = Field((3, 4), description="digits of values [min, max]")
    near_miss_keys: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of distractor keys one digit away from the gold key (multi-subkey: "
        "per subkey)",
    )
    near_miss_values: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of distractor values one digit away from the gold value",
    )
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

    @field_validator("max_tokens", mode="before")
    @classmethod
    def _one_budget(cls, value: Any) -> Any:
        # A list of one budget is that budget: the config (and every sample) is then the same
        # as with a plain number.
        if isinstance(value, (list, tuple)) and len(value) == 1:
            return value[0]
        return value

    @field_validator("max_tokens", mode="after")
    @classmethod
    def _check_budgets(cls, value: MaxTokens) -> MaxTokens:
        budgets = value if isinstance(value, tuple) else (value,)
        small = [b for b in budgets if b < MIN_MAX_TOKENS]
        if small:
            raise ValueError(f"each budget must be at least {MIN_MAX_TOKENS}, not {small[0]}")
        if len(set(budgets)) != len(budgets):
            raise ValueError(
                f"{list(budgets)} repeats a budget; list each once and weight it with "
                "max_tokens_weights"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> KVConfig:
        if self.margin >= min(self.max_tokens_choices):
            raise ValueError(
                f"margin ({self.margin}) must be smaller than max_tokens "
                f"({min(self.max_tokens_choices)})"
            )
        self._check_weights()
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

    def _check_weights(self) -> None:
        weights = self.max_tokens_weights
        if weights is None:
            return
        n = len(self.max_tokens_choices)
        if n == 1:
            raise ValueError("max_tokens_weights needs several max_tokens budgets")
        if len(weights) != n:
            raise ValueError(
                f"max_tokens_weights has {len(weights)} weights for {n} max_tokens budgets; "
                "give one weight per budget"
            )
        if any(w < 0 for w in weights) or not any(w > 0 for w in weights):
            raise ValueError("max_tokens_weights must be >= 0 with at least one above 0")

    @property
    def max_tokens_choices(self) -> tuple[int, ...]:
        """The token budgets a sample may get (one unless ``max_tokens`` is a mixture)."""
        mt = self.max_tokens
        return mt if isinstance(mt, tuple) else (mt,)

    @property
    def is_mixture(self) -> bool:
        """Whether samples draw their budget from several ``max_tokens`` values."""
        return isinstance(self.max_tokens, tuple)

    @property
    def budget(self) -> int:
        """Largest allowed prompt length in tokens (of the largest budget of a mixture)."""
        return max(self.max_tokens_choices) - self.margin

    @property
    def gold_size_matches(self) -> bool:
        """Whether the gold dictionary's size is drawn like a distractor's (``match``)."""
        return self.gold_dict_size == MATCH

    @property
    def gold_size_max(self) -> int:
        """The most keys the gold dictionary can have."""
        gds = self.gold_dict_size
        return self.dict_size[1] if gds == MATCH else int(gds)
