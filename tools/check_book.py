"""Check the rendered book as a reader sees it, in headless Chromium.

For every page of ``_toc.yml`` in ``_build/html`` this checks that images load (data URIs decode, local files
exist), that internal links and their ``#fragment`` resolve (external links are counted, never fetched), that
MathJax typeset every formula and left no raw TeX, that glued figures (``{glue:text}``) show as numbers, that no
traceback or TensorFlow/absl log line is visible, that a notebook's Colab launch button opens that notebook
in the repository of ``_config.yml``, and that the sidebar lists every page. It saves a screenshot of every page
to ``_build/screenshots/``.

Chromium renders each page once (``--dump-dom`` after the scripts ran, and ``--screenshot``); the checks
themselves are plain functions of the HTML text (``check_page``), so they are tested without a browser.

    python tools/check_book.py [--html _build/html] [--screenshots _build/screenshots] [--jobs 2]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars")
VIRTUAL_TIME_MS = 15000
WINDOW = "1280,2400"
RENDER_TIMEOUT_S = 90

RAW_TEX = (r"\(", r"\)", r"\[", r"\]", "$$", r"\begin{")
GLUE_LITERALS = re.compile(r"\{glue(:[a-z]+)?\}|:glue(:[a-z]+)?:")
NUMBER = re.compile(r"[-+\u2212]?(\d[\d,\u202f ]*)?\.?\d+([eE][-+\u2212]?\d+)?")
LOG_PATTERNS = (
    ("a Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("an absl log line", re.compile(r"I0000 00:00|WARNING: All log messages before absl")),
    ("a TensorFlow log line", re.compile(r"oneDNN custom operations|tensorflow/core|cuda_\w*\.cc|cudart_stub")),
    ("a C++ log line", re.compile(r"\b[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ [\w.]+\.cc:\d+\]")),
)
INVISIBLE = {"script", "style", "noscript", "template", "head", "title"}
MAGIC = {"png": (b"\x89PNG\r\n\x1a\n",), "jpeg": (b"\xff\xd8\xff",), "jpg": (b"\xff\xd8\xff",),
         "gif": (b"GIF87a", b"GIF89a")}


@dataclass
class BookConfig:
    """What the Colab launch buttons must say, from ``_config.yml``."""

    repository: str  # owner/name
    branch: str = "main"
    colab_url: str = "https://colab.research.google.com"
    path_to_book: str = ""

    @classmethod
    def from_file(cls, path: Path) -> BookConfig:
        config = yaml.safe_load(path.read_text()) or {}
        repository = config.get("repository") or {}
        url = str(repository.get("url", "")).rstrip("/").removesuffix(".git")
        name = "/".join(urlsplit(url).path.strip("/").split("/")[:2])
        colab = (config.get("launch_buttons") or {}).get("colab_url") or cls.colab_url
        return cls(repository=name, branch=str(repository.get("branch", "main")), colab_url=colab.rstrip("/"),
                   path_to_book=str(repository.get("path_to_book", "") or "").strip("/"))

    def colab_link(self, notebook: str) -> str:
        path = posixpath.join(self.path_to_book, notebook) if self.path_to_book else notebook
        return f"{self.colab_url}/github/{self.repository}/blob/{self.branch}/{path}"


@dataclass
class PageResult:
    page: str
    problems: list[str] = field(default_factory=list)
    images: int = 0
    links: int = 0
    external: int = 0
    math: int = 0
    glued: int = 0
    note: str = ""

    def line(self) -> str:
        if self.problems:
            counts = {problem: self.problems.count(problem) for problem in self.problems}
            return "\n".join(f"FAIL {self.page}: {p}" + (f" ({n} times)" if n > 1 else "") for p, n in counts.items())
        if self.note:
            return f"ok {self.page}: {self.note}"
        def count(n, word):
            return f"{n} {word}{'' if n == 1 else 's'}"

        math = f"math ok ({count(self.math, 'formula')})" if self.math else "no math"
        return (f"ok {self.page}: {count(self.images, 'image')}, {count(self.links, 'link')} ({self.external} "
                f"external, not fetched), {math}, {count(self.glued, 'glued number')}")


# ---------------------------------------------------------------------------------------------------- pages

def book_pages(toc_path: Path) -> list[str]:
    """The HTML pages of ``_toc.yml`` (jb-book or jb-article), in reading order, relative to the HTML root."""
    toc = yaml.safe_load(toc_path.read_text()) or {}
    files: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                files.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    if isinstance(toc.get("root"), str):
        files.append(toc["root"])
    walk(toc)
    pages = []
    for name in files:
        page = re.sub(r"\.(md|ipynb|rst)$", "", name.strip("/")) + ".html"
        if page not in pages:
            pages.append(page)
    return pages


def screenshot_name(page: str) -> str:
    return page.removesuffix(".html").replace("/", "__") + ".png"


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def classes(tag: Tag) -> list[str]:
    value = tag.get("class") or []
    return value.split() if isinstance(value, str) else list(value)


def visible_text(node: Tag, skip=lambda tag: False) -> str:
    """The text a reader sees (no scripts, styles or hidden elements), without the subtrees ``skip`` picks."""
    parts: list[str] = []

    def walk(tag: Tag) -> None:
        for child in tag.children:
            if isinstance(child, Tag):
                if child.name in INVISIBLE or child.has_attr("hidden") or is_headerlink(child) or skip(child):
                    continue
                walk(child)
            elif isinstance(child, NavigableString) and not isinstance(child, PreformattedString):  # no comments
                parts.append(str(child))

    walk(node)
    return "".join(parts)


def is_headerlink(tag: Tag) -> bool:
    return tag.name == "a" and "headerlink" in classes(tag)  # the pilcrow/# shown on hover beside headings


def is_cell_input(tag: Tag) -> bool:
    return "cell_input" in classes(tag)


def is_code(tag: Tag) -> bool:
    return tag.name in ("pre", "code", "textarea") or is_cell_input(tag)


def excerpt(text: str, start: int, width: int = 40) -> str:
    snippet = text[max(0, start - width): start + width]
    return " ".join(snippet.split())


# ---------------------------------------------------------------------------------------------------- checks

def check_images(soup: BeautifulSoup, page: str, html_root: Path) -> tuple[int, list[str]]:
    """Every <img> loads: data URIs decode to the declared format, local files exist and are not empty."""
    problems = []
    images = soup.find_all("img")
    for number, img in enumerate(images, 1):
        src = (img.get("src") or "").strip()
        label = f"image {number}"
        if not src:
            problems.append(f"{label} has no src")
            continue
        if src.startswith("data:"):
            header, comma, data = src[5:].partition(",")
            mime = header.split(";")[0].lower()
            if not comma:
                problems.append(f"{label}: malformed data URI ({src[:40]}...)")
                continue
            try:
                payload = (base64.b64decode("".join(data.split()), validate=True) if header.endswith(";base64")
                           else unquote(data).encode())
            except (binascii.Error, ValueError) as exc:
                problems.append(f"{label}: data URI does not decode ({exc})")
                continue
            kind = mime.split("/")[-1]
            if not payload:
                problems.append(f"{label}: data URI is empty")
            elif kind in MAGIC and not payload.startswith(MAGIC[kind]):
                problems.append(f"{label}: data URI says {mime} but its bytes are not one")
            continue
        scheme = urlsplit(src).scheme
        if scheme in ("http", "https"):
            continue  # external, not fetched
        if scheme:
            problems.append(f"{label}: unsupported src {src[:60]}")
            continue
        target, error = resolve(page, src, html_root)
        if error:
            problems.append(f"{label}: {error}")
        elif not target.is_file() or target.stat().st_size == 0:
            problems.append(f"{label}: {src} does not exist" if not target.is_file() else f"{label}: {src} is empty")
        else:
            kind = target.suffix.lower().lstrip(".")
            if kind in MAGIC and not target.read_bytes()[:8].startswith(MAGIC[kind]):
                problems.append(f"{label}: {src} is not a {kind.upper()} file")
    return len(images), problems


def resolve(page: str, href: str, html_root: Path) -> tuple[Path, str]:
    """The file a relative (or root-absolute) href of ``page`` points at, or an error."""
    path = unquote(urlsplit(href).path)
    joined = posixpath.normpath(path.lstrip("/") if path.startswith("/") else
                                posixpath.join(posixpath.dirname(page), path))
    if joined == ".." or joined.startswith("../"):
        return html_root, f"{href} points outside the book"
    target = html_root / joined
    if target.is_dir():
        target = target / "index.html"
    return target, ""


def page_ids(soup: BeautifulSoup) -> set[str]:
    ids = {tag["id"] for tag in soup.find_all(id=True)}
    return ids | {tag["name"] for tag in soup.find_all("a", attrs={"name": True})}


def check_links(soup: BeautifulSoup, page: str, html_root: Path, ids_cache: dict | None = None
                ) -> tuple[int, int, list[str]]:
    """Every internal <a href> points at an existing file, and its #fragment at an id there; external are counted."""
    ids_cache = {} if ids_cache is None else ids_cache
    own = page_ids(soup)
    problems, internal, external = [], 0, 0
    for a in soup.find_all("a", href=True):
        href = a["href"].strip()
        parts = urlsplit(href)
        if parts.scheme in ("http", "https") or href.startswith("//"):
            external += 1
            continue
        if parts.scheme:  # mailto:, javascript:, ...
            continue
        internal += 1
        fragment = unquote(parts.fragment)
        if not parts.path:  # "#id" on this page
            if fragment and fragment not in own:
                problems.append(f"link {href}: no id {fragment!r} on this page")
            continue
        target, error = resolve(page, href, html_root)
        if error:
            problems.append(f"link {error}")
            continue
        if not target.is_file():
            problems.append(f"link {href}: {target.relative_to(html_root).as_posix()} does not exist")
            continue
        if fragment and target.suffix == ".html":
            if target not in ids_cache:
                ids_cache[target] = page_ids(soup_of(target.read_text(errors="replace")))
            if fragment not in ids_cache[target]:
                problems.append(f"link {href}: no id {fragment!r} in {target.relative_to(html_root).as_posix()}")
    return internal, external, problems


