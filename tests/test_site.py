"""The docs site in a real browser: a small site (the home page, two course notebooks, the op
table, the API reference, the benchmarks, a step-through page) is built with
``docs/build_site.py`` into a temporary directory and opened from disk in Debian's chromium.

Every page must load with no console error and no request to another host (the site is
offline: MathJax, the search shim and the fonts are local); the math must be typeset; the
step-through's Prev/Next buttons must move through the steps, inside a notebook page and on a
standalone page. The full site is what ``make docs`` builds; this one uses two notebooks to
stay within CI's time.
"""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
NOTEBOOKS = ["01_values_and_graphs", "02_backward_step_by_step"]
LOCAL = ("file:", "data:", "blob:", "about:blank")
DOCS_EXTRA = ("mkdocs", "material", "mkdocs_jupyter", "mkdocstrings", "jupyter_server_mathjax")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is missing"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small site built the way ``make docs`` builds the whole one."""
    for module in (
        "mkdocs",
        "material",
        "mkdocs_jupyter",
        "mkdocstrings",
        "jupyter_server_mathjax",
    ):
        pytest.importorskip(module, reason="the docs extra is not installed")
    from docs import build_site

    out = tmp_path_factory.mktemp("site") / "site"
    try_page = (build_site.NODE_MODULES / "pyodide").is_dir()  # needs `npm ci`
    pages = build_site.build(out, NOTEBOOKS, jobs=2, try_page=try_page)
    assert pages >= 10
    return out


class Opened:
    """A page of the site in the browser, with the problems seen while it loaded."""

    def __init__(self, browser: Any, path: Path) -> None:
        assert path.exists(), path
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"error: {error}"))
        self.page.on(
            "console",
            lambda msg: (
                self.problems.append(f"console: {msg.text}") if msg.type == "error" else None
            ),
        )
        self.page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith(LOCAL)
                else self.problems.append(f"request to another host: {request.url}")
            ),
        )
        self.page.on(
            "requestfailed", lambda request: self.problems.append(f"not found: {request.url}")
        )
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")


def math_typeset(page: Any) -> int:
    """How many formulas MathJax has typeset, once it has finished."""
    page.wait_for_function(
        "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"
        " && document.querySelectorAll('.MathJax').length > 0",
        timeout=20000,
    )
    count: int = page.evaluate("document.querySelectorAll('.MathJax').length")
    assert page.locator(".MathJax_Error, merror").count() == 0
    return count


def broken_images(page: Any) -> list[str]:
    """The pictures of the page that did not load."""
    broken: list[str] = page.evaluate(
        "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.src.slice(0, 80))"
    )
    return broken


def step_through_works(trace: Any) -> None:
    """Next moves one step forward and changes the text; Prev moves back."""
    assert trace.get_attribute("data-gg-ready") == "1"
    assert trace.get_by_test_id("prev").is_disabled()
    first = trace.get_by_test_id("step-text").text_content()
    trace.get_by_test_id("next").click()
    assert trace.get_attribute("data-step") == "1"
    assert trace.get_by_test_id("step-text").text_content() != first
    assert trace.get_by_test_id("prev").is_enabled()
    trace.get_by_test_id("next").click()
    trace.get_by_test_id("prev").click()
    assert trace.get_attribute("data-step") == "1"
    trace.get_by_test_id("prev").click()
    assert trace.get_attribute("data-step") == "0"
    assert trace.get_by_test_id("step-text").text_content() == first


def test_the_home_page_is_the_readme(site: Path, browser: Any) -> None:
    opened = Opened(browser, site / "index.html")
    page = opened.page
    assert page.locator("h1").first.text_content().strip().startswith("glassgrad")
    assert page.get_by_role("link", name="01 · Values and graphs").count() >= 1
    assert broken_images(page) == []
    assert opened.problems == []


