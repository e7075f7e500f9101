"""is_subset: the one comparison of managed fields that cloudfront_web_distribution and wafv2_managed_web_acl use."""

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _cloudfront as cf
from ansible_collections.illustra.webstack.plugins.module_utils import _wafv2 as waf
from ansible_collections.illustra.webstack.plugins.module_utils._compare import is_subset


@pytest.mark.parametrize(
    ("desired", "actual", "expected"),
    [
        ({"Limit": 100}, {"Limit": 100, "EvaluationWindowSec": 300}, True),  # a field AWS adds is no difference
        ({"Limit": 100}, {"Limit": 200}, False),
        ({"Rules": [{"Name": "a"}, {"Name": "b"}]}, {"Rules": [{"Name": "a", "Priority": 0}, {"Name": "b"}]}, True),
        ({"Rules": [{"Name": "a"}, {"Name": "b"}]}, {"Rules": [{"Name": "b"}, {"Name": "a"}]}, False),  # in order
        ({"Rules": [{"Name": "a"}]}, {"Rules": [{"Name": "a"}, {"Name": "extra"}]}, False),  # same length
        ({"Rules": []}, {"Rules": None}, False),
        ({"Allow": {}}, {"Allow": {}, "Block": {}}, True),
        ({"Enabled": True}, {}, False),
        ("x", "x", True),
    ],
)
def test_is_subset(desired, actual, expected):
    assert is_subset(desired, actual) is expected


def test_both_modules_compare_with_it():
    """CloudFront's config comparison and WAF's ACL comparison ignore the same AWS-added fields."""
    assert cf.config_differences({"Comment": "n"}, {"Comment": "n", "CallerReference": "r"}) == []
    desired = {"DefaultAction": {"Allow": {}}, "Rules": [], "VisibilityConfig": {"MetricName": "m"}, "Description": "d"}
    current = dict(desired, VisibilityConfig={"MetricName": "m", "SampledRequestsEnabled": True}, LockToken="t")
    assert waf.acl_differs(desired, current) is False
