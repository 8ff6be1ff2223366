"""deploy/Dockerfile and .dockerignore, read without a Docker engine: the image runs as a user
that is not root, in exec form, with the project installed in a builder stage and no dev
dependencies, and the build context keeps local state out."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatch

from tests.compose_file import DOCKERFILE, DOCKERIGNORE

# --- deploy/Dockerfile -----------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continuation"
    pairs = []
    for line in logical:
        instruction, _, arguments = line.partition(" ")
        pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM"]
    return instructions[starts[-1] :]


def test_dockerfile_runs_as_a_user_that_is_not_root() -> None:
    instructions = dockerfile_instructions()
    bases = [
        arguments.split()[0] for instruction, arguments in instructions if instruction == "FROM"
    ]
    assert bases and set(bases) == {"python:3.11-slim"}, bases
    users = [arguments for instruction, arguments in instructions if instruction == "USER"]
    assert users, "the Dockerfile has no USER line"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, users[-1]
    # The user is created before it is used.
    runs = " ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    assert re.search(rf"useradd\b.*\b{re.escape(user)}\b", runs), f"{user} is never created"


def test_dockerfile_command_is_exec_form() -> None:
    instructions = dockerfile_instructions()
    commands = [
        arguments for instruction, arguments in instructions if instruction in {"CMD", "ENTRYPOINT"}
    ]
    assert commands, "the Dockerfile has neither CMD nor ENTRYPOINT"
    for arguments in commands:
        argv = json.loads(arguments)  # exec form: signals reach the process itself
        assert isinstance(argv, list)
        assert argv[0] in {"faststream", "newsflow"}, argv


def test_dockerfile_installs_the_project_without_dev_dependencies() -> None:
    instructions = dockerfile_instructions()
    environment = " ".join(
        arguments for instruction, arguments in instructions if instruction == "ENV"
    )
    assert re.search(r"\bPYTHONUNBUFFERED=1\b", environment)
    runs = " ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    assert re.search(r"pip install (--\S+ )*/tmp/newsflow(\s|$)", runs), "project not installed"
    assert not re.search(r"\[(dev|test)\]", runs), "dev or test extras are installed"
    assert "requirements/models.txt" in runs
    assert re.search(r"if \[ -f \S*requirements/models\.txt \]", runs), "models.txt is required"
    workdirs = [arguments for instruction, arguments in instructions if instruction == "WORKDIR"]
    # The demo service runs `newsflow publish seeds/` from the working directory.
    copies = " ".join(
        arguments for instruction, arguments in instructions if instruction in {"RUN", "COPY"}
    )
    assert workdirs and f"{workdirs[-1].rstrip('/')}/seeds" in copies


def test_dockerfile_installs_in_a_builder_stage_and_copies_the_result() -> None:
    # The final image gets the installed packages, not pip's work: no source tree, no
    # wheels, no build tools in its layers.
    instructions = dockerfile_instructions()
    assert sum(instruction == "FROM" for instruction, _ in instructions) >= 2
    final = final_stage(instructions)
    final_runs = " ".join(arguments for instruction, arguments in final if instruction == "RUN")
    assert "pip install" not in final_runs
    assert not re.search(r"apt-get|gcc|build-essential", final_runs)
    copies = [arguments for instruction, arguments in final if instruction == "COPY"]
    assert any(arguments.startswith("--from=") for arguments in copies), copies
    assert not any(re.match(r"\.\s", arguments) for arguments in copies), "copies the context"


def test_dockerignore_keeps_local_state_out_and_the_build_inputs_in() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(
            fnmatch(path, pattern) or fnmatch(path, pattern.removeprefix("**/"))
            for pattern in patterns
        )

    for path in (
        ".venv", ".git", ".pytest_cache", "newsflow.db", "data/x.db", ".env",
        "tests", "docs", "bench", ".ci",
    ):  # fmt: skip
        assert ignored(path), f"{path} would be sent to the Docker build"
    for path in ("pyproject.toml", "README.md", "shared", "services", "newsflow_cli", "seeds"):
        assert not ignored(path), f"{path} is needed by the build but ignored"
    assert not ignored("requirements"), "requirements/ is needed by the build but ignored"
