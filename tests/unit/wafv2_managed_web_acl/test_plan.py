"""wafv2_managed_web_acl: rules built per mode, and comparison of only the managed fields."""

import copy

import pytest
from ansible_collections.illustra.webstack.plugins.module_utils import _wafv2 as waf

GROUPS = waf.DEFAULT_MANAGED_RULE_GROUPS


@pytest.mark.parametrize(("mode", "override", "action"), [("block", "None", "Block"), ("count", "Count", "Count")])
def test_rules_per_mode(mode, override, action):
    rules = waf.build_rules("m", mode, GROUPS, 2000)
    assert [r["Priority"] for r in rules] == [0, 1, 2, 3, 4]
    assert all(list(r["OverrideAction"]) == [override] for r in rules[:4])
    assert rules[4]["Action"] == {action: {}}
    assert rules[4]["Statement"]["RateBasedStatement"] == {"Limit": 2000, "AggregateKeyType": "IP"}


def test_no_rate_rule_when_zero():
    assert len(waf.build_rules("m", "block", GROUPS, 0)) == 4


def test_aws_defaults_do_not_count_as_a_difference():
    desired = waf.build_acl("n", "d", metric_prefix="m", mode="block", managed_rule_groups=GROUPS, rate_limit=2000)
    current = copy.deepcopy(desired)
    current["Rules"][4]["Statement"]["RateBasedStatement"]["EvaluationWindowSec"] = 300
    current["Rules"][0]["Action"] = None
    current["Rules"].reverse()
    assert not waf.acl_differs(desired, current)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda a: a["Rules"][4]["Statement"]["RateBasedStatement"].update(Limit=100),
        lambda a: a["Rules"][0].update(OverrideAction={"Count": {}}),
        lambda a: a["Rules"].pop(),
        lambda a: a.update(DefaultAction={"Block": {}}),
        lambda a: a.update(Description="other"),
    ],
)
def test_managed_changes_are_detected(mutate):
    desired = waf.build_acl("n", "d", metric_prefix="m", mode="block", managed_rule_groups=GROUPS, rate_limit=2000)
    current = copy.deepcopy(desired)
    mutate(current)
    assert waf.acl_differs(desired, current)


def test_summary_lists_rule_actions():
    acl = dict(
        waf.build_acl("n", "d", metric_prefix="m", mode="count", managed_rule_groups=GROUPS, rate_limit=2000),
        ARN="arn",
        Id="i",
    )
    summary = waf.summary(acl, {"A": "b"})
    assert summary["arn"] == "arn" and summary["default_action"] == ["Allow"]
    assert summary["rules"][4] == {"name": "rate-limit-per-ip", "priority": 4, "action": ["Count"]}


def test_behind_cloudfront_the_rate_limit_counts_the_viewer_not_the_edge():
    """Failure 11: the regional ACL behind CloudFront must not count CloudFront's edge addresses."""
    rules = waf.build_rules("m", "block", GROUPS, 2000, forwarded_ip_header="X-Forwarded-For")
    assert [(r["Name"], r["Priority"]) for r in rules[4:]] == [
        ("rate-limit-per-forwarded-ip", 4),
        ("rate-limit-per-ip", 5),
    ]
    forwarded, direct = rules[4], rules[5]
    assert forwarded["Statement"] == {
        "RateBasedStatement": {
            "Limit": 2000,
            "AggregateKeyType": "FORWARDED_IP",
            "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"},
        }
    }
    # Only requests that carry no forwarded address are counted on the connection's (a direct client's).
    assert direct["Statement"] == {
        "RateBasedStatement": {
            "Limit": 2000,
            "AggregateKeyType": "IP",
            "ScopeDownStatement": {
                "NotStatement": {
                    "Statement": {
                        "SizeConstraintStatement": {
                            "FieldToMatch": {"SingleHeader": {"Name": "x-forwarded-for"}},
                            "ComparisonOperator": "GT",
                            "Size": 0,
                            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                        }
                    }
                }
            },
        }
    }
    assert forwarded["Action"] == direct["Action"] == {"Block": {}}
    assert forwarded["VisibilityConfig"]["MetricName"] != direct["VisibilityConfig"]["MetricName"]


def test_switching_to_the_forwarded_address_is_a_difference():
    plain = waf.build_acl("n", "d", metric_prefix="m", mode="block", managed_rule_groups=GROUPS, rate_limit=2000)
    forwarded = waf.build_acl(
        "n",
        "d",
        metric_prefix="m",
        mode="block",
        managed_rule_groups=GROUPS,
        rate_limit=2000,
        forwarded_ip_header="X-Forwarded-For",
    )
    assert waf.acl_differs(forwarded, plain)
    assert not waf.acl_differs(forwarded, copy.deepcopy(forwarded))


def test_log_group_arn_is_in_the_acls_account_and_region():
    acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/illustra-prod-cloudfront/abc"
    assert waf.log_group_arn(acl, "aws-waf-logs-illustra-prod-cloudfront") == (
        "arn:aws:logs:us-east-1:123456789012:log-group:aws-waf-logs-illustra-prod-cloudfront"
    )
