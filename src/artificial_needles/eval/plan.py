"""The bill before the run: :func:`make_plan` counts what an evaluation will send the model.

Per task: the number of requests, their prompt tokens (total and longest) counted with the
evaluated model's tokenizer through its chat template exactly as lm-eval builds the requests
(:func:`artificial_needles.eval.lengths.task_prompts`), and the generation budget (requests x
``max_gen_toks``, an upper bound). Generation prompts are counted exactly; for log-likelihood
requests (multiple choice: one per choice) the context and the continuation are counted each on
its own, which can differ from lm-eval's joint encoding by a token at the seam. No model
loads: only the tokenizer, the task data and the synthetic documents (built for that
tokenizer). ``artificial-needles eval --plan`` prints it; the Axolotl plugin writes it as
``needles_eval/<stage>/plan.json`` before each stage.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from artificial_needles.eval.lengths import TaskPrompts

_PARTS = re.compile(r"(\d+)")
_COLUMNS = ("task", "requests", "prompt tokens", "longest", "max_gen_toks", "gen budget")


@dataclass
class Plan:
    """What an evaluation will run: one :class:`TaskPrompts` per leaf task, and the model,
    tokenizer and chat-template decision they were counted with."""

    model: str
    model_args: dict[str, Any]
    tokenizer: str
    apply_chat_template: bool
    tasks: list[TaskPrompts] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """Requests, prompt tokens, longest prompt and generation budget over all tasks."""
        return {
            "requests": sum(t.requests for t in self.tasks),
            "prompt_tokens": sum(t.prompt_tokens for t in self.tasks),
            "longest": max((t.longest for t in self.tasks), default=0),
            "gen_budget": sum(t.gen_budget for t in self.tasks),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``plan.json``)."""
        return {
            "model": self.model,
            "model_args": {k: str(v) for k, v in self.model_args.items()},
            "tokenizer": self.tokenizer,
            "apply_chat_template": self.apply_chat_template,
            "tasks": [asdict(t) | {"gen_budget": t.gen_budget} for t in self.tasks],
            "total": self.totals(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def summary(self) -> str:
        """One line: the totals."""
        t = self.totals()
        return (
            f"{len(self.tasks)} task(s), {t['requests']:,} requests, {t['prompt_tokens']:,} "
            f"prompt tokens (longest {t['longest']:,}), at most {t['gen_budget']:,} generated"
        )

    def render(self) -> str:
        """A plain-text table with a total row, then how it was counted."""
        rows = [
            (t.task, t.requests, t.prompt_tokens, t.longest, t.gen_tokens, t.gen_budget)
            for t in self.tasks
        ]
        tot = self.totals()
        rows.append(
            ("total", tot["requests"], tot["prompt_tokens"], tot["longest"], "", tot["gen_budget"])
        )
        cells = [_COLUMNS] + [tuple(f"{v:,}" if isinstance(v, int) else v for v in r) for r in rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(_COLUMNS))]
        lines = []
        for r in cells:
            padded = [c.rjust(w) for c, w in zip(r, widths, strict=True)]
            padded[0] = r[0].ljust(widths[0])
            lines.append("  ".join(padded))
        chat = "applied" if self.apply_chat_template else "not applied"
        lines.append(f"counted with the tokenizer {self.tokenizer}, chat template {chat}")
        return "\n".join(lines)


def make_plan(
    tasks: list[str],
    *,
    model: str = "hf",
    model_args: str | dict[str, Any] | None = None,
    include_path: str | list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    limit: int | float | None = None,
    apply_chat_template: bool | None = None,
    system_instruction: str | None = None,
    fewshot_as_multiturn: bool | None = False,
    gen_kwargs: str | dict[str, Any] | None = None,
    **_ignored: Any,
) -> Plan:
    """The :class:`Plan` of evaluating ``tasks`` with the options of
    :func:`artificial_needles.eval.runner.evaluate` (other keyword arguments are accepted and
    ignored). ``apply_chat_template=None`` applies the tokenizer's template when it has one,
    as the run does. Checks the tasks first (one clear error line); loads no model."""
    from lm_eval.tasks import TaskManager
    from lm_eval.utils import simple_parse_args_string
    from transformers import AutoTokenizer

    from artificial_needles.errors import NeedlesError
    from artificial_needles.eval.checks import check_tasks, include_paths
    from artificial_needles.eval.lengths import task_prompts
    from artificial_needles.eval.lm_eval_compat import TokenizerLM, load_tasks, once_task_manager
    from artificial_needles.eval.runner import parse_model_args, task_metadata

    args = parse_model_args(model_args)
    name = str(args.get("tokenizer") or args.get("pretrained") or "")
    if not name:
        raise NeedlesError("--plan needs the model's tokenizer: --model_args pretrained=PATH")
    check_tasks(tasks, metadata, model_args=args, include_path=include_path)
    tokenizer = AutoTokenizer.from_pretrained(
        name, trust_remote_code=str(args.get("trust_remote_code", "")).lower() == "true"
    )
    chat = bool(tokenizer.chat_template) if apply_chat_template is None else apply_chat_template
    bos = args.get("add_bos_token")
    lm = TokenizerLM(tokenizer, None if bos is None else str(bos).lower() == "true")
    meta = task_metadata(args, metadata, chat, system_instruction)
    manager = once_task_manager(TaskManager)(
        include_path=include_paths(include_path), metadata=meta
    )
    counted = task_prompts(
        lm,
        load_tasks(manager, list(tasks)),
        limit=limit,
        apply_chat_template=chat,
        system_instruction=system_instruction,
        fewshot_as_multiturn=bool(fewshot_as_multiturn),
        gen_kwargs=simple_parse_args_string(gen_kwargs)
        if isinstance(gen_kwargs, str)
        else gen_kwargs,
    )
    ordered = sorted(
        counted, key=lambda t: [int(x) if x.isdigit() else x for x in _PARTS.split(t.task)]
    )
    return Plan(model, args, name, bool(chat), ordered)