def check_assets(soup: BeautifulSoup, page: str, html_root: Path) -> list[str]:
    """Local scripts and stylesheets (MathJax among them) exist."""
    problems = []
    for tag, attr in (("script", "src"), ("link", "href")):
        for element in soup.find_all(tag, attrs={attr: True}):
            if tag == "link" and not {"stylesheet", "preload"} & set(element.get("rel") or []):
                continue
            ref = element[attr].strip()
            if urlsplit(ref).scheme or ref.startswith("//"):
                continue
            target, error = resolve(page, ref, html_root)
            if error or not target.is_file():
                problems.append(f"{tag} {ref}: {error or 'file does not exist'}")
    return problems


def math_elements(soup: BeautifulSoup) -> list[Tag]:
    return [tag for tag in soup.find_all(["span", "div"], class_="math")
            if not any("math" in classes(parent) for parent in tag.parents if parent.name in ("span", "div"))]


def check_math(dom: BeautifulSoup, typeset: bool = True) -> tuple[int, list[str]]:
    """After MathJax: each math span/div holds an mjx-container, no TeX errors, no raw TeX in the visible text.

    With ``typeset=False`` (no DOM from the browser) only the text outside math elements is checked.
    """
    problems = []
    maths = math_elements(dom)
    untypeset = [m for m in maths if m.find("mjx-container") is None] if typeset else []
    if maths and len(untypeset) == len(maths):
        problems.append(f"math not rendered: none of {len(maths)} formulas became an mjx-container "
                        "(did MathJax load? see mathjax_path in _config.yml and book/_static/mathjax)")
    elif untypeset:
        first = " ".join(untypeset[0].get_text().split())[:60]
        problems.append(f"{len(untypeset)} of {len(maths)} formulas not typeset, first: {first}")
    for error in dom.find_all("mjx-merror"):
        problems.append(f"MathJax error: {error.get('data-mjx-error') or error.get_text()[:60]}")
    for mtext in dom.find_all("mtext", attrs={"mathcolor": "red"}):
        problems.append(f"undefined TeX macro {mtext.get_text()}")
    math_ids = {id(m) for m in maths}
    skip = is_code if typeset else (lambda tag: is_code(tag) or id(tag) in math_ids)
    text = visible_text(dom.body or dom, skip=skip)
    found = {delimiter: text.find(delimiter) for delimiter in RAW_TEX if delimiter in text}
    if found:
        first = min(found.values())
        problems.append(f"raw TeX ({' '.join(found)}) in the text, first: ...{excerpt(text, first)}...")
    return len(maths), problems


