"""Names vulture cannot see used, each with the reason (read by `make lint`, never imported).

Vulture reports code in primetui/ that nothing in primetui/ uses. A name belongs here only
when something outside its reach uses it; anything else it reports is dead and goes.
"""

# ruff: noqa: B018, F821
# fmt: off

# Tab bodies: loaded by name (`TabSpec.class_name`) through importlib when a tab is first shown.
AuditTab, BackupsTab, CertificatesTab, InstancesTab, MaintenanceTab, OverviewTab, SchedulesTab

# Read by the libraries that call us: paramiko's host-key policy hook, python-gnupg's attribute,
# Textual's Footer reactives, botocore's file loader protocol.
_.missing_host_key
_.load_file
_.buffer_size
_.compact
_.show_command_palette

# Dataclass fields: part of the record even where primetui itself reads none of them.
_.user_id                 # aws.Identity
_.account_id              # sandbox.seed.SeedResult: what the practice world made, for the tests
_.security_group_id
_.staging_instance_id
_.db_instance_id
_.lambda_role_arn
_.scheduler_role_arn
_.schedule_group
_.host_key_pub            # sandbox.sshd: the test sshd's public host key

# The practice world is also the tests' services (DESIGN.md): these serve the tests.
make_lineage              # sandbox.maintenance_host: a certbot lineage on a test host
_.authorize               # sandbox.sshd: another key allowed in
_.reseed                  # sandbox.world: the practice account set back to its first state

# Used only in a string annotation (`Sequence["RenderableType"]`), which vulture does not read.
RenderableType

# The timer handle a tab keeps so the timer lives as long as the tab.
_._timer

# What a widget shows, read back by the UI tests (a widget's state is not a test helper).
_.shown_keys
_.state_text
_.log_text
_.outcome_text
_.project_themes           # the themes the app registered from the theme folders
_.connections_opened       # remote.runners.SshRunner: how often its chain was opened

# Settings written back as TOML, the inverse of `load_settings`; only the tests call it today.
save_settings

# The Instances table's keyed diff (rows to add, change and remove); the table is being moved
# onto public DataTable methods and this is the diff it is built on.
diff_rows

# io.RawIOBase's protocol: the bounded archive reader is handed to tarfile, which calls them.
readable
readinto

# Textual's App.error_console (public): where a crash inside the TUI is printed, captured for crash.log.
error_console

# argparse reads a parser's formatter_class when it prints --help (the examples keep their lines).
formatter_class

# io's writer protocol, called by the gzip writer handed the compression stream.
writable

# DataTable's public show_cursor, set on the Overview's areas table (no cursor there).
show_cursor

# What a table shows of its sort and a tab of its details pane: read by the key tests (the
# public face of state kept in private attributes).
sort_column
pane_shown

# The README's key tables: written and checked by scripts/readme_keys.py (outside primetui/).
README_BEGIN, README_END, readme_keys
