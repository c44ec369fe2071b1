"""Build step that pyproject.toml cannot declare: the check suites ship inside the package.

The suites stay in the repository's top-level expectations/ folder, where the bureau's engineers
edit them; a built wheel carries a copy as pipelines/quality/suites/, which the validator reads
first. Without it a non-editable install would have no suites at all.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SUITES = Path(__file__).resolve().parent / "expectations"


class BuildWithSuites(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads expectations/ in place
            return
        target = Path(self.build_lib) / "pipelines" / "quality" / "suites"
        target.mkdir(parents=True, exist_ok=True)
        for suite in sorted(SUITES.glob("*.json")):
            shutil.copy2(suite, target / suite.name)


setup(cmdclass={"build_py": BuildWithSuites})
