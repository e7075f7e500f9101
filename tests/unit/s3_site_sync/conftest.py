"""A stubbed S3 client for the s3_site_sync unit tests."""

import boto3
import pytest
from botocore.stub import Stubber


@pytest.fixture
def s3():
    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        yield client, stub
