#!/usr/bin/env python3
"""Write docs/variables.md from every role's meta/argument_specs.yml (the roles' contracts).

python tools/gen_role_docs.py          # rewrite docs/variables.md
python tools/gen_role_docs.py --check  # fail if it is out of date (make lint runs this)
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "variables.md"


def _text(value) -> str:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return " ".join(str(value or "").split()).replace("|", "\\|")


def render() -> str:
    out = [
        "# Role variables",
        "",
        "Generated from each role's `meta/argument_specs.yml` by `tools/gen_role_docs.py`; do not edit by hand.",
        "",
    ]
    for spec_file in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        role = spec_file.parent.parent.name
        main = (yaml.safe_load(spec_file.read_text()) or {}).get("argument_specs", {}).get("main", {})
        out += [f"## {role}", "", _text(main.get("short_description")), ""]
        out += ["| variable | type | default | description |", "|---|---|---|---|"]
        for name, option in sorted((main.get("options") or {}).items()):
            kind = option.get("type", "str")
            if option.get("elements"):
                kind += f" of {option['elements']}"
            default = "required" if option.get("required") else f"`{option['default']}`" if "default" in option else ""
            choices = f" One of: {', '.join(str(c) for c in option['choices'])}." if option.get("choices") else ""
            out.append(f"| `{name}` | {kind} | {_text(default)} | {_text(option.get('description'))}{choices} |")
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print("docs/variables.md is out of date: run python tools/gen_role_docs.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
