"""The app's JWT signing secret: generated once as an SSM SecureString, in the app's environment, never in output."""

from __future__ import annotations

from dataplane_test import backend_hosts

PARAMETER = "/illustra/prod/backend/jwt-secret"


def test_the_jwt_secret_is_generated_once_and_reaches_the_app_like_mongo_url(plane, aws):
    ssm = aws("ssm")
    parameter = ssm.get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString"
    secret = parameter["Value"]
    assert len(secret) == 64 and secret.isalnum()
    # Converged again and again (up, releases): never generated a second time.
    assert parameter["Version"] == 1
    mongo_url = ssm.get_parameter(Name="/illustra/prod/mongodb/uri", WithDecryption=True)["Parameter"]["Value"]
    for host in backend_hosts(plane):
        pid = plane.exec(host, "systemctl", "show", "-p", "MainPID", "--value", "illustra-backend").stdout.strip()
        environ = dict(
            item.split("=", 1)
            for item in plane.exec(host, "cat", f"/proc/{pid}/environ").stdout.split("\0")
            if "=" in item
        )
        assert environ["JWT_SECRET"] == secret
        assert environ["MONGO_URL"] == mongo_url
        # The environment file holding them is the service group's only.
        mode = plane.exec(host, "stat", "-c", "%a %U %G", "/etc/illustra-backend/app.env").stdout.split()
        assert mode == ["640", "root", "illustra-backend"]


def test_the_secrets_never_appear_in_any_output(plane, aws):
    ssm = aws("ssm")
    secrets = [
        ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        for name in (PARAMETER, "/illustra/prod/mongodb/app_password", "/illustra/prod/mongodb/admin_password")
    ]
    logs = sorted(plane.state.dir.glob("*.log"))
    assert any(log.name == "converge.log" for log in logs)
    for log in logs:
        text = log.read_text(errors="replace")
        for secret in secrets:
            assert secret not in text, f"a secret appears in {log.name}"
    # Nor in the boot logs of the hosts, which the instances' user data writes.
    for host in backend_hosts(plane):
        boot = plane.exec(host, "cat", "/var/log/webstack-bootstrap.log", "/var/log/cloud-init-output.log").stdout
        for secret in secrets:
            assert secret not in boot
