"""A secret planted in the inventory never shows up: not in the output even at -vvv, not in reports."""

import boto3
import webstack_test as wt

SECRET = "PLANTED-s3cr3t-7f1c2a"
URI = f"mongodb+srv://illustra:{SECRET}@cluster0.example.mongodb.net/illustra"


def test_a_planted_secret_never_appears_in_output_or_reports(clean_emulator, tmp_path):
    run = wt.run_playbook(
        "playbooks/site.yml",
        "inventories/dev",
        extra_vars={
            "mongodb_atlas_uri": URI,
            "webstack_report": True,
            "webstack_report_dir": str(tmp_path),
            "validate_report_dir": str(tmp_path),
        },
        tags="network,data",
        verbosity=3,
    )
    assert run.rc == 0, run.summary()
    # The secret did reach AWS, encrypted: SSM holds it as a SecureString.
    stored = boto3.client("ssm").get_parameter(Name="/illustra/dev/mongodb/uri", WithDecryption=True)["Parameter"]
    assert stored["Type"] == "SecureString"
    assert stored["Value"] == URI
    assert SECRET not in run.stdout
    assert SECRET not in run.stderr
    reports = list(tmp_path.rglob("*"))
    assert reports, "the run should have written its outputs report"
    for path in reports:
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path
