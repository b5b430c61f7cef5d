"""Tests of tools/check_book.py: the page checks on small handmade pages, without a browser."""

import base64
import struct
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import check_book  # noqa: E402
from check_book import BookConfig, check_page  # noqa: E402

BOOK = BookConfig(repository="genbook-course/generative-deep-learning-keras", branch="main")
PAGE = "notebooks/01_x.html"
COLAB = ("https://colab.research.google.com/github/genbook-course/generative-deep-learning-keras/blob/main/"
         "notebooks/01_x.ipynb")


def _png() -> bytes:
    """A valid 1x1 grey PNG."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


def _html(body, colab=COLAB):
    launch = f'<a href="{colab}"><img src="../_static/logo.png"> Colab</a>' if colab else ""
    return (f'<html><head><script src="../_static/mathjax/tex-chtml.js?v=1"></script>'
            f'<link rel="stylesheet" href="../_static/theme.css"><style>.gt {{}} /* Traceback */</style></head>'
            f'<body><div class="header">{launch}<a href="https://github.com/x/y">repo</a></div>'
            f'<main><h1 id="top">Title<a class="headerlink" href="#top">#</a></h1>{body}</main></body></html>')


RAW_BODY = """
<p>Here <span class="math notranslate nohighlight">\\(x^2\\)</span> and a number
<span class="pasted-text">0.123</span>.</p>
<div class="math notranslate nohighlight">\\[ y = Wx \\]</div>
<img src="../_images/fig.png" alt="a figure">
<img src="data:image/png;base64,{png}">
<a href="02_y.html#intro">next</a> <a href="#top">top</a> <a href="../book/intro.html">intro</a>
<div class="cell"><div class="cell_input"><pre>print("$$ cuda_ Traceback (most recent call last)")</pre></div>
<div class="cell_output"><pre>loss: 0.5</pre></div></div>
"""


def _typeset(html):
    """What MathJax makes of the math elements (the DOM Chromium dumps after the scripts ran)."""
    return (html.replace("\\(x^2\\)", "<mjx-container><mjx-math></mjx-math></mjx-container>")
            .replace("\\[ y = Wx \\]", '<mjx-container display="true"></mjx-container>'))


@pytest.fixture
def book(tmp_path):
    """A tiny built book: the page's neighbours, an image, MathJax and a stylesheet."""
    root = tmp_path / "html"
    for name, text in {"notebooks/02_y.html": '<html><body><h1 id="intro">Next</h1></body></html>',
                       "book/intro.html": "<html><body>Intro</body></html>",
                       "_static/mathjax/tex-chtml.js": "// mathjax", "_static/theme.css": "body {}",
                       "index.html": '<meta http-equiv="Refresh" content="0; url=book/intro.html" />'}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "_images").mkdir()
    (root / "_images" / "fig.png").write_bytes(_png())
    (root / "_static" / "logo.png").write_bytes(_png())
    return root


def _check(root, body=RAW_BODY, dom_body=None, colab=COLAB, typeset=True):
    png = base64.b64encode(_png()).decode()
    body, dom_body = body.replace("{png}", png), dom_body and dom_body.replace("{png}", png)
    raw = _html(body, colab)
    dom = _typeset(raw) if dom_body is None and typeset else (_html(dom_body, colab) if dom_body else None)
    return check_page(root, PAGE, raw, dom, BOOK)


def test_a_clean_page_passes(book):
    result = _check(book)
    assert result.problems == []
    assert (result.images, result.links, result.external, result.math, result.glued) == (3, 4, 2, 2, 1)
    assert result.line().startswith(f"ok {PAGE}: 3 images, 4 links (2 external, not fetched), math ok (2 formulas)")


def test_without_a_browser_dom_the_formulas_need_not_be_typeset(book):
    assert _check(book, typeset=False).problems == []


def test_missing_image_file(book):
    (book / "_images" / "fig.png").unlink()
    assert any("image 2: ../_images/fig.png does not exist" in p for p in _check(book).problems)


