import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout; a git worktree under /work/wt/ sits one level deeper.
SHARED = next(
    (base / "shared" for base in (ROOT.parent, ROOT.parent.parent) if (base / "shared").is_dir()),
    ROOT.parent / "shared",
)
SEEDS = SHARED / "seeds"
DATA = SHARED / "data"

UAI_RE = re.compile(r"\b\d{7}[A-Z]\b")


def seed_uais():
    found = set()
    for path in sorted(SEEDS.glob("0*.txt")):
        found.update(UAI_RE.findall(path.read_text(encoding="utf-8")))
    return sorted(found)
