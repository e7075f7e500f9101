"""Fixtures shared by the s3_site_sync unit tests: no retry sleeps, and a stubbed S3 client."""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from botocore.stub import Stubber


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(cloud.time, "sleep", lambda _seconds: None)


@pytest.fixture
def s3():
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