def check_glue(dom: BeautifulSoup) -> tuple[int, list[str]]:
    """Every glued text (myst-nb span.pasted-text) is a number, and no glue role is left as text."""
    problems = []
    pasted = dom.find_all("span", class_="pasted-text")
    for number, span in enumerate(pasted, 1):
        value = " ".join(span.get_text().split())
        if not value:
            problems.append(f"glued value {number} is empty")
        elif GLUE_LITERALS.search(value) or not NUMBER.search(value):
            problems.append(f"glued value {number} is not a number: {value[:60]!r}")
    text = visible_text(dom.body or dom, skip=is_code)
    for match in GLUE_LITERALS.finditer(text):
        problems.append(f"unrendered glue role in the text: ...{excerpt(text, match.start())}...")
    return len(pasted), problems


def check_logs(dom: BeautifulSoup) -> list[str]:
    """No traceback, error output or TensorFlow/absl log line is visible (code cell inputs aside)."""
    problems = []
    for output in dom.find_all("div", class_="output"):
        if {"traceback", "error"} & set(classes(output)):
            problems.append(f"an error output is shown: ...{excerpt(output.get_text(), 0, 60)}...")
    text = visible_text(dom.body or dom, skip=is_cell_input)
    for what, pattern in LOG_PATTERNS:
        match = pattern.search(text)
        if match:  # the first kind found is enough: one log line usually matches several patterns
            problems.append(f"{what} is visible: ...{excerpt(text, match.start())}...")
            break
    return problems


