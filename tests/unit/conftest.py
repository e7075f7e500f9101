"""Fixtures shared by the unit tests: no retry backoff, and a stand-in for the module object."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """AWSRetry's backoff returns at once. Only amazon.aws's retry loop is affected (it sleeps through
    its own module's `time`); the process-wide time.sleep is left alone."""
    monkeypatch.setattr(cloud, "time", SimpleNamespace(sleep=lambda _seconds: None))


class ModuleFailedError(Exception):
    """The module called fail_json (or fail_json_aws*); `kwargs` holds what it was called with."""

    def __init__(self, kwargs):
        super().__init__(kwargs.get("msg"))
        self.kwargs = kwargs


class FakeModule:
    """What module code reads from AnsibleAWSModule: params, check mode, diff, clients; failing raises
    ModuleFailedError (FakeModule.Failed) instead of exiting.

    `clients` maps a service name to a (stubbed) boto3 client; client() wraps it the way AnsibleAWSModule
    does, so `aws_retry=True` calls retry.
    """

    Failed = ModuleFailedError

    def __init__(self, params=None, check_mode=False, diff=False, clients=None):
        self.params = dict(params or {})
        self.check_mode = check_mode
        self._diff = diff
        self.clients = dict(clients or {})

    def client(self, service, retry_decorator=None):
        return RetryingBotoClientWrapper(self.clients[service], retry_decorator or AWSRetry.jittered_backoff())

    def fail_json(self, **kwargs):
        raise ModuleFailedError(kwargs)

    def fail_json_aws(self, exception, msg=None, **kwargs):
        raise ModuleFailedError(dict(kwargs, msg=f"{msg}: {exception}", exception=exception))

    def fail_json_aws_error(self, exception):
        raise ModuleFailedError({"msg": str(exception), "exception": exception})


@pytest.fixture
def fake_module():
    """The FakeModule class: `fake_module(params, check_mode=True)`; failures raise `fake_module.Failed`."""
    return FakeModule
