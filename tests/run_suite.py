"""`make test`: the whole suite, and a loud account of whatever it could not run.

Runs pytest once over tests/, against the moto server it starts itself, the Ceph RGW when
one runs on 127.0.0.1:7480, PostgreSQL and Redis when they run, and Debian's chromium.
Afterwards it prints every skipped test grouped by reason, so a missing backend never
passes quietly. pytest's "no tests ran" (exit 5) is a failure here.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM, rgw_settings  # noqa: E402
from tests.testenv import _listening  # noqa: E402


def banner(lines: list[str]) -> None:
    width = max(len(line) for line in lines) + 4
    print("\n" + "!" * width)
    for line in lines:
        print(f"! {line.ljust(width - 4)} !")
    print("!" * width + "\n", flush=True)


def main() -> int:
    backends = {
        "Ceph RGW on 127.0.0.1:7480": rgw_settings() is not None,
        "PostgreSQL on 127.0.0.1:5432": _listening(5432),
        "Redis on 127.0.0.1:6379": _listening(6379),
        f"chromium at {CHROMIUM}": Path(CHROMIUM).exists(),
    }
    print("Backends for this run:")
    for name, up in backends.items():
        print(f"  {'yes' if up else 'NO '}  {name}")
    missing = [name for name, up in backends.items() if not up]
    if missing:
        banner(["MISSING BACKENDS: the tests that need them will be SKIPPED:"] + [f"  - {m}" for m in missing])

    results = ROOT / "var" / "test-results.xml"
    results.parent.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={results}", *sys.argv[1:]]
    code = subprocess.call(args, cwd=ROOT, env=os.environ.copy())

    if results.exists():
        skipped: dict[str, list[str]] = collections.defaultdict(list)
        for case in ET.parse(results).iter("testcase"):
            skip = case.find("skipped")
            if skip is not None:
                reason = (skip.get("message") or "").split("\n")[0]
                skipped[reason].append(f"{case.get('classname')}::{case.get('name')}")
        if skipped:
            lines = [f"SKIPPED {sum(map(len, skipped.values()))} TEST(S):"]
            for reason, cases in skipped.items():
                lines.append(f"{len(cases):4d}  {reason}")
                lines += [f"        {c}" for c in cases[:8]]
                if len(cases) > 8:
                    lines.append(f"        ... and {len(cases) - 8} more")
            banner(lines)
    if code == 5:
        print("pytest collected no tests: that is a failure.")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
