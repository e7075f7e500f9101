"""Unit tests import the collection as ansible_collections.illustra.webstack (via .cache/collections)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".cache" / "collections"
if not (COLLECTIONS / "ansible_collections" / "illustra" / "webstack").exists():
    (COLLECTIONS / "ansible_collections" / "illustra").mkdir(parents=True, exist_ok=True)
    (COLLECTIONS / "ansible_collections" / "illustra" / "webstack").symlink_to(Path("../../../.."))
sys.path.insert(0, str(COLLECTIONS))
# amazon.aws and the other collections live in site-packages/ansible_collections; make the
# namespace package span both trees.
import ansible_collections  # noqa: E402

site = [p for p in ansible_collections.__path__ if ".cache" not in p]
ansible_collections.__path__ = [str(COLLECTIONS / "ansible_collections"), *site]
