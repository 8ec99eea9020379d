"""Print one closing line that totals every pytest run of this CI job: ``N passed, M failed``.

Reads the JUnit XML reports that ``make test`` wrote (``--junitxml``); a report that is missing or empty counts as
a failure, so a run that executed no test can never read as green.
"""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def totals(path: Path) -> tuple[int, int, int]:
    """(passed, failed, skipped) of one report; a missing or unreadable report is one failure."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return 0, 1, 0
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests = sum(int(suite.get("tests", 0)) for suite in suites)
    failed = sum(int(suite.get("failures", 0)) + int(suite.get("errors", 0)) for suite in suites)
    skipped = sum(int(suite.get("skipped", 0)) for suite in suites)
    if tests == 0:
        return 0, 1, 0
    return tests - failed - skipped, failed, skipped


def main(paths: list[str]) -> int:
    passed = failed = skipped = 0
    for name in paths:
        run_passed, run_failed, run_skipped = totals(Path(name))
        print(f"{name}: {run_passed} passed, {run_failed} failed, {run_skipped} skipped")
        passed, failed, skipped = passed + run_passed, failed + run_failed, skipped + run_skipped
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
