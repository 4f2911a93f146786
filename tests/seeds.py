import os
import re
from pathlib import Path

# ../shared beside the checkout; a git worktree elsewhere points at it with ENTCONV_SHARED_DIR.
SHARED = Path(
    os.environ.get("ENTCONV_SHARED_DIR")
    or Path(__file__).resolve().parent.parent.parent / "shared"
)
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"

UAI_RE = re.compile(r"\b\d{7}[A-Z]\b")


def seed_uais():
    found = set()
    for path in sorted(SEEDS.glob("0*.txt")):
        found.update(UAI_RE.findall(path.read_text(encoding="utf-8")))
    return sorted(found)
