"""role_vars: a role variable takes the task's value (inventory, extra vars), else the role's own default."""

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
from ansible_collections.illustra.webstack.plugins.plugin_utils import role_vars

INVENTORY = {"webstack_project": "illustra", "webstack_env": "staging", "webstack_website_mode": "cloudfront"}


def resolver(task_vars, roles_dir=role_vars.ROLES_DIR):
    loader = DataLoader()
    return role_vars.Resolver(loader, Templar(loader=loader, variables={}), task_vars, roles_dir)


@pytest.mark.parametrize(
    ("variable", "role"),
    [("asg_instance_type", "asg"), ("frontend_s3_bucket_name", "frontend_s3"), ("backup__vault_name", "backup"),
     ("webstack_region", None), ("nginx_backend_app_port", "nginx_backend"), ("backend_release_id", "backend_release")],
)  # fmt: skip
def test_a_variable_belongs_to_the_role_whose_name_prefixes_it(variable, role):
    assert role_vars.role_of(variable, role_vars.role_names()) == role


def test_defaults_resolve_through_other_defaults_and_the_inventory():
    values, errors = resolver(INVENTORY).resolve_many(
        ["alb_target_group_name", "waf_cloudfront_enabled", "asg_ssm_secrets"]
    )
    assert errors == {}
    assert values["alb_target_group_name"] == "illustra-staging-web"
    assert values["waf_cloudfront_enabled"] is True
    assert values["asg_ssm_secrets"]["MONGO_URL"] == "/illustra/staging/mongodb/uri"


def test_the_inventory_wins_over_a_default_and_role_vars_win_over_both():
    found = resolver(dict(INVENTORY, alb_name="shop", backup_name="b", backup__vault_name="ignored"))
    assert found.resolve("alb_target_group_name") == "shop-web"
    assert found.resolve("backup__vault_name") == "b-vault"  # roles/backup/vars/main.yml


def test_a_role_default_is_read_from_the_role_itself(tmp_path):
    """The one source: change the role's defaults/main.yml and the value follows."""
    role = tmp_path / "asg"
    (role / "meta").mkdir(parents=True)
    (role / "meta" / "main.yml").write_text("galaxy_info: {}\n")
    (role / "defaults").mkdir()
    (role / "defaults" / "main.yml").write_text("asg_instance_type: c7i.large\nasg_name: '{{ webstack_project }}-x'\n")
    found = resolver(INVENTORY, str(tmp_path))
    assert found.resolve("asg_instance_type") == "c7i.large"
    assert found.resolve("asg_name") == "illustra-x"
    assert not found.defined("asg_max_size")
    with pytest.raises(KeyError):
        found.resolve("asg_max_size")


def test_a_default_that_does_not_template_is_reported_not_raised():
    values, errors = resolver({"webstack_project": "illustra"}).resolve_many(["alb_name", "alb_target_port"])
    assert values == {"alb_target_port": 80}
    assert "webstack_env" in errors["alb_name"]


def test_argument_spec_options_are_the_roles_own():
    options = role_vars.argument_spec_options(DataLoader(), "vpc")
    assert options["vpc_nat_mode"]["choices"] == ["none", "single", "per_az"]
    assert role_vars.argument_spec_options(DataLoader(), "no_such_role") == {}


def test_a_role_value_built_with_a_lookup_is_unknown_before_the_role_runs(tmp_path):
    """A default that reads AWS (an SSM lookup), directly or through the role's other values, is not templated:
    preflight makes no AWS call. The inventory's own value is used as given."""
    role = tmp_path / "asg"
    (role / "meta").mkdir(parents=True)
    (role / "meta" / "main.yml").write_text("galaxy_info: {}\n")
    (role / "defaults").mkdir()
    (role / "defaults" / "main.yml").write_text("asg_boot_vars: '{{ asg__boot_vars }}'\nasg_name: plain\n")
    (role / "vars").mkdir()
    (role / "vars" / "main.yml").write_text(
        "asg__boot_vars: {release: '{{ asg__last_good }}'}\n"
        "asg__last_good: \"{{ lookup('amazon.aws.ssm_parameter', '/x/last-good') }}\"\n"
    )
    found = resolver(INVENTORY, str(tmp_path))
    with pytest.raises(role_vars.LookupNeededError):
        found.resolve("asg_boot_vars")
    values, errors = found.resolve_many(["asg_boot_vars", "asg_name"])
    assert (values, errors) == ({"asg_name": "plain"}, {})
    assert resolver(dict(INVENTORY, asg_boot_vars={"release": "1.0"}), str(tmp_path)).resolve("asg_boot_vars") == {
        "release": "1.0"
    }
