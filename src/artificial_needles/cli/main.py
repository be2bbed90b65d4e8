"""Command line: ``artificial-needles generate | list | validate | tasks-path | eval | report |
configs | tiny-model | demo-model``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from artificial_needles.cli.param_flags import DeferredFlagsParser, defer_generator_flags
from artificial_needles.cli.util import (
    VersionAction,
    positive_int,
    quiet_library_logs,
    run_guarded,
)
from artificial_needles.errors import NeedlesError


def _generate(args: argparse.Namespace) -> int:
    from artificial_needles.io import check_output

    check_output(args.output)  # before any work: a bad path must not cost a whole run
    from artificial_needles.cli.param_flags import param_overrides, parse_set
    from artificial_needles.generators.build import generate_file

    overrides = parse_set(args.set)  # the flags below win over --set
    overrides.update(param_overrides(args, args.param_names))
    if args.fill:
        if args.num_dicts is not None:
            raise NeedlesError("--fill and --num-dicts exclude each other; pick one")
        overrides["num_dicts"] = None
    summary = generate_file(
        args.task,
        args.output,
        preset=args.preset,
        overrides=overrides,
        tokenizer=args.tokenizer,
        chat_template=args.chat_template,
        fmt=args.format,
        num_workers=args.num_workers,
        progress=args.progress or (not args.quiet and sys.stderr.isatty()),
    )
    if not args.quiet:
        print(f"wrote {args.output}", file=sys.stderr)
        print(summary.render(), file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    from artificial_needles.generators.options import generator_params
    from artificial_needles.plugins.manager import get_generators, provider_of

    shared = generator_params()
    rows = []
    for name, cls in get_generators().items():
        params = {
            p.name: {
                "default": p.default,
                "description": p.help,
                "flag": p.cli_flag if p.name in shared else None,
                "axolotl_key": p.axolotl_key if p.name in shared else None,
            }
            for p in generator_params(name).values()
        }
        rows.append(
            {
                "name": name,
                "provider": provider_of(name),
                "description": cls.description,
                "presets": cls.presets,
                "parameters": params,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2, default=list))
        return 0
    for row in rows:
        print(f"{row['name']}  [{row['provider']}]  {row['description']}")
        for preset, values in row["presets"].items():
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            print(f"  preset {preset}: {shown}")
        for field, info in row["parameters"].items():
            how = info["flag"] or f"--set {field}=..."
            print(f"  {how}  (default {info['default']!r}) {info['description'] or ''}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from artificial_needles.generators.validate import validate_file

    if args.max_problems < 0:
        raise NeedlesError(f"--max-problems {args.max_problems}: give 0 (all) or more")
    report = validate_file(args.path, recount=args.recount, tokenizer=args.tokenizer)
    shown = report.problems[: args.max_problems or None]
    for line, msg in shown:
        print(f"{report.path}:{line}: {msg}")
    if len(shown) < len(report.problems):
        rest = len(report.problems) - len(shown)
        print(f"{report.path}: ... and {rest} more problem(s) (--max-problems 0 lists all)")
    status = "ok" if report.ok else f"{len(report.problems)} problem(s)"
    print(f"{report.path}: {report.lines} line(s), {status}", file=sys.stderr)
    return 0 if report.ok else 1


def _tasks_path(args: argparse.Namespace) -> int:
    from artificial_needles.eval.paths import tasks_path

    print(tasks_path())
    return 0


def _configure_generate(g: DeferredFlagsParser) -> None:
    g.add_argument("task", help="generator name (see `artificial-needles list`)")
    g.add_argument("--preset", help="named parameter set, e.g. paper-mistral")
    g.add_argument(
        "--fill", action="store_true", help="fill the budget even if a preset fixes num_dicts"
    )
    g.add_argument("--tokenizer", help="HF tokenizer dir or hub name, or a SentencePiece .model")
    g.add_argument(
        "--chat-template", action="store_true", help="count prompts through the chat template"
    )
    g.add_argument("--format", choices=["mistral", "openai"], default="mistral")
    g.add_argument(
        "--num-workers", type=positive_int, default=1, help="worker processes (default 1)"
    )
    g.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="any other parameter (JSON value), repeatable",
    )
    g.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    g.add_argument("--progress", action="store_true", help="progress bar even without a terminal")
    g.add_argument("-o", "--output", required=True, help="output .jsonl path")
    g.set_defaults(func=_generate, param_names=[])
    defer_generator_flags(g)  # a flag per generator parameter (options.generator_params)


def _configure_list(ls: argparse.ArgumentParser) -> None:
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)


def _configure_validate(v: argparse.ArgumentParser) -> None:
    v.add_argument("path")
    v.add_argument(
        "--recount",
        action="store_true",
        help="recount tokens as generation did (chat template and system turn included)",
    )
    v.add_argument(
        "--tokenizer",
        help="recount with this tokenizer instead of the one stored in meta.tokenizer",
    )
    v.add_argument(
        "--max-problems",
        type=int,
        default=20,
        metavar="N",
        help="list at most N problems, then how many more (default 20; 0 lists all)",
    )
    v.set_defaults(func=_validate)


def _configure_tasks_path(tp: argparse.ArgumentParser) -> None:
    tp.set_defaults(func=_tasks_path)


def _configure_eval(ev: argparse.ArgumentParser) -> None:
    from artificial_needles.cli.eval import configure_parser

    configure_parser(ev)


def _configure_report(rp: argparse.ArgumentParser) -> None:
    from artificial_needles.cli import report as command

    command.configure_parser(rp)


def _configure_configs(cp: argparse.ArgumentParser) -> None:
    from artificial_needles.cli import configs as configs_cli

    configs_cli.configure_parser(cp)


def _configure_tiny_model(tm: argparse.ArgumentParser) -> None:
    from artificial_needles.cli import tiny_model as tiny_model_cli

    tiny_model_cli.configure_parser(tm)


def _configure_demo_model(dm: argparse.ArgumentParser) -> None:
    from artificial_needles.cli import demo_model as demo_model_cli

    demo_model_cli.configure_parser(dm)


#: name -> (help, configure, options of add_parser): the subcommands in ``--help`` order.
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], dict[str, Any]]] = {
    "generate": ("generate a synthetic task dataset (JSON lines)", _configure_generate, {}),
    "list": ("generators and presets with their parameters", _configure_list, {}),
    "validate": ("re-check every invariant of a generated file", _configure_validate, {}),
    "tasks-path": ("print the lm-eval --include_path of our tasks", _configure_tasks_path, {}),
    "eval": ("run lm-eval with our tasks included", _configure_eval, {"add_help": False}),
    "report": ("results report (md/html/json)", _configure_report, {}),
    "configs": ("list or copy shipped configs", _configure_configs, {}),
    "tiny-model": ("build a tiny random model", _configure_tiny_model, {}),
    "demo-model": ("fetch the real demo model (SmolLM2-135M-Instruct)", _configure_demo_model, {}),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``artificial-needles`` command. With ``only`` (a command
    name), the other subcommands are listed but not configured: their modules are not
    imported, which keeps a command's start-up to what it needs."""
    parser = argparse.ArgumentParser(
        prog="artificial-needles",
        description="Synthetic KV retrieval data, lm-eval tasks and Axolotl plugin "
        "(Xiong et al. 2024, arXiv 2406.19292).",
    )
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=DeferredFlagsParser)
    for name, (help_text, configure, options) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, **options)
        if only is None or only == name:
            configure(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status (2: error, 130: Ctrl-C,
    143: SIGTERM, each with one line on stderr)."""
    words = sys.argv[1:] if argv is None else list(argv)
    # The command is the first word that is not an option (the top level takes no values).
    command = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args, extra = parser.parse_known_args(words)
    if extra and args.command != "eval":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    quiet_library_logs()
    return run_guarded(lambda: int(args.func(args) or 0))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
