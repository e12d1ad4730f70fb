"""The Certificates tab: TLS expiry seen from both sides, renewal over SSH."""

from __future__ import annotations

from primetui.ui.screens.tabs.base import TabBody, planned


class CertificatesTab(TabBody):
    """Expiry from the live endpoint and from certbot; renew, dry-run, renewal timer."""

    TAB_ID = "certificates"
    TITLE = "Certificates"
    SUMMARY = ("Each domain's certificate will appear here with the days left, seen from the "
               "live TLS endpoint and from certbot on the server. Renew by webroot or "
               "standalone with live output, try a dry run first, check that the served serial "
               "changed, and install a renewal timer.")
    BINDINGS = [
        planned("n", "Renew", "Renew the selected certificate", mutating=True),
        planned("d", "Dry run", "Try the renewal without changing anything"),
        planned("t", "Timer", "Install or check the renewal timer", mutating=True),
        planned("slash", "Filter", "Filter the table", key_display="/"),
    ]
