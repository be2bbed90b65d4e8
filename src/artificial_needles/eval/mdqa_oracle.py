"""Lost-in-the-Middle records built from the oracle file, for machines without the full data.

The 10/20/30-document files of ``nelson-liu/lost-in-the-middle`` are stored outside its git
history; ``qa_data/nq-open-oracle.jsonl.gz`` (2,655 NaturalQuestions-Open questions, each with
its real gold passage) is in it. :func:`build_records` turns that file into records of the
reference schema (docs/data.md) with ``num_documents`` documents: the question's own gold
passage, then ``num_documents - 1`` distractors drawn from the other questions' gold passages
whose text contains none of the question's answers (normalised as the scorer normalises them).

These distractors are real Wikipedia passages but not retrieved for the question, as the
reference's Contriever distractors were: they are mostly off-topic, so the task is easier than
the published one. Scores on these records compare models with each other, not with published
MDQA numbers. Draws come from a SHA-256 of (seed, question index): the same arguments give
byte-identical files anywhere.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import random
from collections.abc import Iterator
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.eval.scoring import normalize_answer
from artificial_needles.io import atomic_write

#: sha256 of ``qa_data/nq-open-oracle.jsonl.gz`` at nelson-liu/lost-in-the-middle 29b8a6d.
ORACLE_SHA256 = "6a7f72b846f663a133ef952244e5a4e43f06bcf190afe34e8fbe687ce0d1653e"


def read_oracle(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The oracle file's records (question, answers, one gold ctx), checked line by line."""
    records = []
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    rec = json.loads(line)
                except ValueError as exc:
                    raise NeedlesError(f"{where}: not JSON ({exc})") from exc
                ctxs = rec.get("ctxs") if isinstance(rec, dict) else None
                if (
                    not isinstance(ctxs, list)
                    or not ctxs
                    or not isinstance(rec.get("question"), str)
                    or not isinstance(rec.get("answers"), list)
                    or not rec["answers"]
                ):
                    raise NeedlesError(f"{where}: not an oracle record (question, answers, ctxs)")
                gold = next((c for c in ctxs if isinstance(c, dict) and c.get("isgold")), None)
                if gold is None or not {"title", "text"} <= set(gold):
                    raise NeedlesError(f"{where}: no gold ctx with title and text")
                records.append(
                    {"question": rec["question"], "answers": rec["answers"], "gold": gold}
                )
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise NeedlesError(f"{path}: cannot read the oracle file ({exc})") from exc
    return records


def _rng(seed: int, index: int) -> random.Random:
    digest = hashlib.sha256(f"mdqa-oracle:{seed}:{index}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _ctx(passage: dict[str, Any], gold: bool) -> dict[str, Any]:
    return {
        "title": passage["title"],
        "text": passage["text"],
        "hasanswer": gold,
        "isgold": gold,
    }


def build_records(
    oracle: list[dict[str, Any]],
    num_questions: int,
    num_documents: int = 10,
    seed: int = 0,
) -> Iterator[dict[str, Any]]:
    """Records for the first ``num_questions`` questions of ``oracle``, gold document first."""
    if not 1 <= num_questions <= len(oracle):
        raise NeedlesError(f"num_questions {num_questions}: the oracle file has {len(oracle)}")
    if num_documents < 1:
        raise NeedlesError(f"num_documents {num_documents}: give 1 or more")
    texts = [normalize_answer(r["gold"]["text"]) for r in oracle]
    for index in range(num_questions):
        rec = oracle[index]
        answers = [a for a in (normalize_answer(str(x)) for x in rec["answers"]) if a]
        pool = [
            j
            for j, text in enumerate(texts)
            if j != index
            and oracle[j]["gold"]["text"] != rec["gold"]["text"]
            and not any(a in text for a in answers)
        ]
        if len(pool) < num_documents - 1:
            raise NeedlesError(
                f"question {index}: only {len(pool)} passages hold none of its answers"
            )
        chosen = _rng(seed, index).sample(pool, num_documents - 1)
        yield {
            "question": rec["question"],
            "answers": rec["answers"],
            "ctxs": [_ctx(rec["gold"], True)] + [_ctx(oracle[j]["gold"], False) for j in chosen],
        }


def write_records(records: Iterator[dict[str, Any]], out: str | os.PathLike[str]) -> str:
    """Write ``records`` as gzipped JSON lines (no timestamp or name in the gzip header, so the
    bytes depend on the records only), atomically; returns the file's sha256."""
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    data = buffer.getvalue()
    with atomic_write(out, "wb") as fh:
        fh.write(data)
    return hashlib.sha256(data).hexdigest()