@pytest.mark.parametrize("src, why", [("data:image/png;base64,@@not base64@@", "does not decode"),
                                      ("data:image/png;base64,", "empty"),
                                      ("data:image/png;base64," + base64.b64encode(b"GIF89a...").decode(),
                                       "bytes are not one"),
                                      ("", "no src")])
def test_broken_data_uri(book, src, why):
    problems = _check(book, RAW_BODY + f'<img src="{src}">').problems
    assert len(problems) == 1 and why in problems[0]


def test_image_file_that_is_not_what_it_says(book):
    (book / "_images" / "fig.png").write_bytes(b"<html>404</html>")
    assert any("is not a PNG" in p for p in _check(book).problems)


@pytest.mark.parametrize("href, why", [("03_missing.html", "notebooks/03_missing.html does not exist"),
                                       ("02_y.html#nowhere", "no id 'nowhere' in notebooks/02_y.html"),
                                       ("#nowhere", "no id 'nowhere' on this page"),
                                       ("../../outside.html", "points outside the book")])
def test_broken_link(book, href, why):
    problems = _check(book, RAW_BODY + f'<a href="{href}">x</a>').problems
    assert len(problems) == 1 and why in problems[0], problems


def test_missing_script(book):
    (book / "_static" / "mathjax" / "tex-chtml.js").unlink()
    assert any("tex-chtml.js" in p and "does not exist" in p for p in _check(book).problems)


def test_math_mathjax_did_not_render(book):
    problems = _check(book, dom_body=RAW_BODY).problems
    assert any("math not rendered: none of 2 formulas" in p for p in problems)
    assert any("raw TeX" in p and "\\(x^2" in p for p in problems)


def test_raw_tex_in_the_text(book):
    dom = _typeset(RAW_BODY) + "<p>The loss is $$\\sum_i x_i$$ here.</p>"
    problems = _check(book, dom_body=dom).problems
    assert len(problems) == 1 and "raw TeX ($$)" in problems[0] and "sum_i" in problems[0]


def test_mathjax_errors_are_reported(book):
    dom = _typeset(RAW_BODY) + ('<span class="math"><mjx-container><mjx-merror data-mjx-error="Missing close brace">'
                                '</mjx-merror><math><mtext mathcolor="red">\\foo</mtext></math></mjx-container></span>')
    problems = _check(book, dom_body=dom).problems
    assert any("Missing close brace" in p for p in problems) and any("undefined TeX macro \\foo" in p for p in problems)


@pytest.mark.parametrize("text, what", [("Traceback (most recent call last):\n  File ...", "Python traceback"),
                                        ("I0000 00:00:1795625529.878784   14119 port.cc:153] oneDNN custom", "absl"),
                                        ("2026-01-01 tensorflow/core/platform/cpu_feature_guard.cc:210]",
                                         "TensorFlow log"),
                                        ("E0000 12:34:56.789012 123 cuda_dnn.cc:8310] Unable", "TensorFlow log")])
def test_traceback_and_log_lines_in_outputs(book, text, what):
    dom = _typeset(RAW_BODY) + f'<div class="cell_output"><pre>{text}</pre></div>'
    problems = _check(book, dom_body=dom).problems
    assert len(problems) == 1 and what in problems[0], problems


def test_error_output_is_reported(book):
    dom = _typeset(RAW_BODY) + '<div class="output traceback highlight-ipythontb"><pre>ValueError: bad</pre></div>'
    assert any("an error output is shown" in p for p in _check(book, dom_body=dom).problems)


@pytest.mark.parametrize("colab", [COLAB.replace("01_x", "02_y"), COLAB.replace("genbook-course", "someone-else"),
                                   COLAB.replace("/main/", "/dev/")])
def test_wrong_colab_url(book, colab):
    problems = _check(book, colab=colab).problems
    assert len(problems) == 1 and f"should be {COLAB}" in problems[0]


def test_missing_colab_button(book):
    assert _check(book, colab=None).problems == ["no Colab launch button"]


@pytest.mark.parametrize("glued, why", [("", "is empty"), ("   ", "is empty"),
                                        ("{glue:text}`ch01_mse`", "not a number"), ("nan?", "not a number")])
