"""``artificial-needles eval``: lm-eval's ``run`` options, our tasks included, checked first.

Takes every option of ``lm_eval run`` (parsed by lm-eval's own parser, see
:mod:`artificial_needles.eval.lm_eval_compat`) plus ``--no_check_lengths`` and
``--no_apply_chat_template``. Before the model loads it validates ``--metadata``
(:mod:`artificial_needles.eval.metadata`), the model path and the tasks
(:mod:`artificial_needles.eval.checks`). The chat template is applied by default when the
model's tokenizer has one (the paper's rule for instruct models), and recorded in the results.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from artificial_needles.errors import NeedlesError


class _Help(argparse.Action):
    """``-h``: our options, then lm-eval's (imported only now)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        parser.print_help()
        try:
            from artificial_needles.eval.lm_eval_compat import run_parser

            print("\nlm-eval's options (all accepted here):\n")
            run_parser(parser.prog).print_help()
        except NeedlesError as exc:
            print(f"\n(lm-eval's options are not shown: {exc})")
        parser.exit()


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``artificial-needles eval``; every other option is lm-eval's own.

    ``parser`` must be made with ``add_help=False`` (``-h`` here prints lm-eval's options too).
    """
    parser.description = (
        "Run lm-eval (its Python API) with the artificial-needles tasks included. Takes the "
        "options of `lm_eval run` (--model, --model_args, --tasks, --limit, --metadata, "
        "--output_path, --log_samples, --apply_chat_template, --gen_kwargs, --batch_size ...). "
        "The chat template is applied when the model's tokenizer has one."
    )
    parser.add_argument("-h", "--help", action=_Help, help="show this help (and lm-eval's)")
    parser.add_argument(
        "--no_check_lengths",
        action="store_true",
        help="skip the check that every prompt plus its generation budget fits max_length",
    )
    parser.add_argument(
        "--no_apply_chat_template",
        action="store_true",
        help="do not apply the model's chat template (default: applied when it has one)",
    )
    parser.add_argument("--label", help="run label recorded in the results (default: model)")
    parser.add_argument(
        "--stage", choices=["base", "finetuned"], help="run stage recorded in the results"
    )
    parser.set_defaults(func=run)


def _options(argv: list[str]) -> tuple[Any, dict[str, Any], bool]:
    """lm-eval's EvaluatorConfig of ``argv``, the user's checked metadata, and whether
    ``--apply_chat_template`` was given."""
    from artificial_needles.eval.lm_eval_compat import evaluator_config, parse_run_options
    from artificial_needles.eval.metadata import parse_metadata

    ns = parse_run_options(argv)
    if not getattr(ns, "tasks", None):
        raise NeedlesError("--tasks is required, e.g. --tasks kv_retrieval_simple")
    if not getattr(ns, "model_args", None) and getattr(ns, "model", "hf") in (None, "hf"):
        raise NeedlesError("--model_args is required, e.g. --model_args pretrained=PATH")
    metadata = parse_metadata(getattr(ns, "metadata", None))
    ns.metadata = metadata
    chat_given = hasattr(ns, "apply_chat_template")
    return evaluator_config(ns), metadata, chat_given


def run(args: argparse.Namespace) -> int:
    """``artificial-needles eval``: run lm-eval, save its result files, print its tables."""
    from artificial_needles.eval.runner import evaluate

    cfg, metadata, chat_given = _options(list(getattr(args, "extra", [])))
    if cfg.wandb_args:
        raise NeedlesError(
            "--wandb_args is not supported by artificial-needles eval; use `lm_eval run "
            '--include_path "$(artificial-needles tasks-path)" ...` for W&B logging'
        )
    if args.no_apply_chat_template and chat_given:
        raise NeedlesError("--apply_chat_template and --no_apply_chat_template exclude each other")
    chat = False if args.no_apply_chat_template else (cfg.apply_chat_template or None)
    tracker_args = dict(cfg.hf_hub_log_args or {})
    tracker_args.pop("output_path", None)
    seed = cfg.seed or [None, None, None, None]
    results = evaluate(
        model=cfg.model,
        model_args=cfg.model_args,
        tasks=list(cfg.tasks),
        include_path=cfg.include_path,
        metadata=metadata,
        output_path=cfg.output_path,
        log_samples=bool(cfg.log_samples),
        check_lengths=not args.no_check_lengths,
        tracker_args=tracker_args,
        run_info={"label": args.label, "stage": args.stage},
        num_fewshot=cfg.num_fewshot,
        batch_size=cfg.batch_size,
        max_batch_size=cfg.max_batch_size,
        device=cfg.device,
        limit=cfg.limit,
        samples=cfg.samples,
        system_instruction=cfg.system_instruction,
        apply_chat_template=chat,
        fewshot_as_multiturn=cfg.fewshot_as_multiturn,
        gen_kwargs=cfg.gen_kwargs or None,
        predict_only=cfg.predict_only,
        random_seed=seed[0],
        numpy_random_seed=seed[1],
        torch_random_seed=seed[2],
        fewshot_random_seed=seed[3],
    )
    if results:
        _print_results(cfg, results)
    return 0


def _print_results(cfg: Any, results: dict[str, Any]) -> None:
    """lm-eval's tables (and, with --show_config, the whole results) on stdout."""
    from lm_eval.utils import handle_non_serializable, make_table

    from artificial_needles.eval.runner import RUN_KEY

    results.pop("samples", None)
    if cfg.show_config:
        print(json.dumps(results, indent=2, default=handle_non_serializable, ensure_ascii=False))
    record = results.get(RUN_KEY, {})
    print(
        f"{cfg.model} ({cfg.model_args}), gen_kwargs: ({cfg.gen_kwargs}), limit: {cfg.limit}, "
        f"num_fewshot: {cfg.num_fewshot}, batch_size: {cfg.batch_size}, "
        f"apply_chat_template: {record.get('apply_chat_template')}"
    )
    print(make_table(results))
    if "groups" in results:
        print(make_table(results, "groups"))
    sys.stdout.flush()