def check_colab(soup: BeautifulSoup, page: str, book: BookConfig, repo_root: Path | None = None) -> list[str]:
    """A notebook page's Colab launch link opens that notebook on the configured repository and branch."""
    links = [a["href"] for a in soup.find_all("a", href=True) if "colab.research.google.com" in a["href"]]
    is_notebook = page.startswith("notebooks/")
    notebook = page.removesuffix(".html") + ".ipynb"
    if is_notebook and repo_root is not None and not (repo_root / notebook).is_file():
        is_notebook = False  # a page under notebooks/ written in MyST markdown has no notebook to launch
    if is_notebook and not links:
        return ["no Colab launch button"]
    problems = []
    expected = book.colab_link(notebook)
    for href in dict.fromkeys(links):
        if is_notebook and href != expected:
            problems.append(f"Colab link {href} should be {expected}")
        elif not is_notebook and not href.endswith(".ipynb"):
            problems.append(f"Colab link {href} does not open a notebook")
    return problems


def check_navigation(soup: BeautifulSoup, page: str, html_root: Path, toc_pages: list[str]) -> list[str]:
    """The sidebar lists every page of the book (a page left over from an earlier build may not)."""
    nav = soup.find("nav", class_="bd-docs-nav")
    if nav is None:
        return []
    listed = {page}
    for a in nav.find_all("a", href=True):
        if not urlsplit(a["href"]).scheme and urlsplit(a["href"]).path:
            target, error = resolve(page, a["href"], html_root)
            if not error:
                listed.add(target.relative_to(html_root).as_posix())
    missing = [p for p in toc_pages if p not in listed]
    return [f"the sidebar does not list {', '.join(missing)} (a stale page from an earlier build?)"] if missing else []


def check_page(html_root: Path, page: str, raw_html: str, dom_html: str | None, book: BookConfig,
               ids_cache: dict | None = None, repo_root: Path | None = None,
               toc_pages: list[str] | None = None) -> PageResult:
    """All checks of one page: the files as written (images, links, Colab) and the DOM after scripts ran.

    ``dom_html`` is the page after its scripts ran (Chromium's --dump-dom); None checks the written HTML instead,
    without asking that the formulas be typeset.
    """
    result = PageResult(page)
    raw = soup_of(raw_html)
    dom = soup_of(dom_html) if dom_html is not None else raw
    result.images, problems = check_images(raw, page, html_root)
    result.problems += problems
    result.links, result.external, problems = check_links(raw, page, html_root, ids_cache)
    result.problems += problems + check_assets(raw, page, html_root)
    result.math, problems = check_math(dom, typeset=dom_html is not None)
    result.problems += problems
    result.glued, problems = check_glue(dom)
    result.problems += problems + check_logs(dom) + check_colab(raw, page, book, repo_root)
    result.problems += check_navigation(raw, page, html_root, toc_pages or [])
    return result


