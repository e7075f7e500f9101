# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The standard tags every resource of the collection carries."""

from __future__ import annotations

DOCUMENTATION = r"""
name: standard_tags
author: illustra.webstack developers
short_description: The standard tags of an environment's resources
version_added: 0.1.0
description:
  - Returns the tags every resource that C(illustra.webstack) creates carries, so that discovery,
    cost allocation and teardown work by tag.
  - V(Project), V(Environment) and V(ManagedBy=illustra.webstack) always win over extra tags of the same name.
positional: _input, environment, extra
options:
  _input:
    description: The project name (V(webstack_project)).
    type: str
    required: true
  environment:
    description: The environment name (V(webstack_env)).
    type: str
    required: true
  extra:
    description: Extra tags the user adds (V(webstack_extra_tags)).
    type: dict
    default: {}
"""

EXAMPLES = r"""
tags: "{{ webstack_project | illustra.webstack.standard_tags(webstack_env, webstack_extra_tags) }}"
"""

RETURN = r"""
_value:
  description: The tags, as a dict.
  type: dict
"""

MANAGED_BY = "illustra.webstack"


def standard_tags(project, environment, extra=None):
    tags = {str(k): str(v) for k, v in (extra or {}).items()}
    tags.update(Project=str(project), Environment=str(environment), ManagedBy=MANAGED_BY)
    return tags


class FilterModule:
    def filters(self):
        return {"standard_tags": standard_tags}
