"""The exact strings of the synthetic KV retrieval prompts (docs/formats.md, sections 1-2, 9-10).

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

# Multi-query (section 3): several keys in different dictionaries, one answer line per key, in
# the asked order. ``{keys}`` is the keys joined with ", ".
MULTIQUERY_QUESTION = (
    "Above is a list of dictionaries such that each key and value is an integer. "
    "Report the value of each of the keys {keys}, in this order, and the dictionary it is in."
)
MULTIQUERY_TEMPLATE = " Answer in the following template, one line per key:\n{lines}"
MULTIQUERY_SLOT = (
    "The value of key {key} is <fill-in-value> and it is in Dictionary [<fill-in-dictionary-name>]."
)
#: One answer line per queried key (joined with "\n"): the line of the simple task.
MULTIQUERY_LINE = SIMPLE_ANSWER

# Multi-hop (section 4): the gold key's value is a key of another dictionary, and so on for
# ``{hops}`` steps; the answer names each dictionary on the way, one line per step, then the end.
MULTIHOP_QUESTION = (
    "Above is a list of dictionaries such that each key and value is an integer. "
    "Start at key {key}. Its value is a key of another dictionary: look that key up, and so on, "
    "{hops} lookups in all. Report each lookup and the value at the end of the chain."
)
MULTIHOP_TEMPLATE = (
    " Answer in the following template, one line per lookup and a last line for the end:\n{lines}"
)
MULTIHOP_FIRST_SLOT = (
    "Key {key} is in Dictionary [<fill-in-dictionary-name>] and its value is <fill-in-value>."
)
MULTIHOP_SLOT = (
    "Key <fill-in-key> is in Dictionary [<fill-in-dictionary-name>] and its value is "
    "<fill-in-value>."
)
MULTIHOP_END_SLOT = "The value at the end of the chain is <fill-in-value>."
MULTIHOP_LINE = "Key {key} is in Dictionary [{name}] and its value is {value}."
MULTIHOP_END = "The value at the end of the chain is {value}."

OPENAI_SYSTEM = "Write a response that appropriately completes the request."


def multiquery_question(keys: list[int], template: bool) -> str:
    """The question of a multi-query sample (with the answer template when ``template``)."""
    question = MULTIQUERY_QUESTION.format(keys=", ".join(map(str, keys)))
    if not template:
        return question
    lines = "\n".join(MULTIQUERY_SLOT.format(key=k) for k in keys)
    return question + MULTIQUERY_TEMPLATE.format(lines=lines)


def multiquery_answer(keys: list[int], values: list[int], names: list[int]) -> str:
    """The answer of a multi-query sample: one line per key, in the asked order."""
    return "\n".join(
        MULTIQUERY_LINE.format(key=k, value=v, name=n)
        for k, v, n in zip(keys, values, names, strict=True)
    )


def multihop_question(key: int, hops: int, template: bool) -> str:
    """The question of a multi-hop sample starting at ``key`` (template when ``template``)."""
    question = MULTIHOP_QUESTION.format(key=key, hops=hops)
    if not template:
        return question
    lines = [MULTIHOP_FIRST_SLOT.format(key=key), *[MULTIHOP_SLOT] * (hops - 1), MULTIHOP_END_SLOT]
    return question + MULTIHOP_TEMPLATE.format(lines="\n".join(lines))


def multihop_answer(keys: list[int], values: list[int], names: list[int]) -> str:
    """The answer of a multi-hop sample: one line per lookup (key, dictionary, value), then the
    value at the end of the chain (``values[-1]``)."""
    lines = [
        MULTIHOP_LINE.format(key=k, name=n, value=v)
        for k, v, n in zip(keys, values, names, strict=True)
    ]
    return "\n".join([*lines, MULTIHOP_END.format(value=values[-1])])


def dictionary_line(name: int | str, body: str) -> str:
    """One line of the dictionary list: ``Dictionary [<name>] <python repr of the dict>``."""
    return f"Dictionary [{name}] {body}"


def dictionary_lines(names: list[int], bodies: list[dict]) -> list[str]:
    """:func:`dictionary_line` for many dictionaries rendered as their Python ``repr``."""
    return [f"Dictionary [{n}] {b!r}" for n, b in zip(names, bodies, strict=True)]


def assemble_prompt(lines: list[str], question: str) -> str:
    """Intro, blank line, dictionary lines, blank line, question; no trailing newline."""
    return INTRO + "\n\n" + "\n".join(lines) + "\n\n" + question