def check_redirect(html_root: Path, page: str, raw_html: str) -> PageResult:
    """index.html is a meta refresh to the root page; its target must exist."""
    result = PageResult(page)
    meta = soup_of(raw_html).find("meta", attrs={"http-equiv": re.compile("refresh", re.I)})
    match = re.search(r"url=(\S+)", meta.get("content", "") if meta else "", re.I)
    if not match:
        result.problems.append("no redirect to the first page")
        return result
    target, error = resolve(page, match.group(1), html_root)
    if error or not target.is_file():
        result.problems.append(f"redirect to {match.group(1)}: {error or 'file does not exist'}")
    result.note = f"redirects to {match.group(1)}"
    return result


# ---------------------------------------------------------------------------------------------------- browser

def find_chromium(explicit: str | None = None) -> str | None:
    for candidate in (explicit, os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def render(chromium: str, html_file: Path, screenshot: Path, timeout: float = RENDER_TIMEOUT_S
           ) -> tuple[str | None, str]:
    """The DOM of ``html_file`` after its scripts ran, and a screenshot; (None, why) when Chromium fails."""
    with tempfile.TemporaryDirectory(prefix="check_book_") as profile:
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={WINDOW}",
                   f"--virtual-time-budget={VIRTUAL_TIME_MS}", f"--screenshot={screenshot}", "--dump-dom",
                   html_file.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, errors="replace")
        except subprocess.TimeoutExpired:
            return None, f"Chromium took over {timeout:.0f} s"
    if done.returncode != 0 or "<html" not in done.stdout.lower():
        errors = [line for line in done.stderr.splitlines() if "dbus" not in line and line.strip()]
        return None, f"Chromium failed (exit {done.returncode}): {errors[-1] if errors else 'no DOM'}"
    return done.stdout, ""


# ---------------------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=REPO / "_build" / "html", help="the built book")
    parser.add_argument("--screenshots", type=Path, default=None, help="default: screenshots/ beside --html")
    parser.add_argument("--chromium", default=None, help="the Chromium binary (default /usr/bin/chromium)")
    parser.add_argument("--jobs", type=int, default=2, help="Chromium processes at a time (at most 2)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    html_root: Path = args.html
    if not (html_root / "index.html").is_file():
        print(f"check_book: no built book at {html_root}: run make book first")
        return 1
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print("check_book: Chromium not found (/usr/bin/chromium): install Debian chromium; make setup does")
        return 1
    shots = args.screenshots or html_root.parent / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()
    book = BookConfig.from_file(REPO / "_config.yml")
    pages = book_pages(REPO / "_toc.yml")

    def rendered(page: str):
        html_file = html_root / page
        return render(chromium, html_file, shots / screenshot_name(page)) if html_file.is_file() else (None, "")

    with ThreadPoolExecutor(max_workers=max(1, min(args.jobs, 2))) as pool:
        doms = list(pool.map(rendered, pages))

    results = [check_redirect(html_root, "index.html", (html_root / "index.html").read_text())]
    ids_cache: dict = {}
    for page, (dom, error) in zip(pages, doms, strict=True):
        html_file = html_root / page
        if not html_file.is_file():
            results.append(PageResult(page, [f"page of _toc.yml not built ({html_file} missing)"]))
            continue
        result = check_page(html_root, page, html_file.read_text(errors="replace"), dom, book, ids_cache, REPO,
                            pages)
        if dom is None:
            result.problems.insert(0, error)
        results.append(result)
    for result in results:
        print(result.line())
    failed = sum(bool(r.problems) for r in results)
    print(f"check_book: {len(results) - failed} pages ok, {failed} failed "
          f"({time.monotonic() - started:.0f} s; screenshots in {shots})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
