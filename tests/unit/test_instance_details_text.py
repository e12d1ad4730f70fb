"""An RDS instance's details say its name and its endpoint once each."""

from __future__ import annotations

from primetui.instances.model import RDS, Instance, InstanceDetails
from primetui.ui.tabs.instances.details import details_text


def test_rds_details_name_the_database_and_its_endpoint_once() -> None:
    db = Instance(id="prime-db", name="prime-db", kind=RDS, type="db.t3.micro",
                  state="available", endpoint="prime-db.abc.us-east-2.rds.amazonaws.com:5432")
    details = InstanceDetails(instance=db, launch_time=None, security_groups=(), volumes=(),
                              extra=(("Engine", "postgres 16"), ("Endpoint", db.endpoint or "")))
    text = details_text(details).plain
    assert text.count("prime-db") == 2  # the name, and inside the endpoint's address
    assert text.count("Endpoint:") == 1
