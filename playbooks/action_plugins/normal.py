# Copyright: (c) 2026, illustra.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of every module without one of its own, in this directory's playbooks (ansible-core looks up
ansible.legacy.normal here first): amazon.aws's and community.aws's modules run in the task's worker on the
controller, anything else the stock way. plugins/plugin_utils/run_in_controller.py says when and how."""

from __future__ import annotations

from ansible_collections.illustra.webstack.plugins.plugin_utils.run_in_controller import ActionModule  # noqa: F401  # pylint: disable=unused-import
