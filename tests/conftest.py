"""Shared test setup: hypothesis profiles, and the headless browser for the page tests.

Choose one with the HYPOTHESIS_PROFILE environment variable (``.ci/run`` sets ``ci``):

* ``dev`` (the default): 30 random examples per property, new ones on every run, failures
  remembered in ``test-artifacts/hypothesis`` (git-ignored) and replayed first next time.
* ``ci``: 100 examples per property, derandomized (the same examples on every run, so CI is
  reproducible), no example database, and a reproduction blob printed for each failure.

The properties over generated expressions (``autograd.testing.expressions``), where the
number of examples matters most, run three times the profile's count (300 in CI), with
``@settings(max_examples=3 * settings.default.max_examples)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

_ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

# Hypothesis keeps caches in ./.hypothesis by default; tests write under test-artifacts only.
set_hypothesis_home_dir(_ARTIFACTS / "hypothesis-home")
# The notebook kernels (nbmake) inherit the environment: send their hypothesis caches there too.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(_ARTIFACTS / "hypothesis-home"))

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=100,
    deadline=None,
    print_blob=True,
    database=None,
)
# A shorter derandomized profile, for a quick run (HYPOTHESIS_PROFILE=ci-short).
settings.register_profile(
    "ci-short",
    derandomize=True,
    max_examples=30,
    deadline=None,
    print_blob=True,
    database=None,
)
settings.register_profile(
    "dev",
    max_examples=30,
    deadline=None,
    print_blob=True,
    database=DirectoryBasedExampleDatabase(_ARTIFACTS / "hypothesis"),
)

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
if _PROFILE not in ("ci", "ci-short", "dev"):
    raise ValueError(f"HYPOTHESIS_PROFILE must be 'ci', 'ci-short' or 'dev', got {_PROFILE!r}")
settings.load_profile(_PROFILE)


# Debian's chromium, driven by Playwright (never `playwright install`). The flags keep it from
# reaching for the network, which this project's machines do not have.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless chromium for one test module; the test is skipped when there is none."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
