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
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast
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

    The XML is read as a stream, an instance at a time, each instance's elements dropped
    once read. Parsed whole, a page of 100 instances is about 10,000 elements; held
    together they outlive the collector's young generations, and their count brings its
    full collections (each ~0.1 s holding the GIL, so a frame of the screen waits) every
    refresh or two of the Instances tab.
    """
    reservations: list[dict[str, Any]] = []
    answer: dict[str, Any] = {"Reservations": reservations}
    request_id = ""
    ns = ""
    path: list[ET.Element] = []  # the open elements, the root first
    names: dict[str, str] = {}
    fields: dict[str, str] = {}
    found: dict[str, Any] = {}
    parser: ET.XMLPullParser = ET.XMLPullParser(events=("start", "end"))
    try:
        for event, elem in _events(parser, body):
            if event == "start":
                if not path:
                    if _local(elem.tag) != "DescribeInstancesResponse":
                        raise UnreadableAnswer(
                            f"expected a DescribeInstancesResponse, got {_local(elem.tag)}")
                    ns = elem.tag[:-len("DescribeInstancesResponse")]  # "{namespace}" or ""
                    names = _names(ns)
                    fields = {f"{ns}{tag}": key for tag, key in _TEXT_FIELDS.items()}
                elif len(path) == 2 and path[1].tag == names["reservationSet"]:
                    found = {"Instances": []}  # a reservation begins
                    reservations.append(found)
                path.append(elem)
                continue
            path.pop()
            depth, tag = len(path), elem.tag
            if depth == 4 and path[3].tag == names["instancesSet"]:  # an instance was read
                found["Instances"].append(_instance(elem, names, fields))
                path[3].remove(elem)  # always the first child: each is removed once read
            elif depth == 3 and tag == names["ownerId"] and path[1].tag == names["reservationSet"]:
                found["OwnerId"] = elem.text or ""
            elif depth == 2 and path[1].tag == names["reservationSet"]:
                path[1].remove(elem)
            elif depth == 1:
                if tag == names["requestId"]:
                    request_id = elem.text or ""
                elif tag == names["nextToken"] and elem.text:
                    answer["NextToken"] = elem.text
                elem.clear()
    except ET.ParseError as err:
        raise UnreadableAnswer(f"the DescribeInstances answer is not XML ({err})") from None
    envelope = (f"<DescribeInstancesResponse><requestId>{escape(request_id)}</requestId>"
                f"</DescribeInstancesResponse>")
    return answer, envelope.encode()


FEED = 4096
"""Bytes of XML handed to the parser at a time: its events (an element and a tuple each)
wait in a list until read, so a small feed keeps few of them alive at once."""


def _events(parser: ET.XMLPullParser, body: bytes) -> Iterator[tuple[str, Any]]:
    """The parser's start and end events (each with its element), FEED bytes at a time."""
    view = memoryview(body)
    for start in range(0, len(body), FEED):
        parser.feed(bytes(view[start:start + FEED]))
        yield from cast("Iterator[tuple[str, Any]]", parser.read_events())
    parser.close()
    yield from cast("Iterator[tuple[str, Any]]", parser.read_events())


_TEXT_FIELDS = {"instanceId": "InstanceId", "instanceType": "InstanceType",
                "privateIpAddress": "PrivateIpAddress", "ipAddress": "PublicIpAddress"}
"""The row's plain-text fields: the answer's element name → botocore's key."""


def _names(ns: str) -> dict[str, str]:
    """The answer's element names in its namespace, by their local names."""
    local = ("reservationSet", "instancesSet", "ownerId", "requestId", "nextToken", "item",
             "tagSet", "key", "value", "instanceState", "name", "launchTime")
    return {name: f"{ns}{name}" for name in local}


def _instance(raw: ET.Element, names: dict[str, str],
              fields: dict[str, str]) -> dict[str, Any]:
    """One instance's row fields, in botocore's shape (`fields`: see `_TEXT_FIELDS`)."""
    item, key, value = names["item"], names["key"], names["value"]
    instance: dict[str, Any] = {}
    for part in raw:
        tag = part.tag
        name = fields.get(tag)
        if name is not None:
            instance[name] = part.text or ""
        elif tag == names["instanceState"]:
            instance["State"] = {"Name": part.findtext(names["name"]) or ""}
        elif tag == names["launchTime"]:
            when = _time(part.text)
            if when is not None:
                instance["LaunchTime"] = when
        elif tag == names["tagSet"]:
            instance["Tags"] = [{"Key": t.findtext(key) or "", "Value": t.findtext(value) or ""}
                                for t in part.iterfind(item)]
    return instance
