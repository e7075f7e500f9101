# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Comparing the part of a configuration we manage with what AWS returns."""

from __future__ import annotations


def is_subset(desired, actual):
    """True when every key/value in `desired` is in `actual`; lists have the same length and compare item
    by item, in order.

    AWS adds fields and defaults that we do not manage (for example a rate rule's EvaluationWindowSec, a
    distribution's CallerReference); they must not count as a difference.
    """
    if isinstance(desired, dict):
        return isinstance(actual, dict) and all(is_subset(v, actual.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        return (
            isinstance(actual, list)
            and len(desired) == len(actual)
            and all(is_subset(d, a) for d, a in zip(desired, actual))  # lengths checked above (no strict=: 3.8 targets)
        )
    return desired == actual
