# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure planning for an IAM role with its policies and its instance profile (no boto3 here).

The state of a role, as describe() builds it from IAM's answers and the module returns it::

    name, arn, role_id, path, description, max_session_duration, assume_role_policy_document (a dict),
    managed_policies (sorted ARNs, or None when not read), inline_policies ({name: document} of those read),
    instance_profile ({name, arn, roles, tags} or None), tags

``{}`` is a role that does not exist. What the caller wants (a ``Want``) leaves a setting it does not manage as
``None``. The plans are lists of ``(action, argument)`` tuples, applied in order.
"""

import json
import re
from dataclasses import dataclass
from dataclasses import field

from ansible_collections.amazon.aws.plugins.module_utils.iam import validate_iam_identifiers
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

# IAM's limits (IAM User Guide, "IAM and AWS STS quotas"; CreateRole's MaxSessionDuration).
MIN_SESSION, MAX_SESSION = 3600, 43200
MANAGED_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/.+$")
INLINE_POLICY_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")


class PlanError(Exception):
    """What is asked cannot be done (the message names the option and the fix)."""


@dataclass
class Want:
    name: str
    path: str = "/"
    description: str = None
    assume_role_policy_document: dict = None
    max_session_duration: int = None
    managed_policies: list = None
    inline_policies: dict = None
    purge_inline_policies: bool = False
    instance_profile: bool = False
    tags: dict = None
    purge_tags: bool = True
    errors: list = field(default_factory=list)


def load_document(option, value):
    """A policy document given as a dict or a JSON string, as a dict; raises ValueError naming the option."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as e:
            raise ValueError(f"{option} is not valid JSON: {e}") from None
    if not isinstance(value, dict) or "Statement" not in value:
        raise ValueError(f"{option} must be a policy document (a JSON object with a Statement)")
    return value


def want_from_params(params):
    """The Want of the module's parameters; its ``errors`` list what is wrong with them, before any call."""
    errors = []
    problem = validate_iam_identifiers("role", name=params["name"], path=params["path"])
    if problem:
        errors.append(f"name/path: {problem}")
    trust = None
    if params.get("assume_role_policy_document") is not None:
        try:
            trust = load_document("assume_role_policy_document", params["assume_role_policy_document"])
        except ValueError as e:
            errors.append(str(e))
    inline = None
    if params.get("inline_policies") is not None:
        inline = {}
        for name, document in params["inline_policies"].items():
            if not INLINE_POLICY_NAME.match(name):
                errors.append(f"inline_policies: {name!r} is not a valid policy name (1-128 of A-Za-z0-9+=,.@_-)")
                continue
            try:
                inline[name] = None if document is None else load_document(f"inline_policies.{name}", document)
            except ValueError as e:
                errors.append(str(e))
    managed = params.get("managed_policies")
    if managed is not None:
        bad = [arn for arn in managed if not MANAGED_POLICY_ARN.match(arn)]
        if bad:
            errors.append(f"managed_policies takes policy ARNs (arn:aws:iam::aws:policy/...): {', '.join(bad)}")
        managed = sorted(set(managed))
    duration = params.get("max_session_duration")
    if duration is not None and not MIN_SESSION <= duration <= MAX_SESSION:
        errors.append(f"max_session_duration must be {MIN_SESSION} to {MAX_SESSION} seconds (got {duration})")
    return Want(
        name=params["name"],
        path=params["path"],
        description=params.get("description"),
        assume_role_policy_document=trust,
        max_session_duration=duration,
        managed_policies=managed,
        inline_policies=inline,
        purge_inline_policies=params.get("purge_inline_policies", False),
        instance_profile=params.get("instance_profile", False),
        tags=params.get("tags"),
        purge_tags=params.get("purge_tags", True),
        errors=errors,
    )


def describe_profile(profile):
    """An instance profile (GetInstanceProfile's InstanceProfile) as the module returns it, or None."""
    if not profile:
        return None
    return dict(
        name=profile["InstanceProfileName"],
        arn=profile.get("Arn"),
        roles=sorted(r["RoleName"] for r in profile.get("Roles", [])),
        tags=boto3_tag_list_to_ansible_dict(profile.get("Tags", [])),
    )


