"""``completion bash`` prints a script that really completes commands and actions in bash."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from connector.cli import main


def _complete(script: Path, line: str) -> list[str]:
    words = line.split(" ")
    program = (f'source "{script}"; COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; '
               f'COMP_LINE="{line}"; COMP_POINT=${{#COMP_LINE}}; _shtab_crm_connector; '
               'printf "%s\\n" "${COMPREPLY[@]}"')
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_and_actions(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    script = tmp_path / "crm-connector.bash"
    script.write_text(capsys.readouterr().out, encoding="utf-8")

    assert _complete(script, "crm-connector dead") == ["deadletter"]
    assert set(_complete(script, "crm-connector deadletter ")) >= {"list", "retry", "drop"}
