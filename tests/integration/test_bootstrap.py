"""playbooks/bootstrap.yml end to end on the emulator, for staging.

Refused without the typed confirmation; --check on an empty account creates nothing; a real run
creates the OIDC provider, the deploy role (trust + inline least-privilege policy), the artifact
bucket, the alert topic and the budget; a second run and --check report changed == 0. Bootstrap after a
deploy that turned on the artifact bucket's access logging (the logs role's) keeps it and changes nothing.
"""

import json

import boto3
import webstack_test as wt

ENV = "staging"
INVENTORY = f"inventories/{ENV}"
ROLE = f"illustra-{ENV}-deploy"
OIDC_KEY = "token.actions.githubusercontent.com"
AWX = "arn:aws:iam::123456789012:role/awx-runner"
TAGS = {"Project": "illustra", "Environment": ENV, "ManagedBy": "illustra.webstack"}


def bootstrap(confirm=True, extra=None, **kwargs):
    extra = {"bootstrap_awx_principal_arn": AWX, **(extra or {})}
    if confirm:
        extra["confirm_bootstrap"] = f"BOOTSTRAP-{ENV.upper()}"
    return wt.run_playbook("playbooks/bootstrap.yml", INVENTORY, extra_vars=extra, **kwargs)


def account_state():
    """What bootstrap creates, as the emulator holds it (empty lists when nothing exists)."""
    iam = boto3.client("iam")
    return dict(
        oidc=[p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]],
        roles=[r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("illustra-")],
        buckets=[b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]],
        topics=[t["TopicArn"] for t in boto3.client("sns").list_topics()["Topics"]],
        budgets=[b["BudgetName"] for b in boto3.client("budgets").describe_budgets(AccountId=account())["Budgets"]],
    )


def account():
    return boto3.client("sts").get_caller_identity()["Account"]


def statements(document):
    doc = json.loads(document) if isinstance(document, str) else document
    return {s["Sid"]: s for s in doc["Statement"]}


def assert_bootstrapped():
    iam = boto3.client("iam")
    acct = account()
    oidc_arn = f"arn:aws:iam::{acct}:oidc-provider/{OIDC_KEY}"
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=oidc_arn)
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]
    assert provider["ThumbprintList"] == ["6938fd4d98bab03faadb97b34396831e3780aea1"]
    # One provider per issuer in the account, shared by the environments in it: no Environment tag.
    assert {t["Key"]: t["Value"] for t in provider["Tags"]} == {"Project": "illustra", "ManagedBy": "illustra.webstack"}

    role = iam.get_role(RoleName=ROLE)["Role"]
    assert {t["Key"]: t["Value"] for t in role["Tags"]} == TAGS
    # A prod run's waits reach 6,300 s and a rollback adds a refresh: the role allows 4 hours (failure 12).
    assert role["MaxSessionDuration"] == 14400
    trust = statements(role["AssumeRolePolicyDocument"])
    assert set(trust) == {"CiThroughOidc", "Awx"}
    assert trust["CiThroughOidc"]["Principal"] == {"Federated": oidc_arn}
    assert trust["CiThroughOidc"]["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["CiThroughOidc"]["Condition"] == {
        "StringEquals": {
            f"{OIDC_KEY}:aud": "sts.amazonaws.com",
            f"{OIDC_KEY}:sub": f"repo:illustra/webstack:environment:{ENV}",
        }
    }
    assert trust["Awx"]["Principal"] == {"AWS": AWX} and trust["Awx"]["Action"] == "sts:AssumeRole"
    assert iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"] == []
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == [f"deploy-{ENV}"]

    policy = iam.get_role_policy(RoleName=ROLE, PolicyName=f"deploy-{ENV}")["PolicyDocument"]
    assert len(json.dumps(policy, separators=(",", ":"))) < 10240, "IAM's inline policy size limit"
    sids = statements(policy)
    for sid, s in sids.items():
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if s["Effect"] == "Allow":
            assert "*" not in actions and not any(a.endswith(":*") for a in actions if not a.startswith("s3:")), sid
    # Tag-scoped: creating needs this environment's tag on the request, changing needs it on the resource.
    assert sids["CreateOnlyWithThisEnvironmentsTag"]["Condition"] == {
        "StringEquals": {"aws:RequestTag/Environment": ENV}
    }
    assert sids["ChangeOnlyThisEnvironmentsTaggedResources"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/Environment": ENV}
    }
    # Name-scoped: only this environment's buckets, parameters, roles.
    assert sids["BucketsOfThisEnvironment"]["Resource"] == [
        f"arn:aws:s3:::illustra-{ENV}-*",
        f"arn:aws:s3:::illustra-{ENV}-*/*",
    ]
    assert sids["ParametersOfThisEnvironment"]["Resource"] == f"arn:aws:ssm:us-east-1:{acct}:parameter/illustra/{ENV}/*"
    assert sids["PassRolesOnlyToTheirServices"]["Resource"] == f"arn:aws:iam::{acct}:role/illustra-{ENV}-*"
    assert sids["NeverTheDeployRoleItself"] == {
        "Sid": "NeverTheDeployRoleItself",
        "Effect": "Deny",
        "Action": "iam:*",
        "Resource": f"arn:aws:iam::{acct}:role/{ROLE}",
    }
    read_only = sids["ReadOnlyDiscovery"]["Action"]
    verbs = ("Describe", "List", "Get", "CheckCapacity", "ViewBudget")
    assert all(a.split(":", 1)[1].startswith(verbs) for a in read_only), read_only
    assert not any(a.startswith("ssm:GetParameter") for a in read_only), "parameters are secrets: name-scoped only"

    bucket = f"illustra-{ENV}-artifacts-{acct}"
    s3 = boto3.client("s3")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(pab.values())

    topic = f"arn:aws:sns:us-east-1:{acct}:illustra-{ENV}-alerts"
    assert topic in account_state()["topics"]
    budget = boto3.client("budgets").describe_budget(AccountId=acct, BudgetName=f"illustra-{ENV}-monthly")["Budget"]
    assert float(budget["BudgetLimit"]["Amount"]) == 150.0 and budget["TimeUnit"] == "MONTHLY"
    notes = boto3.client("budgets").describe_notifications_for_budget(
        AccountId=acct, BudgetName=f"illustra-{ENV}-monthly"
    )["Notifications"]
    assert sorted((n["NotificationType"], n["Threshold"]) for n in notes) == [
        ("ACTUAL", 80.0),
        ("ACTUAL", 100.0),
        ("ACTUAL", 120.0),
        ("FORECASTED", 100.0),
    ]
    subscribers = boto3.client("budgets").describe_subscribers_for_notification(
        AccountId=acct, BudgetName=f"illustra-{ENV}-monthly", Notification=notes[0]
    )["Subscribers"]
    assert {(s["SubscriptionType"], s["Address"]) for s in subscribers} == {
        ("SNS", topic),
        ("EMAIL", "ops@example.com"),
    }


