"""Pick at most N inputs (and at most B bytes) that cover the most libFuzzer features: greedy set
cover over the control file of a `-set_cover_merge=1 -merge_control_file=CTL` run, which lists every
feature of every input (`FT <index> <features…>`). Prints the chosen paths. See README.md.

usage: python3 select_corpus.py CTL N B
"""

import os
import sys


def main() -> None:
    ctl, max_files, max_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    lines = open(ctl).read().split("\n")
    n = int(lines[0])
    files = lines[2 : 2 + n]
    feats = {}
    for line in lines[2 + n :]:
        if line.startswith("FT "):
            parts = line.split()
            feats[int(parts[1])] = set(map(int, parts[2:]))
    total = set().union(*feats.values()) if feats else set()
    sizes = {i: os.path.getsize(files[i]) for i in feats}
    covered, chosen, size = set(), [], 0
    while len(chosen) < max_files and feats:
        # The largest gain first; the smaller input on a tie.
        best = max(feats, key=lambda i: (len(feats[i] - covered), -sizes[i]))
        if not feats[best] - covered:
            break
        if size + sizes[best] <= max_bytes:
            chosen.append(best)
            covered |= feats[best]
            size += sizes[best]
        del feats[best]
    print(
        f"chose {len(chosen)} inputs, {size} bytes, {len(covered)}/{len(total)} features",
        file=sys.stderr,
    )
    for i in chosen:
        print(files[i])


if __name__ == "__main__":
    main()
