# Copyright: (c) 2026, illustra.webstack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the module in the task's worker when the target is the controller: plugins/plugin_utils/run_in_controller.py."""

from __future__ import annotations

from ansible_collections.illustra.webstack.plugins.plugin_utils.run_in_controller import ActionModule  # noqa: F401  # pylint: disable=unused-import
