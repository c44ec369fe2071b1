"""Great Expectations Data Docs that work without any network.

GX's page templates load Bootstrap, jQuery, bootstrap-table, Font Awesome and vega from CDNs;
on an offline intranet the index then shows bare links and no list of validations. After GX has
built the site, ``make_offline`` copies local copies of those files into
``<site>/static/vendor/`` (from Python packages pinned in pyproject.toml, and bootstrap-table
from docs_assets/, see its README) and rewrites every page's <script>/<link> to a relative path.
A CDN asset not known here is dropped rather than left to time out.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parent / "docs_assets"
VENDOR = "static/vendor"


@dataclass(frozen=True)
class Asset:
    """One file a page needs: ``source`` inside ``package`` (None: docs_assets/), copied to
    ``target`` under the site's static/vendor/."""

    url: re.Pattern[str]
    package: str | None
    source: str
    target: str


def _asset(url: str, package: str | None, source: str, target: str) -> Asset:
    return Asset(re.compile(url), package, source, target)


ASSETS: tuple[Asset, ...] = (
    _asset(
        r"jquery-3[\d.]*(\.min)?\.js$", "xstatic.pkg.jquery", "data/jquery.min.js", "jquery.min.js"
    ),
    # Bootstrap 4's bundle carries Popper, which GX loads separately (see DROPPED).
    _asset(
        r"/bootstrap/4[\d.]*/js/bootstrap(\.min)?\.js$",
        "xstatic.pkg.bootstrap",
        "data/js/bootstrap.bundle.min.js",
        "bootstrap/bootstrap.bundle.min.js",
    ),
    _asset(
        r"/bootstrap/4[\d.]*/css/bootstrap(\.min)?\.css$",
        "xstatic.pkg.bootstrap",
        "data/css/bootstrap.min.css",
        "bootstrap/bootstrap.min.css",
    ),
    _asset(
        r"bootstrap-table@[\d.]+/dist/bootstrap-table(\.min)?\.js$",
        None,
        "bootstrap-table-1.19.1/bootstrap-table.min.js",
        "bootstrap-table/bootstrap-table.min.js",
    ),
    _asset(
        r"bootstrap-table@[\d.]+/dist/bootstrap-table(\.min)?\.css$",
        None,
        "bootstrap-table-1.19.1/bootstrap-table.min.css",
        "bootstrap-table/bootstrap-table.min.css",
    ),
    _asset(
        r"bootstrap-table@[\d.]+/dist/extensions/filter-control/bootstrap-table-filter-control(\.min)?\.js$",
        None,
        "bootstrap-table-1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.js",
        "bootstrap-table/bootstrap-table-filter-control.min.js",
    ),
    _asset(
        r"bootstrap-table@[\d.]+/dist/extensions/filter-control/bootstrap-table-filter-control(\.min)?\.css$",
        None,
        "bootstrap-table-1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.css",
        "bootstrap-table/bootstrap-table-filter-control.min.css",
    ),
    _asset(
        r"bootstrap-datepicker/[\d.]+/js/bootstrap-datepicker(\.min)?\.js$",
        "xstatic.pkg.bootstrap_datepicker",
        "data/bootstrap-datepicker.js",
        "bootstrap-datepicker/bootstrap-datepicker.js",
    ),
    _asset(
        r"bootstrap-datepicker/[\d.]+/css/bootstrap-datepicker(\.min)?\.css$",
        "xstatic.pkg.bootstrap_datepicker",
        "data/bootstrap-datepicker.standalone.css",
        "bootstrap-datepicker/bootstrap-datepicker.standalone.css",
    ),
    # all.min.css refers to ../webfonts/, copied alongside (see FOLDERS)
    _asset(
        r"font-awesome/[\d.]+/css/all(\.min)?\.css$",
        "xstatic.pkg.font_awesome",
        "data/css/all.min.css",
        "font-awesome/css/all.min.css",
    ),
    _asset(r"/npm/vega@5$", "altair_viewer", "scripts/vega-5.21.0.js", "vega/vega-5.21.0.js"),
    _asset(
        r"/npm/vega-lite@\d+$",
        "altair_viewer",
        "scripts/vega-lite-4.17.0.js",
        "vega/vega-lite-4.17.0.js",
    ),
    _asset(
        r"/npm/vega-embed@6$",
        "altair_viewer",
        "scripts/vega-embed-6.20.0.js",
        "vega/vega-embed-6.20.0.js",
    ),
)
# Whole folders an asset refers to: (package, source folder, target folder under vendor/).
FOLDERS: tuple[tuple[str, str, str], ...] = (
    ("xstatic.pkg.font_awesome", "data/webfonts", "font-awesome/webfonts"),
)
# Loaded by GX but not needed offline: Popper is inside bootstrap.bundle; the dark theme for
# browsers set to dark mode is optional and in no package.
DROPPED = (re.compile(r"popper(\.min)?\.js$"), re.compile(r"bootstrap-prefers-dark\.css$"))

