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


def read_profile(path: Path) -> Profile:
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        samples += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            total_counts[frame] += count
    return Profile(samples, self_counts, total_counts)


def markdown(profile: Profile, top: int = 15) -> str:
    """Two markdown tables: the top frames by self samples and by total samples."""
    if profile.samples == 0:
        return "(no samples)\n"
    lines = [f"{profile.samples} samples.", ""]
    for title, counts in (("self", profile.self_counts), ("total", profile.total_counts)):
        lines += [f"| {title} % | frame |", "| ---: | --- |"]
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
