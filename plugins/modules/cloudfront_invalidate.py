#!/usr/bin/python

# Copyright: illustra.webstack developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: cloudfront_invalidate
short_description: Invalidate only what changed in a CloudFront distribution, collapsed to few paths
version_added: 0.1.0
description:
  - Turns the S3 keys a deploy changed (for example RV(illustra.webstack.s3_site_sync#module:site_sync.changed_keys))
    into few invalidation paths - a directory with many changed entries becomes C(/dir/*), a changed
    C(index.html) also invalidates its directory URL - and creates one invalidation.
  - Does nothing, and reports no change, when there is nothing to invalidate, so a deploy that
    changed nothing never invalidates (unlike M(community.aws.cloudfront_invalidation), which always
    reports a change).
  - Finds the distribution by id, or by its tags.
author:
  - illustra.webstack developers (@illustra)
options:
  distribution_id:
    description: Id of the distribution. One of O(distribution_id) or O(distribution_tags) is required.
    type: str
  distribution_tags:
    description: Tags that identify the distribution (all must match; exactly one distribution may match).
    type: dict
  missing_ok:
    description: When no distribution carries O(distribution_tags), report no change instead of failing.
    type: bool
    default: false
  keys:
    description: Changed S3 keys (without a leading C(/)); collapsed into few paths.
    type: list
    elements: str
    default: []
  paths:
    description: Extra invalidation paths, used as given (each must start with C(/)).
    type: list
    elements: str
    default: []
  max_paths:
    description: The most paths one invalidation may carry after collapsing (at worst C(/*)).
    type: int
    default: 15
  dir_threshold:
    description: A directory with at least this many changed entries is invalidated as C(/dir/*).
    type: int
    default: 5
  caller_reference:
    description:
      - Reference of the invalidation. CloudFront does not create a second invalidation with the same
        reference and paths (it returns the first one, even when completed) and rejects the same reference
        with other paths, so a reference must be unique per change. Defaults to the current time plus a
        digest of the paths, which API retries within the task reuse.
    type: str
  wait:
    description: Wait until the invalidation is completed.
    type: bool
    default: false
  wait_timeout:
    description: How long to wait, in seconds.
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    description: Reports the paths it would invalidate.
  diff_mode:
    support: none
    description: An invalidation has no before and after; the result lists the paths.
"""

EXAMPLES = r"""
- name: Invalidate what the sync changed
  illustra.webstack.cloudfront_invalidate:
    distribution_tags:
      Name: illustra-prod-frontend
      Environment: prod
    keys: "{{ site_sync.site_sync.changed_keys }}"
    wait: true
"""

RETURN = r"""
invalidation:
  description: The invalidation (empty fields when nothing needed invalidating).
  returned: always
  type: dict
  contains:
    id:
      description: Id of the invalidation (null when none was created).
      type: str
      sample: I2J0I21PCUYOIK
    status:
      description: Status of the invalidation.
      type: str
      sample: Completed
    distribution_id:
      description: The distribution (null when not found and O(missing_ok=true)).
      type: str
      sample: E1ABCDEF123456
    paths:
      description: The collapsed paths.
      type: list
      elements: str
      sample: ["/", "/index.html", "/static/*"]
    caller_reference:
      description: The caller reference used.
      type: str
      sample: r20261122T031500Z-3f2a1b9c0d
"""

import datetime
import hashlib

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.illustra.webstack.plugins.module_utils import _cloudfront as cf
from ansible_collections.illustra.webstack.plugins.module_utils._site_sync import collapse_paths
from ansible_collections.illustra.webstack.plugins.module_utils._tags import get_tags


# --- API wrappers -----------------------------------------------------------------------------


@cf.CloudFrontErrorHandler.common_error_handler("create the invalidation")
@cf.RETRY
def create_invalidation(client, distribution_id, paths, caller_reference):
    return client.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": caller_reference},
    )["Invalidation"]


@cf.CloudFrontErrorHandler.common_error_handler("wait for the invalidation")
def wait_invalidation(client, distribution_id, invalidation_id, timeout):
    delay = 10
    client.get_waiter("invalidation_completed").wait(
        DistributionId=distribution_id,
        Id=invalidation_id,
        WaiterConfig={"Delay": delay, "MaxAttempts": max(1, timeout // delay)},
    )


def find_distribution(client, tags):
    """Ids of the distributions that carry every tag in `tags`."""
    found = []
    for dist in cf.list_distributions(client):
        actual = get_tags(client, dist["ARN"])
        if all(actual.get(k) == str(v) for k, v in tags.items()):
            found.append(dist["Id"])
    return found


def main():
    argument_spec = dict(
        distribution_id=dict(type="str"),
        distribution_tags=dict(type="dict"),
        missing_ok=dict(type="bool", default=False),
        keys=dict(type="list", elements="str", default=[], no_log=False),
        paths=dict(type="list", elements="str", default=[]),
        max_paths=dict(type="int", default=15),
        dir_threshold=dict(type="int", default=5),
        caller_reference=dict(type="str"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=900),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[["distribution_id", "distribution_tags"]],
        mutually_exclusive=[["distribution_id", "distribution_tags"]],
    )
    p = module.params
    bad = [path for path in p["paths"] if not path.startswith("/")]
    if bad:
        module.fail_json(msg="paths must start with '/': {}".format(", ".join(bad)))
    if p["max_paths"] < 1:
        module.fail_json(msg="max_paths must be at least 1")

    paths = sorted(set(collapse_paths(p["keys"], p["max_paths"], p["dir_threshold"]) + p["paths"]))
    if len(paths) > p["max_paths"]:
        paths = ["/*"]
    result = dict(id=None, status=None, distribution_id=p["distribution_id"], paths=paths, caller_reference=None)
    client = module.client("cloudfront", retry_decorator=None)
    try:
        if not p["distribution_id"]:
            found = find_distribution(client, p["distribution_tags"])
            if len(found) > 1:
                module.fail_json(
                    msg=f"{len(found)} distributions carry the tags {p['distribution_tags']}: {found}; "
                    "set distribution_id"
                )
            if not found:
                if p["missing_ok"]:
                    module.exit_json(changed=False, invalidation=result)
                module.fail_json(
                    msg="no CloudFront distribution carries the tags {}; set distribution_id".format(
                        p["distribution_tags"]
                    )
                )
            result["distribution_id"] = found[0]
        if not paths:
            module.exit_json(changed=False, invalidation=result)
        reference = p["caller_reference"] or "webstack-{}-{}".format(
            datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%fZ"),
            hashlib.sha256("\n".join(paths).encode("utf-8")).hexdigest()[:12],
        )
        result["caller_reference"] = reference
        if module.check_mode:
            module.exit_json(changed=True, invalidation=result)
        invalidation = create_invalidation(client, result["distribution_id"], paths, reference)
        result.update(id=invalidation["Id"], status=invalidation["Status"])
        if p["wait"] and invalidation["Status"] != "Completed":
            wait_invalidation(client, result["distribution_id"], invalidation["Id"], p["wait_timeout"])
            result["status"] = "Completed"
    except AnsibleAWSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=True, invalidation=result)


if __name__ == "__main__":
    main()
