"""Top entries of a py-spy profile (`py-spy record --format raw`, collapsed stacks).

Each line of the raw format is `frame;frame;...;frame COUNT`, outermost frame first, each
frame `function (module/file.py:line)`, or `function (module/file.py)` with `--nolineno`.
"Self" counts the samples where a frame is the innermost one (where the CPU actually was);
"total" counts the samples where it is anywhere on the stack (what it and its callees cost).

Usage: python bench/pyspy_top.py PROFILE.txt [N]
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Profile:
    samples: int
    self_counts: Counter[str]
    total_counts: Counter[str]
    self_by_package: Counter[str]


def package_of(frame: str) -> str:
    """`is_idle (httpcore/_async/http11.py)` -> `httpcore`; `<frozen importlib...>` stays."""
    location = frame.rpartition(" (")[2].rstrip(")")
    return location if location.startswith("<") else location.split("/", 1)[0]


def read_profile(path: Path) -> Profile:
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    self_by_package: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        samples += count
        self_counts[frames[-1]] += count
        self_by_package[package_of(frames[-1])] += count
        for frame in set(frames):
            total_counts[frame] += count
    return Profile(samples, self_counts, total_counts, self_by_package)


def markdown(profile: Profile, top: int = 15) -> str:
    """Markdown tables: self samples by package, the top frames by self and by total."""
    if profile.samples == 0:
        return "(no samples)\n"
    lines = [f"{profile.samples} samples.", ""]
    tables = (
        ("self", "package", profile.self_by_package),
        ("self", "frame", profile.self_counts),
        ("total", "frame", profile.total_counts),
    )
    for title, what, counts in tables:
        lines += [f"| {title} % | {what} |", "| ---: | --- |"]
        for frame, count in counts.most_common(top):
            lines.append(f"| {100 * count / profile.samples:.1f} | `{frame}` |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2) or (len(argv) == 2 and not argv[1].isdigit()):
        print(__doc__, file=sys.stderr)
        return 2
    print(markdown(read_profile(Path(argv[0])), int(argv[1]) if len(argv) == 2 else 15))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