def describe(role, attached=None, inline=None, profile=None):
    """The role's state from GetRole's Role, the attached policies, {name: document} and the profile; {} if none.

    ``attached`` is None when the attached policies were not read (the caller does not manage them).
    """
    if not role:
        return {}
    trust = role.get("AssumeRolePolicyDocument") or {}
    if isinstance(trust, str):  # botocore decodes it; a raw response keeps it URL-encoded JSON
        trust = json.loads(trust)
    return dict(
        name=role["RoleName"],
        arn=role.get("Arn"),
        role_id=role.get("RoleId"),
        path=role.get("Path", "/"),
        description=role.get("Description", ""),
        max_session_duration=role.get("MaxSessionDuration", MIN_SESSION),
        assume_role_policy_document=trust,
        managed_policies=None if attached is None else sorted(p["PolicyArn"] for p in attached),
        inline_policies=dict(inline or {}),
        instance_profile=describe_profile(profile),
        tags=boto3_tag_list_to_ansible_dict(role.get("Tags", [])),
    )


def _profile_actions(want, profile, role_tags):
    """Make the profile of the role's name exist, hold the role, and carry the role's tags."""
    if profile is None:
        return [
            ("create_profile", dict(name=want.name, path=want.path, tags=dict(role_tags or {}))),
            ("add_role_to_profile", want.name),
        ]
    actions = []
    others = [r for r in profile["roles"] if r != want.name]
    if others:
        raise PlanError(
            f"instance_profile: the instance profile {want.name} holds the role {others[0]}; an instance profile "
            "holds one role. Remove that role from it, or set instance_profile to false."
        )
    if want.name not in profile["roles"]:
        actions.append(("add_role_to_profile", want.name))
    if role_tags is not None:
        to_set, to_unset = compare_aws_tags(profile["tags"], role_tags, want.purge_tags)
        if to_set:
            actions.append(("tag_profile", to_set))
        if to_unset:
            actions.append(("untag_profile", sorted(to_unset)))
    return actions


def plan_present(current, want):
    """Actions that make ``current`` (describe(), {} when missing) what ``want`` asks for.

    A role that does not exist is created only with a trust policy; without one, only removals were asked
    (a policy set to null), and there is nothing to remove.
    """
    if not current:
        wants_something = (
            want.managed_policies
            or any(doc is not None for doc in (want.inline_policies or {}).values())
            or want.instance_profile
        )
        if want.assume_role_policy_document is None:
            if wants_something:
                raise PlanError(
                    f"The role {want.name} does not exist: give assume_role_policy_document to create it "
                    "(or create it first, with the task that owns it)."
                )
            return []
        create = dict(
            name=want.name,
            path=want.path,
            assume_role_policy_document=want.assume_role_policy_document,
            description=want.description or "",
            max_session_duration=want.max_session_duration or MIN_SESSION,
            tags=dict(want.tags or {}),
        )
        actions = [("create_role", create)]
        actions += [("attach_policy", arn) for arn in want.managed_policies or []]
        actions += [("put_policy", (n, d)) for n, d in sorted((want.inline_policies or {}).items()) if d is not None]
        if want.instance_profile:
            actions += _profile_actions(want, None, want.tags)
        return actions

    actions = []
    trust = want.assume_role_policy_document
    if trust is not None and compare_policies(current["assume_role_policy_document"], trust):
        actions.append(("update_trust", trust))
    update = {}
    if want.description is not None and want.description != current["description"]:
        update["description"] = want.description
    if want.max_session_duration is not None and want.max_session_duration != current["max_session_duration"]:
        update["max_session_duration"] = want.max_session_duration
    if update:
        actions.append(("update_role", update))
    if want.tags is not None:
        to_set, to_unset = compare_aws_tags(current["tags"], want.tags, want.purge_tags)
        if to_set:
            actions.append(("tag_role", to_set))
        if to_unset:
            actions.append(("untag_role", sorted(to_unset)))
    if want.managed_policies is not None:
        have = set(current["managed_policies"] or [])
        actions += [("attach_policy", arn) for arn in sorted(set(want.managed_policies) - have)]
        actions += [("detach_policy", arn) for arn in sorted(have - set(want.managed_policies))]
    if want.inline_policies is not None:
        have = current["inline_policies"]
        for name, document in sorted(want.inline_policies.items()):
            if document is None:
                if name in have:
                    actions.append(("delete_policy", name))
            elif name not in have or compare_policies(have[name], document):
                actions.append(("put_policy", (name, document)))
        if want.purge_inline_policies:
            actions += [("delete_policy", name) for name in sorted(set(have) - set(want.inline_policies))]
    if want.instance_profile:
        role_tags = want.tags if want.tags is not None else current["tags"]
        actions += _profile_actions(want, current["instance_profile"], role_tags)
    return actions


