"""What a dictionary KV retrieval task defines: the one module a plugin author reads.

A task is a small object: how to draw the gold dictionary (with its question) and the
distractor pairs, how a dictionary prints, and what the answer is. Everything else (the token
budget, fitting as many dictionaries as the budget allows, the layout, counting, the metadata)
belongs to the sample builder (:class:`~artificial_needles.generators.builder.Generator`), which
calls only the methods below.

A plugin subclasses :class:`KVTask`, sets the class attributes, defines the five abstract
methods and registers the class (``examples/needles-example-plugin``)::

    class LetterKV(KVTask):
        name = "letter-kv"
        config_cls = LetterKVConfig          # a KVConfig subclass
        description = "..."
        presets = {"small": {"num_samples": 100, "max_tokens": 1024}}

        def make_gold(self, rng): ...         # Gold(pairs, key, value, question, reserved)
        def make_pair(self, rng, gold): ...   # one distractor (key, value), never a reserved one
        def pair_numbers(self, pair): ...     # every integer printed for the pair
        def answer(self, gold, name): ...     # the target answer for dictionary ``name``
        @classmethod
        def check_content(cls, dicts, gold_index, question, answer, meta): ...  # -> problems

Every random draw takes the ``random.Random`` passed in (seeded per sample from a stable hash
of seed and index), so a sample depends only on the config, the tokenizer and its index.
"""

from __future__ import annotations

import copy
import random
import warnings
from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar, Protocol

from artificial_needles.generators.config import KVConfig
from artificial_needles.generators.draw import draw_int
from artificial_needles.generators.parse import Parsed, check_layout, parse_dictionaries
from artificial_needles.generators.sample import DictBlock, Gold
from artificial_needles.generators.templates import dictionary_line, dictionary_lines
from artificial_needles.seeding import check_domain


class Costs(Protocol):
    """The token estimate a task's :meth:`KVTask.draw_dicts` receives
    (:class:`~artificial_needles.generators.budget.LineCosts`)."""

    def estimate(self, pairs: Sequence[tuple[Any, Any]]) -> float: ...


