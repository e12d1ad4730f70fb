"""The listing reads DescribeInstances' XML itself: the same row fields botocore's parser gives."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from primetui.instances.listing_answer import UnreadableAnswer, read_listing_answer

RECORDED = Path(__file__).resolve().parents[2] / "bench" / "data" / "instances-answers.json.gz"
FIELDS = ("InstanceId", "InstanceType", "State", "LaunchTime", "PrivateIpAddress",
          "PublicIpAddress", "Tags")


def botocore_parse(body: bytes) -> dict[str, Any]:
    import botocore.session
    from botocore.parsers import create_parser

    model = botocore.session.get_session().get_service_model("ec2")
    shape = model.operation_model("DescribeInstances").output_shape
    return create_parser("ec2").parse({"body": body, "headers": {}, "status_code": 200}, shape)


def row_fields(parsed: dict[str, Any]) -> list[Any]:
    """What a row is built from, in botocore's shape (State reduced to its name)."""
    return [(r.get("OwnerId"), [{k: ({"Name": v["Name"]} if k == "State" else v)
                                 for k, v in i.items() if k in FIELDS}
                                for i in r.get("Instances", [])])
            for r in parsed.get("Reservations", [])]


def recorded_body() -> bytes:
    answers = json.loads(gzip.decompress(RECORDED.read_bytes()))
    [key] = [k for k in answers if "DescribeInstances" in k]
    return answers[key]["body"].encode()


def test_a_recorded_answer_of_1000_instances_reads_as_botocore_reads_it() -> None:
    body = recorded_body()
    ours, envelope = read_listing_answer(body)
    theirs = botocore_parse(body)
    assert sum(len(r["Instances"]) for r in ours["Reservations"]) > 1000
    assert row_fields(ours) == row_fields(theirs)
    assert "NextToken" not in ours and "NextToken" not in theirs
    meta = botocore_parse(envelope)
    assert meta["ResponseMetadata"]["RequestId"] == theirs["ResponseMetadata"]["RequestId"]
    assert len(envelope) < 200


PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>req-1&amp;2</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1</reservationId><ownerId>123456789012</ownerId>
      <groupSet/>
      <instancesSet>
        <item>
          <instanceId>i-1</instanceId>
          <instanceState><code>16</code><name>running</name></instanceState>
          <instanceType>t3.micro</instanceType>
          <launchTime>2026-03-02T14:00:00.000Z</launchTime>
          <privateIpAddress>10.0.0.5</privateIpAddress>
          <ipAddress>203.0.113.9</ipAddress>
          <tagSet><item><key>Name</key><value>caf&#233; &lt;web&gt;</value></item>
                  <item><key>empty</key><value/></item></tagSet>
          <blockDeviceMapping><item><deviceName>/dev/xvda</deviceName></item></blockDeviceMapping>
        </item>
        <item>
          <instanceId>i-2</instanceId>
          <instanceState><code>80</code><name>stopped</name></instanceState>
          <instanceType>t3.nano</instanceType>
          <launchTime>2026-03-01T01:02:03Z</launchTime>
        </item>
      </instancesSet>
    </item>
  </reservationSet>
  <nextToken>page-2</nextToken>
</DescribeInstancesResponse>"""


def test_missing_addresses_tags_escapes_and_the_next_token_read_as_botocore_reads_them() -> None:
    ours, _ = read_listing_answer(PAGE)
    theirs = botocore_parse(PAGE)
    assert row_fields(ours) == row_fields(theirs)
    assert ours["NextToken"] == theirs["NextToken"] == "page-2"
    first = ours["Reservations"][0]["Instances"][0]
    assert first["Tags"][0] == {"Key": "Name", "Value": "café <web>"}
    assert first["LaunchTime"].utcoffset().total_seconds() == 0
    assert "PublicIpAddress" not in ours["Reservations"][0]["Instances"][1]


def test_an_empty_answer_has_no_reservations() -> None:
    body = (b'<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            b'<requestId>x</requestId><reservationSet/></DescribeInstancesResponse>')
    ours, _ = read_listing_answer(body)
    assert ours == {"Reservations": []} and row_fields(botocore_parse(body)) == []


@pytest.mark.parametrize("body", [b"<html><body>proxy says hi</body></html>", b"<Describe",
                                  b"not xml at all"])
def test_an_answer_that_is_not_describe_instances_is_refused(body: bytes) -> None:
    with pytest.raises(UnreadableAnswer):
        read_listing_answer(body)


def one_instance_reservations(count: int) -> bytes:
    """An answer with `count` reservations of one instance each, as a lab launches them."""
    item = PAGE.split(b"<reservationSet>")[1].split(b"</reservationSet>")[0]
    return (PAGE.split(b"<reservationSet>")[0] + b"<reservationSet>"
            + b"".join(item.replace(b"i-1", f"i-{n}a".encode()).replace(b"i-2", f"i-{n}b".encode())
                       .replace(b"r-1", f"r-{n}".encode()) for n in range(count))
            + b"</reservationSet></DescribeInstancesResponse>")


def test_many_reservations_read_as_botocore_reads_them() -> None:
    body = one_instance_reservations(50)
    ours, _ = read_listing_answer(body)
    assert len(ours["Reservations"]) == 50
    assert row_fields(ours) == row_fields(botocore_parse(body))


@pytest.mark.parametrize("body", [recorded_body, lambda: one_instance_reservations(1000)],
                         ids=["85 instances a reservation", "one instance a reservation"])
def test_reading_an_answer_holds_one_instances_elements_at_a_time(body) -> None:
    """The XML is read as a stream and each instance's elements are dropped once read: at
    no moment is the whole answer parsed into elements (which, for 1,000 instances, is
    about 17 MB and 100,000 objects for the collector, whose full collections then stall
    the screen). Beyond the rows it returns, a read holds less than a tenth of the XML's
    size at its peak."""
    import tracemalloc

    data = body()
    tracemalloc.start()
    try:
        rows = read_listing_answer(data)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows[0]["Reservations"]
    assert peak - kept < len(data) / 10, (peak - kept, len(data))
