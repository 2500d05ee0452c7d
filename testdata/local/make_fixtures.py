#!/usr/bin/env python3
"""Writes the local engine's fixtures. Deterministic: re-running gives the
same bytes (gzip mtime 0). Run from this folder: python3 make_fixtures.py"""
import gzip, json, os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
ORG = "o-abcdefghij"
ACCOUNTS = ["111111111111", "222222222222"]
REGIONS = ["us-east-1", "sagov-westsouth-1r"]


def event(eid, t, account, region, name="GetObject", ip="035.249.253.232", **extra):
    e = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:alice",
            "arn": f"arn:aws:sts::{account}:assumed-role/Admin/alice",
            "accountId": account,
            "accessKeyId": "ASIAEXAMPLE",
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": f"arn:aws:iam::{account}:role/Admin", "accountId": account, "userName": "Admin"},
                "attributes": {"creationDate": "2024-03-01T00:00:00Z", "mfaAuthenticated": "false"},
            },
        },
        "eventTime": t,
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": "[aws-cli/2.15 Python/3.11 \"quoted\", comma]",
        "requestParameters": {"bucketName": "payroll-exports", "key": f"k/{eid}.csv", "Host": "payroll-exports.s3.amazonaws.com"},
        "responseElements": None,
        "additionalEventData": {"bytesTransferredOut": 1024, "x-amz-id-2": "abc"},
        "requestID": "R" + eid,
        "eventID": eid,
        "readOnly": True,
        "resources": [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::payroll-exports/k/{eid}.csv"}, {"accountId": account, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::payroll-exports"}],
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": account,
        "eventCategory": "Data",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "payroll-exports.s3.amazonaws.com"},
    }
    e.update(extra)
    return e


def write(rel, records, gz=True, raw=None):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = raw if raw is not None else json.dumps({"Records": records}, separators=(",", ":")).encode()
    if gz:
        with open(path, "wb") as f:
            with gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as z:
                z.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


def main():
    for d in ["org", "single", "plain", "bad"]:
        shutil.rmtree(os.path.join(HERE, d), ignore_errors=True)
    # Org layout: 2 accounts x 2 regions x 3 delivery days. Each file holds
    # one event of its day at noon and one of the previous day at 23:58
    # (late delivery), so the padded-day rule matters.
    for a in ACCOUNTS:
        for r in REGIONS:
            for day in (1, 2, 3):
                eid_noon = f"{a[:1]}-{r[:2]}-03{day:02d}-noon"
                eid_late = f"{a[:1]}-{r[:2]}-03{day:02d}-late"
                recs = [
                    event(eid_noon, f"2024-03-{day:02d}T12:00:00Z", a, r),
                    event(eid_late, f"2024-03-{day - 1:02d}T23:58:00Z" if day > 1 else "2024-02-29T23:58:00Z", a, r),
                ]
                write(f"org/AWSLogs/{ORG}/{a}/CloudTrail/{r}/2024/03/{day:02d}/{a}_CloudTrail_{r}_202403{day:02d}T1205Z_a.json.gz", recs)
        # Far outside any test window: must be pruned, never opened.
        for day in ("2024/02/20", "2024/03/10"):
            y, m, d = day.split("/")
            write(f"org/AWSLogs/{ORG}/{a}/CloudTrail/us-east-1/{day}/{a}_CloudTrail_us-east-1_{y}{m}{d}T0000Z_far.json.gz",
                  [event(f"{a[:1]}-far-{m}{d}", f"{y}-{m}-{d}T00:00:00Z", a, "us-east-1")])
    # Duplicate delivery: account 1 us-east-1's noon event of 03/02 again.
    a, r = ACCOUNTS[0], REGIONS[0]
    write(f"org/AWSLogs/{ORG}/{a}/CloudTrail/{r}/2024/03/03/{a}_CloudTrail_{r}_20240303T0000Z_dup.json.gz",
          [event(f"{a[:1]}-{r[:2]}-0302-noon", "2024-03-02T12:00:00Z", a, r)])
    # Digest and Insight files hold Records-shaped JSON so reading them by
    # mistake would change the counts.
    write(f"org/AWSLogs/{ORG}/{a}/CloudTrail-Digest/{r}/2024/03/02/{a}_CloudTrail-Digest_{r}_20240302T0000Z.json.gz",
          [event("digest-must-not-load", "2024-03-02T01:00:00Z", a, r)])
    write(f"org/AWSLogs/{ORG}/{a}/CloudTrail-Insight/{r}/2024/03/02/{a}_CloudTrail-Insight_{r}_20240302T0000Z.json.gz",
          [event("insight-must-not-load", "2024-03-02T01:00:00Z", a, r)])
    # Single-account layout, uncompressed.
    write("single/AWSLogs/333333333333/CloudTrail/eu-west-1/2024/03/02/333333333333_CloudTrail_eu-west-1_20240302T0100Z_b.json",
          [event(f"3-s-{i}", f"2024-03-02T0{i}:00:00Z", "333333333333", "eu-west-1", name="ListBuckets", readOnly=True) for i in range(3)], gz=False)
    # Plain folder: exports without a layout; partitions come from events.
    write("plain/export1.json.gz", [
        event("4-p-1", "2024-03-02T10:00:00Z", "444444444444", "sagov-westsouth-1r", name="StopLogging", readOnly=False, eventSource="cloudtrail.amazonaws.com",
              errorCode="AccessDenied", errorMessage="User: x' OR '1'='1 is not authorized\nline2"),
        event("4-p-2", "2024-03-01T10:00:00Z", "444444444444", "sagov-westsouth-1r"),
    ])
    write("plain/sub/export2.json", [event("5-p-1", "2024-03-02T11:00:00Z", "555555555555", "us-west-2", userAgent="=HYPERLINK(\"http://evil\")\t\u202e")], gz=False)
    write("plain/sub/empty.json", [], gz=False)
    # Unreadable files.
    good = json.dumps({"Records": [event("bad-1", "2024-03-02T00:00:00Z", "666666666666", "us-east-1")]}).encode()
    full = gzip.compress(good * 1, mtime=0)
    path = os.path.join(HERE, "bad/truncated.json.gz")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(full[: len(full) // 2])
    write("bad/notjson.json", None, gz=False, raw=b"this is not json at all\n")
    write("bad/norecords.json", None, gz=False, raw=b'{"CloudTrailEvent": "nope"}')
    write("bad/notcloudtrail.json.gz", None, gz=True, raw=b'[1, 2, 3]')


main()
