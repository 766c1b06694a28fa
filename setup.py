"""The wheel's long description: README.md with its relative links made absolute.

Everything else is in pyproject.toml. On the package index a README's relative links lead
nowhere, so each one is pointed at the repository: pictures at their raw files, other links at
their page on GitHub. README.md itself keeps relative links, which work on GitHub, in a clone
and on the offline docs site.
"""

import re
from pathlib import Path

from setuptools import setup

REPOSITORY = "https://github.com/glassgrad/glassgrad"
RAW = "https://raw.githubusercontent.com/glassgrad/glassgrad/main/"
PAGE = REPOSITORY + "/blob/main/"

# A Markdown link or picture whose target is a path in the repository: `](docs/x.svg)`.
RELATIVE_LINK = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\((?![a-z]+:|#)([^)\s]+)\)")


def absolute_links(markdown: str) -> str:
    """``markdown`` with every relative link and picture target made an absolute URL."""

    def absolute(match: re.Match[str]) -> str:
        bang, text, target = match.groups()
        return f"{bang}[{text}]({(RAW if bang else PAGE) + target.removeprefix('./')})"

    return RELATIVE_LINK.sub(absolute, markdown)


if __name__ == "__main__":
    readme = Path(__file__).with_name("README.md").read_text(encoding="utf-8")
    setup(long_description=absolute_links(readme), long_description_content_type="text/markdown")
