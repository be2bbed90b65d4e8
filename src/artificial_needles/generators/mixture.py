"""Length mixtures: a generator whose samples each draw their token budget (``max_tokens``).

With ``max_tokens: [2048, 4096, 8192]`` (and optional ``max_tokens_weights``), sample ``i``
draws its budget from its own random stream (:func:`draw_max_tokens`: the stream
``<task>/max_tokens`` of seed and index, apart from every stream a generator already uses) and
is then exactly sample ``i`` of the same config with that single budget. So a sample depends only
on the config, the tokenizer and its index, the samples of a mixture are valid samples of their
budget, and a config with one budget never makes this draw (the paper presets stay as they are).
Each sample's ``meta`` carries its own ``max_tokens`` and ``budget``; the run summary counts the
samples per budget (:class:`~artificial_needles.generators.build.Summary`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

from artificial_needles.generators.config import KVConfig
from artificial_needles.generators.sample import Sample
from artificial_needles.seeding import sample_rng


def draw_max_tokens(cfg: KVConfig, rng: random.Random) -> int:
    """One budget of ``cfg``'s ``max_tokens`` mixture, by ``max_tokens_weights`` (default:
    equal); the budget itself, without a draw, when there is one."""
    choices = cfg.max_tokens_choices
    if len(choices) == 1:
        return choices[0]
    weights = cfg.max_tokens_weights or (1.0,) * len(choices)
    return rng.choices(choices, weights)[0]


def single_budget(cfg: KVConfig, max_tokens: int) -> KVConfig:
    """``cfg`` with the one budget ``max_tokens`` (and no weights), validated again."""
    values = cfg.model_dump()
    values.update(max_tokens=max_tokens, max_tokens_weights=None)
    return type(cfg)(**values)


class LengthMixture:
    """Samples of one generator per budget, each sample from the budget it draws.

    ``parts`` maps each budget of ``cfg.max_tokens`` to a generator of the same task, tokenizer
    and domain whose config is ``cfg`` with that budget (:func:`single_budget`). The mixture has
    the generator interface the writers use: ``cfg`` (the mixture's), ``counter``, ``name``,
    ``preset``, ``domain``, :meth:`sample`, :meth:`iter_samples` and ``check_sample``.
    """

    def __init__(self, cfg: KVConfig, parts: dict[int, Any]) -> None:
        if set(parts) != set(cfg.max_tokens_choices):
            raise ValueError(f"parts {sorted(parts)} are not the budgets {cfg.max_tokens}")
        self.cfg = cfg
        self.parts = parts
        first = parts[cfg.max_tokens_choices[0]]
        self.counter = first.counter
        self.name: str = first.name
        self.preset = first.preset
        self.domain: str = first.domain
        self.check_sample: Callable[..., list[str]] = first.check_sample

    def max_tokens_of(self, index: int) -> int:
        """The budget sample ``index`` draws."""
        rng = sample_rng(self.cfg.seed, index, f"{self.name}/max_tokens", self.domain)
        return draw_max_tokens(self.cfg, rng)

    def sample(self, index: int) -> Sample:
        """Sample ``index``: sample ``index`` of the generator of the budget it draws."""
        return self.parts[self.max_tokens_of(index)].sample(index)

    def iter_samples(self, start: int = 0, stop: int | None = None) -> Iterator[Sample]:
        """Samples ``start .. stop-1`` (default: up to ``num_samples``)."""
        end = self.cfg.num_samples if stop is None else stop
        for index in range(start, end):
            yield self.sample(index)
