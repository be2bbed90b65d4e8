"""Build the learning-signal benchmark's 10-document MDQA file from the Lost-in-the-Middle oracle.

    python benchmarks/learning_signal/build_mdqa.py [--num-questions 200] [-o OUT]

Reads ``data/nq-open-oracle.jsonl.gz`` beside this script (``qa_data/nq-open-oracle.jsonl.gz``
of nelson-liu/lost-in-the-middle at commit 29b8a6d, checked by sha256) and writes records of the
reference schema with the gold passage and 9 distractors (other questions' gold passages holding
none of the answers; :mod:`artificial_needles.eval.mdqa_oracle` says how and why). Prints the
output's sha256: the same arguments give the same bytes on any machine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from artificial_needles.demo_model import sha256_of
from artificial_needles.eval.mdqa_oracle import (
    ORACLE_SHA256,
    build_records,
    read_oracle,
    write_records,
)

HERE = Path(__file__).resolve().parent
ORACLE = HERE / "data" / "nq-open-oracle.jsonl.gz"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oracle", type=Path, default=ORACLE)
    parser.add_argument("--num-questions", type=int, default=200)
    parser.add_argument("--num-documents", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    got = sha256_of(args.oracle)
    if got != ORACLE_SHA256:
        print(f"{args.oracle}: sha256 {got}, expected {ORACLE_SHA256}", file=sys.stderr)
        return 2
    records = build_records(
        read_oracle(args.oracle), args.num_questions, args.num_documents, args.seed
    )
    print(write_records(records, args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
