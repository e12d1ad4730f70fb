"""Reading EC2's DescribeInstances answer for the listing: only the fields a row shows.

botocore's parser turns the whole answer (about 3 kB of XML per instance: block devices,
network interfaces, groups, placement, ...) into Python objects shape by shape; for 1,000
instances that is most of a listing's time. A row needs eight fields, so the listing reads
the same XML with the C XML parser and keeps only those, in botocore's own shape
(`Reservations[].OwnerId`, `Instances[].InstanceId`, `State.Name`, `InstanceType`,
`LaunchTime` as an aware datetime, `PrivateIpAddress`, `PublicIpAddress`, `Tags`), so the
code that builds rows does not know which parser read it. Everything else (details, waits,
plans) still goes through botocore's full parser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

OPERATION = "DescribeInstances"


class UnreadableAnswer(ValueError):
    """The answer is not the XML DescribeInstances sends."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def read_listing_answer(body: bytes) -> tuple[dict[str, Any], bytes]:
    """The answer's reservations (row fields only) and next token, and its envelope.

    The envelope is the answer without its reservations (the request id only), for
    botocore to read its response metadata from.
    """
    try:
        root = ET.fromstring(body)
    except ET.ParseError as err:
        raise UnreadableAnswer(f"the DescribeInstances answer is not XML ({err})") from None
    if _local(root.tag) != "DescribeInstancesResponse":
        raise UnreadableAnswer(f"expected a DescribeInstancesResponse, got {_local(root.tag)}")
    ns = root.tag[:-len("DescribeInstancesResponse")]  # "{namespace}" or ""
    item, reservation_set, instances_set = f"{ns}item", f"{ns}reservationSet", f"{ns}instancesSet"
    tag_set, key, value = f"{ns}tagSet", f"{ns}key", f"{ns}value"
    fields = {f"{ns}instanceId": "InstanceId", f"{ns}instanceType": "InstanceType",
              f"{ns}privateIpAddress": "PrivateIpAddress", f"{ns}ipAddress": "PublicIpAddress"}
    state_tag, state_name, launch = f"{ns}instanceState", f"{ns}name", f"{ns}launchTime"
    reservations: list[dict[str, Any]] = []
    answer: dict[str, Any] = {"Reservations": reservations}
    request_id = ""
    for child in root:
        if child.tag == f"{ns}requestId":
            request_id = child.text or ""
        elif child.tag == reservation_set:
            for res in child.iterfind(item):
                instances: list[dict[str, Any]] = []
                found: dict[str, Any] = {"Instances": instances}
                owner = res.findtext(f"{ns}ownerId")
                if owner is not None:
                    found["OwnerId"] = owner
                for raw in res.iterfind(f"{instances_set}/{item}"):
                    instance: dict[str, Any] = {}
                    for part in raw:
                        tag = part.tag
                        name = fields.get(tag)
                        if name is not None:
                            instance[name] = part.text or ""
                        elif tag == state_tag:
                            instance["State"] = {"Name": part.findtext(state_name) or ""}
                        elif tag == launch:
                            when = _time(part.text)
                            if when is not None:
                                instance["LaunchTime"] = when
                        elif tag == tag_set:
                            instance["Tags"] = [{"Key": t.findtext(key) or "",
                                                 "Value": t.findtext(value) or ""}
                                                for t in part.iterfind(item)]
                    instances.append(instance)
                reservations.append(found)
        elif child.tag == f"{ns}nextToken" and child.text:
            answer["NextToken"] = child.text
    envelope = (f"<DescribeInstancesResponse><requestId>{escape(request_id)}</requestId>"
                f"</DescribeInstancesResponse>")
    return answer, envelope.encode()
