# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure planning for a set of SSM Parameter Store parameters (no boto3 here).

A parameter's state, from GetParameters, DescribeParameters and ListTagsForResource::

    name, type, value, version, description, key_id, tier, tags

``value`` never leaves the module: describe_public() drops it. Settings a wanted parameter leaves as ``None`` are
not managed. The plan is a list of ``(action, argument)`` tuples, applied in order.
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

# Parameter Store's rules (AWS Systems Manager User Guide, "Creating Systems Manager parameters"; PutParameter).
NAME = re.compile(r"^(/?[a-zA-Z0-9_.-]+)+/?$")
MAX_NAME = 2048
MAX_DEPTH = 15
MAX_DESCRIPTION = 1024
STANDARD_MAX_VALUE = 4096
TYPES = ("String", "StringList", "SecureString")
# GetParameters and DeleteParameters take at most 10 names, DescribeParameters' Name filter at most 50 values.
BATCH = 10


def validate(parameters, state):
    """Error messages for bad input, naming the option (empty when the input is fine)."""
    errors = []
    names = [p["name"] for p in parameters]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        errors.append(f"parameters: each name once (twice: {', '.join(duplicates)})")
    for p in parameters:
        name = p["name"]
        if len(name) > MAX_NAME or not NAME.match(name) or name.strip("/").count("/") >= MAX_DEPTH:
            errors.append(
                f"parameters: {name!r} is not a parameter name (letters, digits, _ . - and /, at most "
                f"{MAX_DEPTH} levels and {MAX_NAME} characters)"
            )
        elif name.lower().lstrip("/").startswith(("aws", "ssm")):
            errors.append(f"parameters: {name!r} - names may not start with aws or ssm (AWS reserves them)")
        if state != "present":
            continue
        if p.get("value") is None:
            errors.append(f"parameters: {name} has no value (state=present needs one)")
        elif p.get("value") == "":
            errors.append(f"parameters: {name} has an empty value (Parameter Store refuses empty values)")
        elif (p.get("tier") or "Standard") == "Standard" and len(p["value"].encode()) > STANDARD_MAX_VALUE:
            errors.append(f"parameters: {name}'s value is over {STANDARD_MAX_VALUE} bytes; set tier: Advanced")
        if p.get("key_id") and p.get("type") != "SecureString":
            errors.append(f"parameters: {name} - key_id applies to SecureString parameters only")
        if p.get("description") and len(p["description"]) > MAX_DESCRIPTION:
            errors.append(f"parameters: {name}'s description is over {MAX_DESCRIPTION} characters")
    return errors


def describe(got, metadata=None, tags=None):
    """A parameter's state from GetParameters' Parameter, DescribeParameters' metadata and its tags (a dict)."""
    metadata = metadata or {}
    return dict(
        name=got["Name"],
        type=got["Type"],
        value=got.get("Value"),
        version=got.get("Version"),
        description=metadata.get("Description", ""),
        key_id=metadata.get("KeyId"),
        tier=metadata.get("Tier", "Standard"),
        tags=None if tags is None else dict(tags),
    )


def describe_public(state):
    """The state without the value (the module's return and diff)."""
    return {k: v for k, v in state.items() if k != "value"}


def key_matches(current, wanted):
    """Whether the KMS key Parameter Store reports is the one asked for (an alias or id may come back as an ARN)."""
    if not wanted or current == wanted:
        return True
    if not current:
        return False
    return current.endswith(":" + wanted) or current.endswith("/" + wanted.split("/")[-1])


def _rewrite_reasons(have, want):
    reasons = []
    if want["value"] != have["value"]:
        reasons.append("value")
    if want["type"] != have["type"]:
        reasons.append("type")
    if want.get("description") is not None and want["description"] != have["description"]:
        reasons.append("description")
    if want["type"] == "SecureString" and not key_matches(have["key_id"], want.get("key_id")):
        reasons.append("key_id")
    if want.get("tier") and want["tier"] != have["tier"]:
        reasons.append("tier")
    return reasons


def plan_present(current, parameters, tags=None, purge_tags=True, overwrite="changed"):
    """Actions that make the parameters (``current``: name -> state, missing ones absent) what is wanted."""
    actions = []
    for want in parameters:
        name = want["name"]
        have = current.get(name)
        if have is None:
            actions.append(("create", dict(want, tags=dict(tags or {}))))
            continue
        if overwrite == "changed":
            reasons = _rewrite_reasons(have, want)
            if reasons:
                actions.append(("put", dict(want, reasons=reasons)))
        if tags is not None:
            to_set, to_unset = compare_aws_tags(have["tags"] or {}, tags, purge_tags)
            if to_set:
                actions.append(("tag", (name, to_set)))
            if to_unset:
                actions.append(("untag", (name, sorted(to_unset))))
    return actions


def plan_absent(current, names):
    """Delete the parameters of ``names`` that exist, in batches of what DeleteParameters takes."""
    existing = [n for n in names if n in current]
    return [("delete", existing[i : i + BATCH]) for i in range(0, len(existing), BATCH)]


def apply_plan(current, actions):
    """The parameters after ``actions``: name -> state (versions predicted)."""
    after = {name: dict(state) for name, state in current.items()}
    for action, arg in actions:
        if action == "create":
            after[arg["name"]] = dict(
                name=arg["name"],
                type=arg["type"],
                value=arg["value"],
                version=1,
                description=arg.get("description") or "",
                key_id=arg.get("key_id") or ("alias/aws/ssm" if arg["type"] == "SecureString" else None),
                tier=arg.get("tier") or "Standard",
                tags=dict(arg["tags"]),
            )
        elif action == "put":
            state = after[arg["name"]]
            state.update(type=arg["type"], value=arg["value"], version=(state["version"] or 0) + 1)
            for key in ("description", "key_id", "tier"):
                if arg.get(key) is not None:
                    state[key] = arg[key]
        elif action == "tag":
            state = after[arg[0]]
            state["tags"] = dict(state["tags"] or {}, **arg[1])
        elif action == "untag":
            state = after[arg[0]]
            state["tags"] = {k: v for k, v in (state["tags"] or {}).items() if k not in arg[1]}
        elif action == "delete":
            for name in arg:
                after.pop(name, None)
    return after


def label(action, arg):
    """A short, readable name of an action (the module's ``actions`` return); never a value."""
    if action == "create":
        return f"create {arg['name']}"
    if action == "put":
        return f"put {arg['name']} ({', '.join(arg['reasons'])})"
    if action in ("tag", "untag"):
        keys = sorted(arg[1]) if action == "tag" else arg[1]
        return f"{action} {arg[0]} {','.join(keys)}"
    return "delete " + ",".join(arg)