def test_bad_glued_value(book, glued, why):
    body = RAW_BODY.replace("0.123", glued)
    problems = _check(book, body).problems
    assert any(why in p for p in problems), problems


@pytest.mark.parametrize("glued", ["-243.9", "1,000", "3.2e-05", "96.4 %", "\u22120.52"])
def test_numeric_glued_values_pass(book, glued):
    assert _check(book, RAW_BODY.replace("0.123", glued)).problems == []


def test_unrendered_glue_role_in_prose(book):
    dom = _typeset(RAW_BODY) + "<p>The error is {glue:text}`ch01_mse:.3f`.</p>"
    problems = _check(book, dom_body=dom).problems
    assert len(problems) == 1 and "unrendered glue role" in problems[0]


def test_failures_are_printed_one_per_line(book):
    (book / "_images" / "fig.png").unlink()
    line = _check(book, colab=None).line()
    assert line.splitlines() == [f"FAIL {PAGE}: image 1: ../_images/fig.png does not exist",
                                 f"FAIL {PAGE}: no Colab launch button"]


def test_redirect(book):
    assert check_book.check_redirect(book, "index.html", (book / "index.html").read_text()).problems == []
    broken = check_book.check_redirect(book, "index.html", '<meta http-equiv="Refresh" content="0; url=gone.html">')
    assert "file does not exist" in broken.problems[0]


def test_book_pages_and_config(tmp_path):
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: A\n    chapters:\n      - file: notebooks/00_a\n"
        "        sections:\n          - file: notebooks/01_b.ipynb\n      - url: https://example.org\n")
    assert check_book.book_pages(tmp_path / "_toc.yml") == ["book/intro.html", "notebooks/00_a.html",
                                                           "notebooks/01_b.html"]
    (tmp_path / "_config.yml").write_text("repository:\n  url: https://github.com/o/r.git\n  branch: dev\n")
    config = BookConfig.from_file(tmp_path / "_config.yml")
    assert config.colab_link("notebooks/00_a.ipynb") == \
        "https://colab.research.google.com/github/o/r/blob/dev/notebooks/00_a.ipynb"
    assert check_book.screenshot_name("notebooks/00_a.html") == "notebooks__00_a.png"


def test_real_config_names_the_repository():
    config = BookConfig.from_file(check_book.REPO / "_config.yml")
    assert config.repository.count("/") == 1 and config.branch


def test_missing_build_says_run_make_book(tmp_path, capsys):
    assert check_book.main(["--html", str(tmp_path / "nothing")]) == 1
    assert "run make book first" in capsys.readouterr().out


def test_missing_chromium_says_install_it(book, monkeypatch, capsys):
    monkeypatch.setattr(check_book, "find_chromium", lambda explicit=None: None)
    assert check_book.main(["--html", str(book)]) == 1
    assert "install Debian chromium; make setup does" in capsys.readouterr().out


def test_sidebar_must_list_every_page(book):
    nav = '<nav class="bd-links bd-docs-nav"><a href="../book/intro.html">Intro</a><a href="#">This</a></nav>'
    raw = _html(RAW_BODY.replace("{png}", base64.b64encode(_png()).decode()) + nav)
    pages = ["book/intro.html", PAGE, "notebooks/02_y.html"]
    result = check_page(book, PAGE, raw, _typeset(raw), BOOK, toc_pages=pages)
    assert result.problems == ["the sidebar does not list notebooks/02_y.html (a stale page from an earlier build?)"]
    raw = raw.replace("</nav>", '<a href="02_y.html">Next</a></nav>')
    assert check_page(book, PAGE, raw, _typeset(raw), BOOK, toc_pages=pages).problems == []


def test_repeated_problems_are_printed_once(book):
    body = RAW_BODY + '<a href="02_y.html#gone">a</a><a href="02_y.html#gone">b</a>'
    expected = f"FAIL {PAGE}: link 02_y.html#gone: no id 'gone' in notebooks/02_y.html (2 times)"
    assert _check(book, body).line() == expected
