"""Multi-document QA ("Lost in the Middle", Liu et al. 2023): data files and exact prompts.

Input: the reference JSON-lines files (``.jsonl`` or ``.jsonl.gz``), docs/data.md::

    {"question": str, "answers": [str, ...],
     "ctxs": [{"title": str, "text": str, "hasanswer": bool, "isgold": bool, ...}, ...], ...}

with exactly one ``isgold`` ctx per record. Any gold position is produced from any one file by
moving the gold ctx to index ``p - 1`` and keeping the distractors in their order (how the
reference built its per-position files). A record with more ctxs than the task's document count
keeps the gold ctx and the first ``n - 1`` distractors (the highest-ranked ones).

Output docs (one per question, for lm-eval or any other harness)::

    {"prompt": str, "question": str, "answers": [str, ...], "gold_position": int (1-based),
     "num_documents": int, "source": "file:line"}
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artificial_needles.errors import NeedlesError
from artificial_needles.eval.files import json_lines, read_cached

INSTRUCTION = (
    "Write a high-quality answer for the given question using only the provided search results "
    "(some of which might be irrelevant)."
)
ENV_VAR = "ARTIFICIAL_NEEDLES_MDQA_DATA"
METADATA_KEY = "mdqa_data"
DATA_HELP = (
    "MDQA needs the Lost-in-the-Middle data files (nq-open-{n}_total_documents_gold_at_*.jsonl.gz "
    "from the nelson-liu/lost-in-the-middle repository, folder qa_data/). Point at a file or "
    'the folder with --metadata \'{"mdqa_data": "PATH"}\' or the environment variable '
    "ARTIFICIAL_NEEDLES_MDQA_DATA=PATH."
)
_SUFFIXES = (".jsonl", ".jsonl.gz")
_NAME = re.compile(r"(\d+)_total_documents(?:_gold_at_(\d+))?")


@dataclass(frozen=True)
class Document:
    """One search result."""

    title: str
    text: str
    isgold: bool = False


@dataclass(frozen=True)
class Record:
    """One question with its documents, as read from a data file."""

    question: str
    answers: tuple[str, ...]
    ctxs: tuple[Document, ...]
    source: str

    @property
    def gold_index(self) -> int:
        """0-based index of the gold document."""
        return next(i for i, c in enumerate(self.ctxs) if c.isgold)


def format_document(index: int, doc: Document) -> str:
    """``Document [i](Title: <title>) <text>`` with a 1-based ``index``."""
    return f"Document [{index}](Title: {doc.title}) {doc.text}"


def build_prompt(question: str, documents: Sequence[Document]) -> str:
    """The exact MDQA prompt (no trailing newline after ``Answer:``)."""
    docs = "\n".join(format_document(i, d) for i, d in enumerate(documents, 1))
    return f"{INSTRUCTION}\n\n{docs}\n\nQuestion: {question}\nAnswer:"


def build_closedbook_prompt(question: str) -> str:
    """The closed-book prompt: ``Question: <question>\\nAnswer:``."""
    return f"Question: {question}\nAnswer:"


def arrange(record: Record, position: int, num_documents: int | None = None) -> list[Document]:
    """The record's documents with the gold one at 1-based ``position`` (distractors in order),
    keeping the first ``num_documents - 1`` distractors when given."""
    gold = record.ctxs[record.gold_index]
    distractors = [c for c in record.ctxs if not c.isgold]
    n = len(record.ctxs) if num_documents is None else num_documents
    if n > len(record.ctxs):
        raise NeedlesError(
            f"{record.source}: has {len(record.ctxs)} documents, the task needs {n}; "
            f"use the nq-open-{n}_total_documents files"
        )
    if not 1 <= position <= n:
        raise NeedlesError(f"gold position {position} outside 1..{n}")
    distractors = distractors[: n - 1]
    return distractors[: position - 1] + [gold] + distractors[position - 1 :]


def _field(obj: dict[str, Any], name: str, kind: type, where: str) -> Any:
    if name not in obj:
        raise NeedlesError(f"{where}: missing field {name!r} (schema: docs/data.md)")
    value = obj[name]
    if not isinstance(value, kind):
        raise NeedlesError(
            f"{where}: field {name!r} should be {kind.__name__}, got {type(value).__name__}"
        )
    return value


def _parse(obj: Any, where: str) -> Record:
    if not isinstance(obj, dict):
        raise NeedlesError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    question = _field(obj, "question", str, where)
    answers = _field(obj, "answers", list, where)
    if not answers or not all(isinstance(a, str) for a in answers):
        raise NeedlesError(f"{where}: field 'answers' must be a non-empty list of strings")
    ctxs = []
    for i, c in enumerate(_field(obj, "ctxs", list, where)):
        cw = f"{where}: ctxs[{i}]"
        if not isinstance(c, dict):
            raise NeedlesError(f"{cw}: expected an object with title, text, isgold")
        ctxs.append(
            Document(
                _field(c, "title", str, cw),
                _field(c, "text", str, cw),
                bool(c.get("isgold", False)),
            )
        )
    golds = sum(c.isgold for c in ctxs)
    if golds != 1:
        raise NeedlesError(
            f"{where}: {golds} ctxs have isgold true; exactly one must (the gold document)"
        )
    return Record(question, tuple(answers), tuple(ctxs), where)


def _parse_file(path: Path) -> tuple[Record, ...]:
    records = tuple(_parse(obj, f"{path}:{lineno}") for lineno, obj in json_lines(path))
    if not records:
        raise NeedlesError(f"{path}: no records")
    return records


def read_records(path: str | os.PathLike[str]) -> tuple[Record, ...]:
    """All records of one data file (parsed once per file version, then cached)."""
    return read_cached(path, _parse_file, "MDQA data file")


def data_location(metadata: dict[str, Any] | None = None) -> Path:
    """The data path from task metadata ``mdqa_data``, else ``$ARTIFICIAL_NEEDLES_MDQA_DATA``."""
    value = (metadata or {}).get(METADATA_KEY) or os.environ.get(ENV_VAR)
    if not value:
        raise NeedlesError("no MDQA data given. " + DATA_HELP.replace("{n}", "20"))
    path = Path(str(value)).expanduser()
    if not path.exists():
        raise NeedlesError(
            f"MDQA data path {path} does not exist. " + DATA_HELP.replace("{n}", "20")
        )
    return path


def find_file(location: str | os.PathLike[str], num_documents: int | None, position: int) -> Path:
    """The file to read for a task: ``location`` itself if it is a file; in a folder, the
    per-position file of ``num_documents`` if present, else any file with that document count,
    else (closed book, ``num_documents=None``) the first data file."""
    loc = Path(location)
    if loc.is_file():
        return loc
    files = sorted(p for p in loc.iterdir() if p.is_file() and p.name.endswith(_SUFFIXES))
    if not files:
        raise NeedlesError(
            f"{loc}: no .jsonl or .jsonl.gz files. " + DATA_HELP.replace("{n}", "20")
        )
    if num_documents is None:
        return files[0]
    same_n = []
    for p in files:
        m = _NAME.search(p.name)
        if m and int(m.group(1)) == num_documents:
            if m.group(2) is not None and int(m.group(2)) == position - 1:
                return p
            same_n.append(p)
    if same_n:
        return same_n[0]
    if len(files) == 1:
        return files[0]
    raise NeedlesError(
        f"{loc}: no file for {num_documents} documents among {[p.name for p in files]}. "
        + DATA_HELP.replace("{n}", str(num_documents))
    )


def build_docs(
    location: str | os.PathLike[str], num_documents: int, position: int
) -> list[dict[str, Any]]:
    """Docs of one MDQA task: every question with the gold document at ``position``."""
    path = find_file(location, num_documents, position)
    docs = []
    for rec in read_records(path):
        documents = arrange(rec, position, num_documents)
        docs.append(
            {
                "prompt": build_prompt(rec.question, documents),
                "question": rec.question,
                "answers": list(rec.answers),
                "gold_position": position,
                "num_documents": num_documents,
                "source": rec.source,
            }
        )
    return docs


def build_closedbook_docs(location: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Docs of the closed-book task: every question without documents."""
    path = find_file(location, None, 1)
    return [
        {
            "prompt": build_closedbook_prompt(rec.question),
            "question": rec.question,
            "answers": list(rec.answers),
            "gold_position": 0,
            "num_documents": 0,
            "source": rec.source,
        }
        for rec in read_records(path)
    ]