class KVTask(ABC):
    """A dictionary KV retrieval task (module docstring); subclasses define keys and strings."""

    name: ClassVar[str]
    config_cls: ClassVar[type[KVConfig]]
    description: ClassVar[str]
    presets: ClassVar[dict[str, dict[str, Any]]] = {}
    #: Config fields that ``make_gold``/``make_pair`` never read: generators that differ only
    #: in these share one calibration per tokenizer (a task that reads one removes it here).
    calibration_free: ClassVar[frozenset[str]] = frozenset(
        {
            "num_samples",
            "seed",
            "max_tokens",
            "margin",
            "num_dicts",
            "gold_position",
            "gold_index",
            "gold_depth",
            "shuffle_names",
        }
    )

    def __init__(self, config: KVConfig, domain: str = "train") -> None:
        if not isinstance(config, self.config_cls):
            raise TypeError(f"{self.name} needs a {self.config_cls.__name__}")
        self.cfg = config
        #: Data domain ("train", "eval", "validation"; :mod:`artificial_needles.seeding`): it
        #: fixes the class of the keys (and values) a task draws, so evaluation data never meets
        #: training data.
        self.domain = check_domain(domain)

    # -- what a task must define ------------------------------------------------------------
    @abstractmethod
    def make_gold(self, rng: random.Random) -> Gold:
        """Draw the gold dictionary, key, value and question."""

    @abstractmethod
    def make_pair(self, rng: random.Random, gold: Gold) -> tuple[Any, Any]:
        """Draw one distractor key-value pair that keeps the invariants."""

    @abstractmethod
    def pair_numbers(self, pair: tuple[Any, Any]) -> list[int]:
        """Every integer printed for a pair (for the token estimate)."""

    @abstractmethod
    def answer(self, gold: Gold, name: int) -> str:
        """The target answer for the gold dictionary called ``name``."""

    @classmethod
    @abstractmethod
    def check_content(
        cls,
        dicts: Parsed,
        gold_index: int,
        question: str,
        answer: str,
        meta: dict[str, Any],
    ) -> list[str]:
        """Task-specific invariants of one parsed sample (``gold_index`` is 0-based)."""

    # -- what a task may override -----------------------------------------------------------
    def answer_for(self, gold: Gold, names: list[int]) -> str:
        """The answer when the gold dictionary is called ``names[0]`` and the dictionaries of
        ``gold.linked`` ``names[1:]``; tasks with linked dictionaries override it."""
        return self.answer(gold, names[0])

    def render_dict(self, pairs: dict[Any, Any] | Sequence[tuple[Any, Any]]) -> str:
        """How a dictionary prints: Python ``repr`` (docs/formats.md). A task that changes it
        declares :meth:`line_shape` again, or its prompts are tokenized to count them."""
        return repr(pairs if isinstance(pairs, dict) else dict(pairs))

    def line_shape(self, pairs: dict[Any, Any]) -> Hashable | None:
        """What, besides its numbers and name, fixes the text of a dictionary line with
        ``pairs`` (two lines of one shape differ only in their digits); ``None``: the task does
        not say, and its prompts are tokenized instead of counted from their structure."""
        return None

    def render_lines(self, names: list[int], bodies: list[Any]) -> list[str]:
        """The dictionary lines of ``bodies`` called ``names`` (override :meth:`render_dict`,
        not this: with the default one, all lines are rendered in one C-level pass)."""
        if type(self).render_dict is KVTask.render_dict:
            return dictionary_lines(names, bodies)
        render = self.render_dict
        return [dictionary_line(n, render(b)) for n, b in zip(names, bodies, strict=True)]

    def with_config(self, config: KVConfig) -> KVTask:
        """This task for ``config`` (a shallow copy: what the task prepared is shared), for
        configs that differ from this one only in :attr:`calibration_free` fields."""
        twin = copy.copy(self)
        twin.cfg = config
        return twin

    def smallest_pair(self) -> tuple[Any, Any]:
        """A pair with the fewest digits the config allows (sizes the fill batches)."""
        k = 10 ** (self.cfg.key_digits[0] - 1)
        return (k, 10 ** (self.cfg.value_digits[0] - 1))

    def widest_pair(self) -> tuple[Any, Any]:
        """A pair with the most digits the config allows (for the feasibility check)."""
        return (10 ** self.cfg.key_digits[1] - 1, 10 ** self.cfg.value_digits[1] - 1)

    def draw_dict(self, rng: random.Random, gold: Gold, size: int) -> list[tuple[Any, Any]]:
        """``size`` distractor pairs with distinct keys."""
        pairs: dict[Any, Any] = {}
        while len(pairs) < size:
            k, v = self.make_pair(rng, gold)
            pairs.setdefault(k, v)
        return list(pairs.items())

    def draw_dicts(
        self, rng: random.Random, gold: Gold, count: int, costs: Costs
    ) -> list[DictBlock]:
        """``count`` distractor dictionaries (sizes drawn from ``dict_size``) with their
        estimated token costs (``costs.estimate``), in prompt order; a task may draw a whole
        batch at once for speed (``simple-kv`` does)."""
        out = []
        for _ in range(count):
            items = self.draw_dict(rng, gold, draw_int(rng, self.cfg.dict_size))
            out.append(DictBlock(dict(items), costs.estimate(items)))
        return out

    @classmethod
    def check_sample(cls, prompt: str, answer: str, meta: dict[str, Any]) -> list[str]:
        """Every invariant violated by one generated sample (empty list when it is valid)."""
        try:
            dicts, question = parse_dictionaries(prompt)
        except (ValueError, SyntaxError) as exc:
            return [str(exc)]
        problems, has_gold = check_layout(dicts, meta)
        if has_gold:
            pos = meta["gold_position"]
            problems += cls.check_content(dicts, pos - 1, question, answer, meta)
        return problems


class KVGenerator(KVTask, ABC):
    """Deprecated name of :class:`KVTask` (until 0.3): subclassing it warns."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "KVGenerator" in {b.__name__ for b in cls.__bases__}:
            warnings.warn(
                f"{cls.__qualname__}: KVGenerator is deprecated, subclass "
                "artificial_needles.KVTask (same methods; the sample loop is no longer inherited)",
                DeprecationWarning,
                stacklevel=2,
            )
