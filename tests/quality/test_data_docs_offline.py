"""GX Data Docs render without network: every script, stylesheet and image is a local file."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipelines.orchestration.run import Locations, run_pipeline
from pipelines.quality.docs_offline import ASSETS, rewrite_page
from tools.sample import generate_county

CHROMIUM = Path("/usr/bin/chromium")


class _Assets(HTMLParser):
    """The URLs a browser fetches to render a page: scripts, stylesheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "link" and a.get("href"):
            self.urls.append(a["href"])
        elif tag == "img" and a.get("src"):
            self.urls.append(a["src"])


def _assets(page: Path) -> list[str]:
    parser = _Assets()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.urls


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    generate_county(root / "raw", n_departments=2, years=(2023, 2024), seed=11)
    loc = Locations(root / "raw", root / "wh" / "budget.duckdb")
    run_pipeline(loc, workers=1)
    return loc.data_docs_dir


def test_no_page_loads_anything_from_the_network(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 7  # the index, a page per suite, a page per validation
    fetched = 0
    for page in pages:
        for url in _assets(page):
            assert not re.match(r"(?i)(https?:)?//", url), f"{page.relative_to(site)}: {url}"
            local = (page.parent / url.split("?")[0]).resolve()
            assert local.is_file(), f"{page.relative_to(site)} refers to a missing {url}"
            fetched += 1
    assert fetched >= len(pages) * 10  # jQuery, Bootstrap, bootstrap-table … on every page
    for asset in ASSETS:
        assert (site / "static" / "vendor" / asset.target).stat().st_size > 100
    # Font Awesome's stylesheet finds its fonts beside it
    assert list((site / "static" / "vendor" / "font-awesome" / "webfonts").glob("*.woff2"))


def test_rewrite_points_at_local_copies_and_drops_unknown_cdns(tmp_path: Path) -> None:
    page = tmp_path / "validations" / "suite" / "page.html"
    html = (
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>'
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
        '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" '
        'integrity="sha384-x" crossorigin="anonymous"></script>'
        '<script src="https://cdn.example.org/unknown.js"></script>'
        '<a href="https://greatexpectations.io">GX</a>'
    )
    out = rewrite_page(html, page, tmp_path)
    assert '<link rel="stylesheet" href="../../static/vendor/bootstrap/bootstrap.min.css"/>' in out
    assert '<script src="../../static/vendor/jquery.min.js"></script>' in out
    assert '<script src="../../static/vendor/bootstrap/bootstrap.bundle.min.js"></script>' in out
    assert "integrity" not in out and "unknown.js" not in out
    assert '<a href="https://greatexpectations.io">GX</a>' in out  # a link to follow, not fetched


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed")
def test_index_lists_the_validations_in_headless_chromium(site: Path) -> None:
    index = site / "index.html"
    # bootstrap-table builds the rows from data in a script: none are in the file itself
    assert 'class="clickable-row"' not in index.read_text(encoding="utf-8")
    done = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--virtual-time-budget=10000",
            "--dump-dom",
            index.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = re.findall(r'<tr class="clickable-row" data-href="(validations/[^"]+)"', done.stdout)
    validated = {p.parent.parent.parent.name for p in site.glob("validations/*/*/*/*.html")}
    assert validated and {r.split("/")[1] for r in rows} == validated, done.stderr[-2000:]
    for row in rows:
        assert (site / row).is_file()
