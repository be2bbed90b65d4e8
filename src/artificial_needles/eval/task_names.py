"""The names of our lm-eval tasks, in one place: the family prefixes, the MDQA task pattern, the
FLenQA subsets, the groups and the general benchmarks.

The task checks (:mod:`artificial_needles.eval.checks`), the FLenQA adapter
(:mod:`artificial_needles.eval.flenqa`) and the report's sections read these names from here.
The YAML files under ``lm_eval_tasks/`` name the same tasks; a test keeps them equal
(``tests/packaging/test_one_source.py``).
"""

from __future__ import annotations

import re

MDQA_PREFIX = "mdqa_"
FLENQA_PREFIX = "flenqa_"
#: The group of the KV retrieval tasks; each of its tasks is ``kv_retrieval_<generator>``.
KV_GROUP = "kv_retrieval"
KV_PREFIX = f"{KV_GROUP}_"
#: The prefix of every leaf task of our three families.
FAMILY_PREFIXES: tuple[str, ...] = (MDQA_PREFIX, FLENQA_PREFIX, KV_PREFIX)

#: ``mdqa_<N>docs_pos<P>``: N documents, the gold one at position P (1-based).
MDQA_TASK = re.compile(rf"^{MDQA_PREFIX}(\d+)docs_pos(\d+)$")
#: The closed-book MDQA task (no documents): the report's reference line.
MDQA_CLOSEDBOOK = f"{MDQA_PREFIX}closedbook"
#: The group of the KV tasks beyond the paper (multi-query, multi-hop), apart from
#: :data:`KV_GROUP` so that its scores stay those of the paper's tasks.
KV_MULTI_GROUP = f"{KV_PREFIX}multi"
#: ``kv_retrieval_<generator>`` (the name of :data:`KV_MULTI_GROUP` matches it too).
KV_TASK = re.compile(rf"^{KV_PREFIX}(\w+)$")

#: FLenQA subsets: the task-name part -> the dataset's own name (the ``dataset`` field).
FLENQA_SUBSETS: dict[str, str] = {
    "pir": "PIR",
    "monorel": "MonoRel",
    "ruletaker": "Simplified RuleTaker",
}
#: The suffix of the chain-of-thought variant of a FLenQA task (and of its group).
COT_SUFFIX = "_cot"
#: ``flenqa_<subset>`` and ``flenqa_<subset>_cot`` (not the group ``flenqa_cot``).
FLENQA_TASK = re.compile(rf"^{FLENQA_PREFIX}(?!cot$)([a-z0-9]+?)({COT_SUFFIX})?$")

#: The group of the paper's no-regression check, and its lm-eval tasks in the group's order
#: (``lm_eval_tasks/general/_needles_general.yaml``).
GENERAL_GROUP = "needles_general"
GENERAL_TASKS: tuple[str, ...] = ("mmlu", "hellaswag", "gsm8k", "triviaqa", "nq_open")
#: The group of all our tasks (``lm_eval_tasks/_artificial_needles.yaml``).
ALL_GROUP = "artificial_needles"


def is_family_task(name: str) -> bool:
    """Whether ``name`` is (or looks like) a leaf task of our MDQA, FLenQA or KV families."""
    return name.startswith(FAMILY_PREFIXES)
