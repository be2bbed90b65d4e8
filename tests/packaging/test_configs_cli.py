"""``artificial-needles configs list | copy``: the shipped Axolotl configs."""

from __future__ import annotations

import json
from pathlib import Path

from artificial_needles.cli.configs import list_configs
from artificial_needles.cli.main import main

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "axolotl"
SHIPPED = sorted(p.stem for p in CONFIGS.glob("*.yml"))


def test_list_names_every_repository_config_with_a_description(capsys):
    assert main(["configs", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == SHIPPED
    infos = {c.name: c for c in list_configs()}
    assert infos["tiny-cpu-smoke"].description == "Tiny CPU smoke run of the needles plugin"
    assert infos["tiny-cpu-smoke"].base_model == "./tiny-model"
    assert infos["mistral-7b-instruct-v0.1-paper"].base_model == (
        "mistralai/Mistral-7B-Instruct-v0.1"
    )
    assert all(c.description and "\n" not in c.description for c in infos.values())


def test_list_json(capsys):
    assert main(["configs", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == SHIPPED
    assert set(rows[0]) == {"name", "file", "base_model", "description"}
    assert all(r["file"] == r["name"] + ".yml" for r in rows)


def test_copy_writes_the_file_and_refuses_to_overwrite(tmp_path, capsys):
    dest = tmp_path / "new" / "dir"
    assert main(["configs", "copy", "tiny-cpu-smoke", str(dest)]) == 0
    written = dest / "tiny-cpu-smoke.yml"
    assert capsys.readouterr().out.strip() == str(written)
    assert written.read_bytes() == (CONFIGS / "tiny-cpu-smoke.yml").read_bytes()

    written.write_text("mine\n")
    assert main(["configs", "copy", "tiny-cpu-smoke.yml", str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists; pass --force" in err
    assert written.read_text() == "mine\n"
    assert main(["configs", "copy", "tiny-cpu-smoke.yml", str(dest), "--force"]) == 0
    assert written.read_bytes() == (CONFIGS / "tiny-cpu-smoke.yml").read_bytes()
    assert sorted(p.name for p in dest.iterdir()) == ["tiny-cpu-smoke.yml"]


def test_unknown_name_suggests_and_lists(tmp_path, capsys):
    assert main(["configs", "copy", "mistral-7b-paper", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "did you mean mistral-7b-instruct-v0.1-paper?" in err
    assert all(name in err for name in SHIPPED)
    assert not any(tmp_path.iterdir())


def test_copy_into_a_file_is_refused(tmp_path, capsys):
    file = tmp_path / "f"
    file.write_text("x")
    assert main(["configs", "copy", "tiny-cpu-smoke", str(file)]) == 2
    assert "is not a directory" in capsys.readouterr().err