def test_bootstrap_refuses_checks_converges_idempotently(clean_emulator):
    empty = account_state()

    refused = bootstrap(confirm=False)
    assert refused.rc != 0
    assert any("confirm_bootstrap=BOOTSTRAP-STAGING" in m for m in refused.failure_messages()), refused.summary()
    assert account_state() == empty, "a refused bootstrap must not create anything"

    empty_check = bootstrap(confirm=False, check=True, diff=True)
    assert empty_check.rc == 0, empty_check.summary()
    assert empty_check.changed > 0, "--check on an empty account must report what it would create"
    assert account_state() == empty, "--check on an empty account created something"

    first = bootstrap()
    assert first.rc == 0, first.summary()
    assert first.changed > 0
    assert_bootstrapped()

    second = bootstrap()
    assert second.rc == 0, second.summary()
    assert second.changed == 0, second.summary()

    check = bootstrap(check=True, diff=True)
    assert check.rc == 0, check.summary()
    assert check.changed == 0, check.summary()


def test_bootstrap_after_a_deploy_keeps_the_artifact_buckets_access_logging(clean_emulator):
    first = bootstrap()
    assert first.rc == 0, first.summary()
    acct = account()
    artifacts, logs = f"illustra-{ENV}-artifacts-{acct}", f"illustra-{ENV}-logs-{acct}"
    # What a deploy with webstack_access_logs does (the logs role, then the artifacts role): a log bucket
    # that grants the logging service, and the artifact bucket's server access logs into it.
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=logs)
    grant = {
        "Sid": "S3ServerAccessLogs",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{logs}/s3/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": acct}},
    }
    s3.put_bucket_policy(Bucket=logs, Policy=json.dumps({"Version": "2012-10-17", "Statement": [grant]}))
    logging = {"TargetBucket": logs, "TargetPrefix": f"s3/{artifacts}/"}
    s3.put_bucket_logging(Bucket=artifacts, BucketLoggingStatus={"LoggingEnabled": logging})

    again = bootstrap(extra={"webstack_access_logs": True})
    assert again.rc == 0, again.summary()
    assert again.changed == 0, again.summary()
    assert s3.get_bucket_logging(Bucket=artifacts).get("LoggingEnabled") == logging