def test_a_course_page_shows_its_outputs_and_math(site: Path, browser: Any) -> None:
    opened = Opened(browser, site / "course" / "01_values_and_graphs.html")
    page = opened.page
    assert math_typeset(page) >= 5
    assert page.locator(".jp-RenderedSVG img").count() >= 1  # the drawn graphs
    assert broken_images(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site_course.png"))
    assert opened.problems == []


def test_the_step_through_in_a_notebook_page_steps(site: Path, browser: Any) -> None:
    opened = Opened(browser, site / "course" / "02_backward_step_by_step.html")
    page = opened.page
    math_typeset(page)
    traces = page.locator(".gg-trace")
    assert traces.count() >= 1
    trace = traces.first
    trace.scroll_into_view_if_needed()
    step_through_works(trace)
    page.screenshot(path=str(ARTIFACTS / "site_step_through_in_notebook.png"))
    assert opened.problems == []


def test_the_standalone_step_through_page_steps(site: Path, browser: Any) -> None:
    opened = Opened(browser, site / "examples" / "neuron_steps.html")
    step_through_works(opened.page.locator(".gg-trace"))
    assert opened.problems == []


@pytest.mark.parametrize("page", ["ops.html", "benchmarks.html", "api/1_autograd.html"])
def test_the_other_pages_load_cleanly(site: Path, browser: Any, page: str) -> None:
    opened = Opened(browser, site / page)
    assert opened.page.locator("h1").count() >= 1
    assert opened.problems == []


def test_the_api_reference_is_read_from_the_docstrings(site: Path) -> None:
    from autograd import Value

    page = (site / "api" / "1_autograd.html").read_text(encoding="utf-8")
    first_line = (Value.__doc__ or "").strip().splitlines()[0]
    assert first_line.split("`")[0][:30] in page
    assert "backward" in page


def test_search_works_from_disk(site: Path, browser: Any) -> None:
    opened = Opened(browser, site / "index.html")
    page = opened.page
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.keyboard.type("gradcheck", delay=20)  # the search listens to key presses
    page.wait_for_selector(".md-search-result__item", timeout=15000)
    assert page.locator(".md-search-result__item").count() >= 1
    assert opened.problems == []


def test_the_build_is_strict() -> None:
    """A warning (a broken link, a cross-reference to nothing) fails the site's build, so the
    `site` fixture building at all shows there was none."""
    from mkdocs.config import load_config

    root = Path(__file__).resolve().parent.parent
    assert load_config(str(root / "mkdocs.yml")).strict is True


class _Quotes(HTMLParser):
    """The text inside <blockquote> elements, and the doctest prompts inside code."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = {"blockquote": 0, "code": 0}
        self.quoted: list[str] = []
        self.prompts_in_code = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.depth:
            self.depth[tag] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.depth:
            self.depth[tag] -= 1

    def handle_data(self, data: str) -> None:
        if self.depth["blockquote"]:
            self.quoted.append(data)
        if self.depth["code"] and data.startswith(">>>"):
            self.prompts_in_code += 1


def test_docstring_examples_are_code_blocks(site: Path) -> None:
    prompts = 0
    for page in sorted((site / "api").glob("*.html")):
        parser = _Quotes()
        parser.feed(page.read_text(encoding="utf-8"))
        assert not any(">>>" in text for text in parser.quoted), page.name
        prompts += parser.prompts_in_code
    assert prompts >= 20  # the examples are there, as code


def test_lesson_checks_and_solutions_are_folded(site: Path, browser: Any) -> None:
    opened = Opened(browser, site / "course" / "01_values_and_graphs.html")
    page = opened.page
    for tag in ("lesson-check", "solution"):
        cells = page.locator(f".jp-Cell.celltag_{tag}")
        assert cells.count() >= 1
        for i in range(cells.count()):
            assert not cells.nth(i).locator(".jp-Cell-inputWrapper").is_visible()
        cell = cells.first
        cell.locator("summary").click()
        assert cell.locator(".jp-Cell-inputWrapper").is_visible()
    assert opened.problems == []


@pytest.mark.parametrize("name", ["index.html", "course/01_values_and_graphs.html"])
def test_code_blocks_fit_at_1280_px(site: Path, browser: Any, name: str) -> None:
    page = Opened(browser, site / name).page  # 1280 px wide
    cut: list[str] = page.evaluate(
        "Array.from(document.querySelectorAll('article pre'))"
        ".filter(pre => pre.offsetParent && pre.scrollWidth > pre.clientWidth + 1)"
        ".map(pre => pre.textContent.slice(0, 60))"
    )
    assert cut == []


def test_pictures_shown_smaller_than_drawn_link_to_full_size(site: Path, browser: Any) -> None:
    page = Opened(browser, site / "index.html").page
    pictures: list[dict[str, Any]] = page.evaluate(
        "Array.from(document.querySelectorAll('article img')).map(img => ({"
        "src: img.getAttribute('src'), shrunk: img.width < img.naturalWidth - 1,"
        "link: img.closest('a') && img.closest('a').getAttribute('href')}))"
    )
    assert len(pictures) >= 3
    assert any(picture["shrunk"] for picture in pictures)  # the neuron's graph is wide
    for picture in pictures:
        if picture["shrunk"]:
            assert picture["link"] == picture["src"], picture


def test_an_embedded_step_through_uses_the_full_width(site: Path, browser: Any) -> None:
    opened = Opened(browser, site / "course" / "02_backward_step_by_step.html")
    page = opened.page
    assert not page.locator(".md-sidebar--secondary").is_visible()  # no table of contents
    width = page.locator(".gg-trace").first.bounding_box()["width"]
    content = page.locator(".md-content").bounding_box()["width"]
    assert width > 0.8 * content and content > 0.75 * 1280


def test_each_lesson_links_to_the_try_page(site: Path, browser: Any) -> None:
    if not (site / "try" / "index.html").exists():
        pytest.skip("built without the try page: the npm packages are missing (npm ci)")
    for name in NOTEBOOKS:
        page = Opened(browser, site / "course" / f"{name}.html").page
        link = page.locator("article a", has_text="Try glassgrad in the browser")
        assert link.count() == 1
        assert link.get_attribute("href") == "../try/index.html"
    home = Opened(browser, site / "index.html").page
    assert home.locator("nav a", has_text="Try it in the browser").count() >= 1


def test_the_standalone_step_through_page_names_its_icon(site: Path) -> None:
    """Served over http, a page without one makes a browser ask for /favicon.ico: a 404."""
    page = (site / "examples" / "neuron_steps.html").read_text(encoding="utf-8")
    assert '<link rel="icon" href="data:,">' in page


def test_a_picture_much_wider_than_the_column_opens_at_full_size(site: Path, browser: Any) -> None:
    page = browser.new_page(viewport={"width": 700, "height": 900})  # a narrow column
    page.goto((site / "course" / "01_values_and_graphs.html").as_uri())
    page.wait_for_load_state("load")
    pictures = page.locator(".jp-OutputArea-output img.gg-zoomable")
    assert pictures.count() >= 1
    picture = pictures.first
    picture.scroll_into_view_if_needed()
    picture.click()
    full = page.locator(".gg-zoom img")
    assert full.evaluate("img => img.width === img.naturalWidth && img.naturalWidth > 0")
    page.keyboard.press("Escape")
    assert page.locator(".gg-zoom").count() == 0
    page.close()
