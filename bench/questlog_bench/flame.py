"""Summarise a py-spy raw (collapsed stacks) profile: the frames with the most own and total time."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def top(lines: list[str], n: int = 15) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """Return the sample count and the top frames by own samples and by inclusive samples."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames, samples = stack.split(";"), int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    return total, own.most_common(n), inclusive.most_common(n * 3)


def main() -> int:
    """Print the summary of the profile named on the command line."""
    total, own, inclusive = top(Path(sys.argv[1]).read_text().splitlines())
    print(f"{total} samples holding the GIL")
    for frame, samples in own:
        print(f"{samples / total:6.1%} own       {frame[:140]}")
    for frame, samples in inclusive:
        if "questlog" in frame:
            print(f"{samples / total:6.1%} inclusive {frame[:140]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