def plan_absent(current, profiles_of_role=(), profile_of_name=None):
    """Actions that remove the role: out of every instance profile, the profile of its name, its policies, itself.

    ``profiles_of_role`` are the names of the profiles that hold the role (ListInstanceProfilesForRole);
    ``profile_of_name`` the profile named like the role (describe_profile), which may outlive a role removed by hand.
    """
    actions = []
    for profile in sorted(profiles_of_role):
        actions.append(("remove_role_from_profile", profile))
    if profile_of_name is not None:
        others = [r for r in profile_of_name["roles"] if r != (current or {}).get("name", profile_of_name["name"])]
        if not others:
            actions.append(("delete_profile", profile_of_name["name"]))
    if current:
        actions += [("detach_policy", arn) for arn in current["managed_policies"] or []]
        actions += [("delete_policy", name) for name in sorted(current["inline_policies"])]
        actions.append(("delete_role", current["name"]))
    return actions


def apply_plan(current, actions):
    """The role after ``actions`` (what check mode and --diff report). ARNs of what is created stay unknown (None)."""
    after = {} if not current else dict(current, inline_policies=dict(current["inline_policies"]))
    for action, arg in actions:
        if action == "create_role":
            after = dict(
                name=arg["name"],
                arn=None,
                role_id=None,
                path=arg["path"],
                description=arg["description"],
                max_session_duration=arg["max_session_duration"],
                assume_role_policy_document=arg["assume_role_policy_document"],
                managed_policies=[],
                inline_policies={},
                instance_profile=None,
                tags=dict(arg["tags"]),
            )
        elif action == "update_trust":
            after["assume_role_policy_document"] = arg
        elif action == "update_role":
            after.update(arg)
        elif action == "tag_role":
            after["tags"] = dict(after["tags"], **arg)
        elif action == "untag_role":
            after["tags"] = {k: v for k, v in after["tags"].items() if k not in arg}
        elif action == "attach_policy":
            after["managed_policies"] = sorted(set(after["managed_policies"] or []) | {arg})
        elif action == "detach_policy" and after:
            after["managed_policies"] = sorted(set(after["managed_policies"] or []) - {arg})
        elif action == "put_policy":
            after["inline_policies"][arg[0]] = arg[1]
        elif action == "delete_policy" and after:
            after["inline_policies"].pop(arg, None)
        elif action == "create_profile":
            after["instance_profile"] = dict(name=arg["name"], arn=None, roles=[], tags=dict(arg["tags"]))
        elif action == "add_role_to_profile":
            profile = after["instance_profile"]
            after["instance_profile"] = dict(profile, roles=sorted(set(profile["roles"]) | {arg}))
        elif action == "tag_profile":
            profile = after["instance_profile"]
            after["instance_profile"] = dict(profile, tags=dict(profile["tags"], **arg))
        elif action == "untag_profile":
            profile = after["instance_profile"]
            after["instance_profile"] = dict(profile, tags={k: v for k, v in profile["tags"].items() if k not in arg})
        elif action == "delete_role":
            after = {}
    return after


def label(action, arg):
    """A short, readable name of an action (the module's ``actions`` return)."""
    if action in ("tag_role", "tag_profile"):
        return f"{action} " + ",".join(sorted(arg))
    if action in ("untag_role", "untag_profile"):
        return f"{action} " + ",".join(arg)
    if action == "put_policy":
        return f"put_policy {arg[0]}"
    if action == "update_role":
        return "update_role " + ",".join(sorted(arg))
    if action in ("create_role", "update_trust"):
        return action
    if action == "create_profile":
        return f"create_profile {arg['name']}"
    return f"{action} {arg}"
