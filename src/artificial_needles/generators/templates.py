"""The exact strings of the synthetic KV retrieval prompts (docs/formats.md, sections 1-2).

Every character here is part of the task's definition: change it only together with the
tests in ``tests/generate/test_templates.py``.
"""

INTRO = "Do a task using the list of dictionaries below."

SIMPLE_QUESTION = (
    "Above is a list of dictionaries such that each key and value is an integer. "
    "Report the value of key {key} and the dictionary it is in."
)
SIMPLE_TEMPLATE = (
    " Answer in the following template:\n"
    "The value of key {key} is <fill-in-value> and it is in Dictionary [<fill-in-dictionary-name>]."
)
SIMPLE_ANSWER = "The value of key {key} is {value} and it is in Dictionary [{name}]."

MULTI_QUESTION = (
    "Above is a list of dictionaries such that each key is a tuple of integers and each value "
    "is an integer. Report the key that contains the integers {subkeys} (not necessarily in "
    "order), its value, and the dictionary it is in."
)
MULTI_TEMPLATE = (
    " Answer in the following template:\n"
    "The key that contains the integers {subkeys} is <fill-in-key>. Its value is "
    "<fill-in-value> and it is in Dictionary [<fill-in-dictionary-name>]."
)
MULTI_ANSWER = (
    "The key that contains the integers {subkeys} is {key}. Its value is {value} and it is in "
    "Dictionary [{name}]."
)

OPENAI_SYSTEM = "Write a response that appropriately completes the request."


def dictionary_line(name: int | str, body: str) -> str:
    """One line of the dictionary list: ``Dictionary [<name>] <python repr of the dict>``."""
    return f"Dictionary [{name}] {body}"


def dictionary_lines(names: list[int], bodies: list[dict]) -> list[str]:
    """:func:`dictionary_line` for many dictionaries rendered as their Python ``repr``."""
    return [f"Dictionary [{n}] {b!r}" for n, b in zip(names, bodies, strict=True)]


def assemble_prompt(lines: list[str], question: str) -> str:
    """Intro, blank line, dictionary lines, blank line, question; no trailing newline."""
    return INTRO + "\n\n" + "\n".join(lines) + "\n\n" + question
