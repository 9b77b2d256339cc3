"""A bridge in front of the sandbox shared by a module's tests (fuzzing, load), independent of the keychain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import Stack, running_stack

KEY = "reliability-local-key"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(Path(tmp_path_factory.mktemp("reliability")) / "settings.json", seed=11, key=KEY) as shared:
        yield shared
