"""All key-value pairs of a batch of ``simple-kv`` dictionaries from one draw, two ways.

The draw (the hot path of generation for keys and values of at most 4 digits) turns the
sample's ``random.Random`` bytes into every dictionary size, key and value of the batch:

1. ``count`` sizes: ``lo + floor(u * (hi - lo + 1))``;
2. for each of the ``total`` pairs, a key and a value by the law of
   :func:`~artificial_needles.generators.draw.number_drawer` (a uniform digit count, then a uniform
   number of that many digits), mapped into the domain's class by ``n ^ class(n) ^ cls``
   (:mod:`artificial_needles.seeding`);
3. pairs that print a reserved number (the gold key or value) are drawn again, in order, until
   none is left;
4. each dictionary's exact tokens of its numbers, and its estimated token cost: those plus the
   fitted structural cost.

A uniform float is ``(x >> 11) * 2**-53`` of a little-endian 64-bit word of ``rng.randbytes``
(so the sample's RNG stays the only source of randomness, on every platform).

:class:`PairBatch` computes it with numpy (about 4x less time per sample) or in pure Python
(no numpy import, which costs ~50 ms of a short run's start-up). Both do the same IEEE
operations in the same order, so they give the same numbers and the same float estimates
(``tests/generate/test_pair_batch.py``); which one runs changes the speed only. A generator
starts in pure Python and switches to numpy after :data:`PURE_PYTHON_BATCHES` batches, or at
once when numpy is already imported.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Sequence
from typing import Any

from artificial_needles.generators.config import IntRange
from artificial_needles.generators.draw import digit_spans
from artificial_needles.seeding import number_class

#: Batches drawn in pure Python before a generator imports numpy (a short run never does).
PURE_PYTHON_BATCHES = 16
_SCALE = 2.0**-53


class PairBatch:
    """Draws the pairs of ``count`` dictionaries (see the module docstring).

    ``key_digits``/``value_digits`` bound the digits (at most 4), ``key_cls``/``value_cls``
    the domain classes (``None``: any), ``dict_size`` the pairs per dictionary, ``ntok`` the
    exact token count of every candidate number and ``weights`` the fitted line costs of
    :class:`~artificial_needles.generators.budget.LineCosts`.
    """

    def __init__(
        self,
        key_digits: IntRange,
        value_digits: IntRange,
        key_cls: int | None,
        value_cls: int | None,
        dict_size: IntRange,
        ntok: dict[int, int],
        weights: Sequence[float],
    ) -> None:
        self._laws = {
            "key": (*digit_spans(key_digits), key_cls),
            "value": (*digit_spans(value_digits), value_cls),
        }
        self._top = 10 ** max(key_digits[1], value_digits[1])
        self._size_lo, size_hi = dict_size
        self._size_span = size_hi - self._size_lo + 1
        self._ntok = ntok
        self._w0 = weights[0]
        self._per_pair = weights[1] + 2 * weights[2]
        self._batches = 0
        self._np: dict[str, Any] | None = None  # numpy tables, once numpy is in use

    def draw(
        self, rng: Any, reserved: set[Any], count: int
    ) -> tuple[list[int], list[int], list[int], list[float], list[int]]:
        """Keys, values (all pairs in order), sizes, estimates and the exact tokens of the
        numbers of ``count`` dictionaries."""
        if self._np is None:
            self._batches += 1
            if self._batches > PURE_PYTHON_BATCHES or "numpy" in sys.modules:
                self._np = self._numpy_tables()
        if self._np is not None:
            return self._draw_numpy(rng, reserved, count)
        return self._draw_python(rng, reserved, count)

    # -- pure Python ---------------------------------------------------------------------------
    def _uniform(self, rng: Any, n: int) -> list[float]:
        scale = _SCALE
        return [(x >> 11) * scale for x in struct.unpack(f"<{n}Q", rng.randbytes(8 * n))]

    def _numbers(self, kind: str, pick: list[float], offset: list[float]) -> list[int]:
        starts, widths, cls = self._laws[kind]
        k = len(starts)
        if k == 1:
            start, width = starts[0], widths[0]
            out = [start + int(o * width) for o in offset]
        else:
            out = []
            for p, o in zip(pick, offset, strict=True):
                d = int(p * k)
                out.append(starts[d] + int(o * widths[d]))
        if cls is None:
            return out
        return [n ^ number_class(n) ^ cls for n in out]

    def _draw_python(
        self, rng: Any, reserved: set[Any], count: int
    ) -> tuple[list[int], list[int], list[int], list[float], list[int]]:
        lo, span = self._size_lo, self._size_span
        sizes = [lo + int(u * span) for u in self._uniform(rng, count)]
        total = sum(sizes)
        u = self._uniform(rng, 4 * total)
        keys = self._numbers("key", u[:total], u[total : 2 * total])
        values = self._numbers("value", u[2 * total : 3 * total], u[3 * total :])
        while True:
            bad = [i for i in range(total) if keys[i] in reserved or values[i] in reserved]
            if not bad:
                break
            nbad = len(bad)
            u = self._uniform(rng, 4 * nbad)
            new_k = self._numbers("key", u[:nbad], u[nbad : 2 * nbad])
            new_v = self._numbers("value", u[2 * nbad : 3 * nbad], u[3 * nbad :])
            for i, k, v in zip(bad, new_k, new_v, strict=True):
                keys[i], values[i] = k, v
        tok = self._ntok
        w0, per_pair = self._w0, self._per_pair
        ests, raws = [], []
        at = 0
        for size in sizes:
            end = at + size
            raw = sum(tok[k] + tok[v] for k, v in zip(keys[at:end], values[at:end], strict=True))
            raws.append(raw)
            ests.append(raw + (w0 + per_pair * size))
            at = end
        return keys, values, sizes, ests, raws

    # -- numpy ---------------------------------------------------------------------------------
    def _numpy_tables(self) -> dict[str, Any]:
        import numpy as np

        from artificial_needles.seeding import class_table

        ntok = np.zeros(self._top, dtype=np.int64)
        size = len(self._ntok)
        nums = np.fromiter(self._ntok.keys(), dtype=np.int64, count=size)
        counts = np.fromiter(self._ntok.values(), dtype=np.int64, count=size)
        known = (nums >= 0) & (nums < self._top)
        ntok[nums[known]] = counts[known]
        tables: dict[str, Any] = {"ntok": ntok}
        for kind, (starts, widths, cls) in self._laws.items():
            flip = None if cls is None else (class_table(self._top) ^ cls).astype(np.int64)
            tables[kind] = (np.array(starts), np.array(widths), flip)
        return tables

    def _draw_numpy(
        self, rng: Any, reserved: set[Any], count: int
    ) -> tuple[list[int], list[int], list[int], list[float], list[int]]:
        import numpy as np

        tables = self._np
        assert tables is not None

        def uniform(rows: int, n: int) -> np.ndarray:
            raw = np.frombuffer(rng.randbytes(8 * rows * n), dtype="<u8").reshape(rows, n)
            return (raw >> np.uint64(11)).astype(np.float64) * _SCALE

        def numbers(kind: str, pick: np.ndarray, offset: np.ndarray) -> np.ndarray:
            starts, widths, flip = tables[kind]
            d = (pick * len(starts)).astype(np.int64)
            out = starts[d] + (offset * widths[d]).astype(np.int64)
            return out if flip is None else out ^ flip[out]

        sizes = self._size_lo + (uniform(1, count)[0] * self._size_span).astype(np.int64)
        total = int(sizes.sum())
        u = uniform(4, total)
        k_arr, v_arr = numbers("key", u[0], u[1]), numbers("value", u[2], u[3])
        while True:
            bad = np.zeros(total, dtype=bool)
            for x in reserved:
                bad |= (k_arr == x) | (v_arr == x)
            nbad = int(bad.sum())
            if not nbad:
                break
            u = uniform(4, nbad)
            k_arr[bad], v_arr[bad] = numbers("key", u[0], u[1]), numbers("value", u[2], u[3])
        tok = tables["ntok"]
        raws = np.add.reduceat(tok[k_arr] + tok[v_arr], np.cumsum(sizes) - sizes)
        ests = raws + (self._w0 + self._per_pair * sizes)
        return k_arr.tolist(), v_arr.tolist(), sizes.tolist(), ests.tolist(), raws.tolist()
