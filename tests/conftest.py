"""Shared test setup: hypothesis profiles.

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
from pathlib import Path

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
settings.register_profile(
    "dev",
    max_examples=30,
    deadline=None,
    print_blob=True,
    database=DirectoryBasedExampleDatabase(_ARTIFACTS / "hypothesis"),
)

_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
if _PROFILE not in ("ci", "dev"):
    raise ValueError(f"HYPOTHESIS_PROFILE must be 'ci' or 'dev', got {_PROFILE!r}")
settings.load_profile(_PROFILE)
