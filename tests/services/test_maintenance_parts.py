"""The wizard's small parts: the rule copy with SSH limited, the saved progress, nginx's reason."""

from __future__ import annotations

import stat

from primetui.maintenance.progress import ON_STEPS, WizardState
from primetui.maintenance.rules import maintenance_permissions
from primetui.maintenance.ssh_side import nginx_complaint

LAB = "203.0.113.0/24"


def rule(port, cidr, **extra):
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": cidr}], **extra}


def test_ssh_open_to_the_world_is_limited_to_the_lab_and_shown_in_the_diff():
    rules, diff = maintenance_permissions([rule(22, "0.0.0.0/0"), rule(443, "0.0.0.0/0")], LAB)
    assert rules[0]["IpRanges"][0]["CidrIp"] == LAB
    assert rules[1] == rule(443, "0.0.0.0/0")
    assert "- tcp 22 from 0.0.0.0/0" in diff
    assert any(line.startswith("+ tcp 22 from 203.0.113.0/24") for line in diff)


def test_group_references_are_not_copied_and_ssh_is_added_when_prod_has_none():
    ref = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
           "UserIdGroupPairs": [{"GroupId": "sg-db"}]}
    rules, diff = maintenance_permissions([ref, rule(80, "0.0.0.0/0")], LAB)
    assert [r["FromPort"] for r in rules] == [80, 22]
    assert any("sg-db" in line and "not copied" in line for line in diff)
    assert diff[-1].startswith("+ tcp 22 from 203.0.113.0/24")


def test_progress_round_trips_through_a_private_toml_file(tmp_path):
    path = tmp_path / "maintenance.toml"
    state = WizardState(path)
    state.remember(instance_id="i-0abc", public_ip="198.51.100.7")
    state.mark("preflight")
    state.mark("install", "i-0abc:1234")
    state.on, state.since = True, 1_767_225_600.5
    state.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = WizardState.load(path)
    assert again.is_done("install", "i-0abc:1234") and not again.is_done("install", "i-other")
    status = again.status("prime.example.test", "elastic-ip")
    assert (status.on, status.since, status.instance_id) == (True, 1_767_225_600.5, "i-0abc")
    assert [s.done for s in status.steps] == [k in ("preflight", "install") for k, _ in ON_STEPS]
    assert status.next_step is not None and status.next_step.key == "page"


def test_nginx_complaint_is_the_emerg_line_not_the_summary():
    output = ('nginx: [emerg] unknown directive "bogus" in /etc/nginx/conf.d/m.conf:9\n'
              "nginx: configuration file /etc/nginx/nginx.conf test failed\n")
    assert nginx_complaint(output) == '[emerg] unknown directive "bogus" in /etc/nginx/conf.d/m.conf:9'
