"""The prompt-length check: no prompt may be truncated by lm-eval.

Every selected generation task's longest prompt, exactly as lm-eval will build it (chat template
included), plus its generation budget must fit the model's ``max_length``; lm-eval would cut a
longer prompt from the left without a word.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LengthProblem:
    """A task whose longest prompt plus generation budget exceeds the model's max_length."""

    task: str
    prompt_tokens: int
    gen_tokens: int
    max_length: int

    @property
    def over(self) -> int:
        """Tokens over the limit."""
        return self.prompt_tokens + self.gen_tokens - self.max_length

    def __str__(self) -> str:
        return (
            f"{self.task}: longest prompt {self.prompt_tokens} tokens + {self.gen_tokens} "
            f"generated = {self.prompt_tokens + self.gen_tokens} > max_length "
            f"{self.max_length} (over by {self.over} tokens)"
        )


def leaf_tasks(task_dict: dict[Any, Any]) -> Iterator[Any]:
    """The task objects of an lm-eval task dict (groups flattened)."""
    for value in task_dict.values():
        if isinstance(value, dict):
            yield from leaf_tasks(value)
        else:
            yield value


def check_prompt_lengths(
    lm: Any,
    task_dict: dict[Any, Any],
    *,
    limit: int | float | None = None,
    apply_chat_template: bool | str = False,
    system_instruction: str | None = None,
    fewshot_as_multiturn: bool = False,
    gen_kwargs: dict[str, Any] | None = None,
) -> list[LengthProblem]:
    """Generation tasks of ``task_dict`` whose longest prompt (as lm-eval builds it for ``lm``)
    plus ``max_gen_toks`` exceeds ``lm.max_length``; empty when all fit."""
    from lm_eval.evaluator_utils import get_sample_size

    max_length = int(lm.max_length)
    template = None
    if apply_chat_template:
        template = lm.apply_chat_template
    problems = []
    for task in leaf_tasks(task_dict):
        if task.get_config("output_type") != "generate_until":
            continue
        budget = dict(task.get_config("generation_kwargs") or {})
        budget.update(gen_kwargs or {})
        gen_tokens = int(
            budget.get(
                "max_gen_toks", budget.get("max_new_tokens", getattr(lm, "max_gen_toks", 256))
            )
        )
        docs = list(task.eval_docs)
        n = get_sample_size(task, limit)
        if n is not None:
            docs = docs[:n]
        longest = 0
        for doc in docs:
            ctx = task.fewshot_context(
                doc,
                num_fewshot=task.get_config("num_fewshot") or 0,
                system_instruction=system_instruction,
                apply_chat_template=bool(apply_chat_template),
                fewshot_as_multiturn=fewshot_as_multiturn,
                chat_template=template,
                gen_prefix=task.doc_to_prefix(doc),
            )
            longest = max(longest, len(lm.tok_encode(ctx)))
        if longest + gen_tokens > max_length:
            problems.append(LengthProblem(task.get_config("task"), longest, gen_tokens, max_length))
    return problems
