"""The prompt-length check (no prompt may be truncated by lm-eval) and the request counts of
a plan (:func:`task_prompts`, used by :mod:`artificial_needles.eval.plan`).

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


@dataclass(frozen=True)
class TaskPrompts:
    """The requests of one task as lm-eval will send them: how many, their prompt tokens
    (total and longest: context plus, for log-likelihood requests, the continuation) and the
    generation budget of each generation request (``max_gen_toks``; 0 for other types)."""

    task: str
    output_type: str
    requests: int
    prompt_tokens: int
    longest: int
    gen_tokens: int

    @property
    def gen_budget(self) -> int:
        """Generated tokens at most: requests x ``max_gen_toks``."""
        return self.requests * self.gen_tokens


def _gen_tokens(task: Any, lm: Any, gen_kwargs: dict[str, Any] | None) -> int:
    if task.get_config("output_type") != "generate_until":
        return 0
    budget = dict(task.get_config("generation_kwargs") or {})
    budget.update(gen_kwargs or {})
    default = getattr(lm, "max_gen_toks", 256)
    return int(budget.get("max_gen_toks", budget.get("max_new_tokens", default)))


def task_prompts(
    lm: Any,
    task_dict: dict[Any, Any],
    *,
    limit: int | float | None = None,
    apply_chat_template: bool | str = False,
    system_instruction: str | None = None,
    fewshot_as_multiturn: bool = False,
    gen_kwargs: dict[str, Any] | None = None,
    only_generate: bool = False,
) -> Iterator[TaskPrompts]:
    """Per leaf task of ``task_dict``: its requests built as lm-eval builds them (fewshot
    context, chat template, ``construct_requests``), counted with ``lm.tok_encode``."""
    from lm_eval.evaluator_utils import get_sample_size

    template = lm.apply_chat_template if apply_chat_template else None
    for task in leaf_tasks(task_dict):
        kind = task.get_config("output_type")
        if only_generate and kind != "generate_until":
            continue
        docs = list(task.eval_docs)
        n = get_sample_size(task, limit)
        if n is not None:
            docs = docs[:n]
        repeats = int(task.get_config("repeats") or 1)
        requests = total = longest = 0
        for doc_id, doc in enumerate(docs):
            ctx = task.fewshot_context(
                doc,
                num_fewshot=task.get_config("num_fewshot") or 0,
                system_instruction=system_instruction,
                apply_chat_template=bool(apply_chat_template),
                fewshot_as_multiturn=fewshot_as_multiturn,
                chat_template=template,
                gen_prefix=task.doc_to_prefix(doc),
            )
            made = task.construct_requests(
                doc=doc,
                ctx=ctx,
                metadata=(task.get_config("task"), doc_id, repeats),
                apply_chat_template=bool(apply_chat_template),
                chat_template=template,
            )
            for inst in made if isinstance(made, list) else [made]:
                texts = [a for a in inst.arguments if isinstance(a, str)]
                count = sum(len(lm.tok_encode(t)) for t in texts)
                requests += repeats
                total += count * repeats
                longest = max(longest, count)
        gen = _gen_tokens(task, lm, gen_kwargs)
        yield TaskPrompts(task.get_config("task"), kind, requests, total, longest, gen)


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
    max_length = int(lm.max_length)
    problems = []
    for t in task_prompts(
        lm,
        task_dict,
        limit=limit,
        apply_chat_template=apply_chat_template,
        system_instruction=system_instruction,
        fewshot_as_multiturn=fewshot_as_multiturn,
        gen_kwargs=gen_kwargs,
        only_generate=True,
    ):
        if t.longest + t.gen_tokens > max_length:
            problems.append(LengthProblem(t.task, t.longest, t.gen_tokens, max_length))
    return problems