_TAG = re.compile(
    r"<script\b[^>]*\bsrc=\"(?P<src>(?:https?:)?//[^\"]+)\"[^>]*>\s*</script>"
    r"|<link\b[^>]*\bhref=\"(?P<href>(?:https?:)?//[^\"]+)\"[^>]*/?>",
    re.IGNORECASE,
)
# GX's top bar shows its logo from a web bucket; the same image is in the site's static/images/.
_LOGO = re.compile(
    r"https://great-expectations-web-assets\.[^\"/]+/(?P<name>[\w.-]+?)(\?[^\"]*)?\""
)


# GX writes the favicon of a validation page one folder too shallow; every relative reference
# to the site's static/ folder is set to the page's real depth.
_STATIC = re.compile(r'(?P<attr>\b(?:src|href)=")(?:\./|(?:\.\./)+)static/')


class MissingAsset(RuntimeError):
    """A package that provides an offline asset is not installed (see pyproject.toml)."""


def _package_dir(package: str | None) -> Path:
    if package is None:
        return ASSETS_DIR
    spec = importlib.util.find_spec(package)  # finds the files without importing the package
    if spec is None or not spec.submodule_search_locations:
        raise MissingAsset(
            f"package {package} is not installed: the offline Data Docs need it (make setup)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def copy_assets(site: Path) -> None:
    """Copy every asset and folder into ``site``/static/vendor/ (unchanged files are skipped)."""
    vendor = site / VENDOR
    for asset in ASSETS:
        source = _package_dir(asset.package) / asset.source
        if not source.is_file():
            raise MissingAsset(f"{source} is missing: reinstall {asset.package or 'the project'}")
        _copy(source, vendor / asset.target)
    for package, folder, target in FOLDERS:
        for source in sorted((_package_dir(package) / folder).iterdir()):
            if source.is_file():
                _copy(source, vendor / target / source.name)


def _copy(source: Path, target: Path) -> None:
    if target.exists() and target.stat().st_size == source.stat().st_size:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def rewrite_page(html: str, page: Path, site: Path) -> str:
    """``html`` with every CDN <script>/<link> pointing at the local copy (relative to ``page``)
    and the others removed."""
    to_site = os.path.relpath(site, page.parent).replace(os.sep, "/")

    def local(match: re.Match[str]) -> str:
        url = match.group("src") or match.group("href")
        for asset in ASSETS:
            if asset.url.search(url):
                path = f"{to_site}/{VENDOR}/{asset.target}"
                if match.group("src"):
                    return f'<script src="{path}"></script>'
                return f'<link rel="stylesheet" href="{path}"/>'
        if not any(p.search(url) for p in DROPPED):
            log.warning("Data Docs: dropped an asset with no local copy: %s", url)
        return ""

    html = _TAG.sub(local, html)
    html = _STATIC.sub(lambda m: f"{m.group('attr')}{to_site}/static/", html)
    return _LOGO.sub(lambda m: f'{to_site}/static/images/{m.group("name")}"', html)


def make_offline(site: Path) -> int:
    """Copy the assets into the built site and rewrite its pages; returns pages rewritten."""
    copy_assets(site)
    pages = 0
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        rewritten = rewrite_page(text, page, site)
        if rewritten != text:
            page.write_text(rewritten, encoding="utf-8")
            pages += 1
    return pages
