"""API snippets: ready-to-run AWS CLI and boto3 code for every catalogue feature.

Shown beside a control that is API-only at this provider (or to script it anyway). Kept apart
from ``catalogue.py``, which is data: these are text generators, one per feature id. Pure
Python like the catalogue, so unit tests and the management command can import it.
"""

from __future__ import annotations

import json
import pprint
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class _Ctx:
    endpoint: str
    bucket: str
    region: str
    key: str
    select_dialect: str = "aws"

    @property
    def b(self) -> str:  # bucket, shell-quoted
        return shlex.quote(self.bucket)

    @property
    def k(self) -> str:  # key, shell-quoted
        return shlex.quote(self.key)

    @property
    def tail(self) -> str:
        parts = []
        if self.endpoint:
            parts.append(f"--endpoint-url {shlex.quote(self.endpoint)}")
        if self.region:
            parts.append(f"--region {shlex.quote(self.region)}")
        return (" " + " ".join(parts)) if parts else ""

    def client(self, service: str = "s3", name: str = "s3") -> str:
        return (
            f"{name} = boto3.client({service!r}, endpoint_url={self.endpoint or None!r}, "
            f"region_name={self.region or None!r})"
        )

    def py(self, body: str, *, imports: str = "", service: str = "s3") -> str:
        head = "import boto3\n" + (imports + "\n" if imports else "")
        return (
            f"{head}\n# Credentials come from the environment or ~/.aws/credentials.\n"
            f"{self.client(service, service)}\n{body}\n"
        )


def _j(doc: object) -> str:
    return shlex.quote(json.dumps(doc, separators=(",", ":")))


def _p(doc: object) -> str:
    return pprint.pformat(doc, width=88, sort_dicts=False)


def _create_bucket(c: _Ctx, extra: str = "") -> str:
    # us-east-1 is the one region where S3 refuses an explicit LocationConstraint.
    location = (
        f" --create-bucket-configuration LocationConstraint={shlex.quote(c.region)}"
        if c.region and c.region != "us-east-1" else ""
    )
    return f"aws s3api create-bucket --bucket {c.b}{location}{extra}{c.tail}"


def _create_bucket_py(c: _Ctx, extra: str = "") -> str:
    location = (
        f", CreateBucketConfiguration={{'LocationConstraint': {c.region!r}}}"
        if c.region and c.region != "us-east-1" else ""
    )
    return f"s3.create_bucket(Bucket={c.bucket!r}{location}{extra})"


def _s_bucket_crud(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        _create_bucket(c),
        f"aws s3api head-bucket --bucket {c.b}{c.tail}",
        f"aws s3api list-buckets{c.tail}",
        "# the bucket must be empty before it can be deleted",
        f"aws s3api delete-bucket --bucket {c.b}{c.tail}",
    ])
    py = c.py("\n".join([
        _create_bucket_py(c),
        f"s3.head_bucket(Bucket={c.bucket!r})",
        'print([b["Name"] for b in s3.list_buckets()["Buckets"]])',
        f"s3.delete_bucket(Bucket={c.bucket!r})  # the bucket must be empty",
    ]))
    return cli, py


def _s_object_crud(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api put-object --bucket {c.b} --key {c.k} --body ./local-file{c.tail}",
        f"aws s3api list-objects-v2 --bucket {c.b}{c.tail}",
        f"aws s3api get-object --bucket {c.b} --key {c.k} ./downloaded{c.tail}",
        f"aws s3api delete-object --bucket {c.b} --key {c.k}{c.tail}",
    ])
    py = c.py("\n".join([
        f"s3.put_object(Bucket={c.bucket!r}, Key={c.key!r}, Body=b'hello')",
        f"for item in s3.list_objects_v2(Bucket={c.bucket!r}).get('Contents', []):",
        "    print(item['Key'], item['Size'])",
        f"print(s3.get_object(Bucket={c.bucket!r}, Key={c.key!r})['Body'].read())",
        f"s3.delete_object(Bucket={c.bucket!r}, Key={c.key!r})",
    ]))
    return cli, py


def _s_object_copy(c: _Ctx) -> tuple[str, str]:
    target = f"{c.key}.copy"
    # --copy-source must be URL-encoded; bucket names never need it, keys may.
    source = quote(f"{c.bucket}/{c.key}", safe="/")
    cli = (f"aws s3api copy-object --bucket {c.b} --key {shlex.quote(target)} "
           f"--copy-source {shlex.quote(source)}{c.tail}")
    py = c.py(f"s3.copy_object(Bucket={c.bucket!r}, Key={target!r}, "
              f"CopySource={{'Bucket': {c.bucket!r}, 'Key': {c.key!r}}})")
    return cli, py


def _s_multipart_upload(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        "# aws s3 cp switches to a multipart upload above 8 MiB",
        f"aws s3 cp ./large-file {shlex.quote(f's3://{c.bucket}/{c.key}')}{c.tail}",
        f"aws s3api list-multipart-uploads --bucket {c.b}{c.tail}",
        "# abort an unfinished upload (UploadId from the listing):",
        f"aws s3api abort-multipart-upload --bucket {c.b} --key {c.k} --upload-id UPLOAD_ID"
        f"{c.tail}",
    ])
    py = c.py("\n".join([
        f"s3.upload_file('large-file', {c.bucket!r}, {c.key!r}, "
        "Config=TransferConfig(multipart_threshold=8 * 1024 * 1024))",
        f"for upload in s3.list_multipart_uploads(Bucket={c.bucket!r}).get('Uploads', []):",
        "    print(upload['Key'], upload['UploadId'])",
    ]), imports="from boto3.s3.transfer import TransferConfig")
    return cli, py


def _s_presigned_url(c: _Ctx) -> tuple[str, str]:
    cli = f"aws s3 presign {shlex.quote(f's3://{c.bucket}/{c.key}')} --expires-in 3600{c.tail}"
    py = c.py(
        "url = s3.generate_presigned_url(\n"
        f"    'get_object', Params={{'Bucket': {c.bucket!r}, 'Key': {c.key!r}}}, ExpiresIn=3600\n"
        ")\nprint(url)"
    )
    return cli, py


def _s_bucket_acl(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api get-bucket-acl --bucket {c.b}{c.tail}",
        f"aws s3api put-bucket-acl --bucket {c.b} --acl private{c.tail}",
    ])
    py = c.py(f"print(s3.get_bucket_acl(Bucket={c.bucket!r})['Grants'])\n"
              f"s3.put_bucket_acl(Bucket={c.bucket!r}, ACL='private')")
    return cli, py


def _s_object_acl(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api get-object-acl --bucket {c.b} --key {c.k}{c.tail}",
        f"aws s3api put-object-acl --bucket {c.b} --key {c.k} --acl private{c.tail}",
    ])
    py = c.py(f"print(s3.get_object_acl(Bucket={c.bucket!r}, Key={c.key!r})['Grants'])\n"
              f"s3.put_object_acl(Bucket={c.bucket!r}, Key={c.key!r}, ACL='private')")
    return cli, py


def _s_block_public_access(c: _Ctx) -> tuple[str, str]:
    config = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
              "RestrictPublicBuckets": True}
    cli = "\n".join([
        f"aws s3api put-public-access-block --bucket {c.b} "
        f"--public-access-block-configuration {_j(config)}{c.tail}",
        f"aws s3api get-public-access-block --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_public_access_block(\n    Bucket={c.bucket!r},\n"
              f"    PublicAccessBlockConfiguration={_p(config)},\n)\n"
              f"print(s3.get_public_access_block(Bucket={c.bucket!r}))")
    return cli, py


def _s_bucket_policy(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api get-bucket-policy --bucket {c.b}{c.tail}",
        "# policy.json: a JSON policy whose Resource names "
        f"arn:aws:s3:::{c.bucket} and arn:aws:s3:::{c.bucket}/*",
        f"aws s3api put-bucket-policy --bucket {c.b} --policy file://policy.json{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_policy(Bucket={c.bucket!r}, "
              "Policy=Path('policy.json').read_text())\n"
              f"print(s3.get_bucket_policy(Bucket={c.bucket!r})['Policy'])",
              imports="from pathlib import Path")
    return cli, py


def _s_cors(c: _Ctx) -> tuple[str, str]:
    config = {"CORSRules": [{"AllowedOrigins": ["https://example.com"],
                             "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"],
                             "MaxAgeSeconds": 3000}]}
    cli = "\n".join([
        f"aws s3api put-bucket-cors --bucket {c.b} --cors-configuration {_j(config)}{c.tail}",
        f"aws s3api get-bucket-cors --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_cors(Bucket={c.bucket!r}, CORSConfiguration={_p(config)})\n"
              f"print(s3.get_bucket_cors(Bucket={c.bucket!r})['CORSRules'])")
    return cli, py


def _s_versioning(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api put-bucket-versioning --bucket {c.b} "
        f"--versioning-configuration Status=Enabled{c.tail}",
        f"aws s3api get-bucket-versioning --bucket {c.b}{c.tail}",
        f"aws s3api list-object-versions --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_versioning(Bucket={c.bucket!r}, "
              "VersioningConfiguration={'Status': 'Enabled'})\n"
              f"print(s3.get_bucket_versioning(Bucket={c.bucket!r}).get('Status'))")
    return cli, py


def _s_replication(c: _Ctx) -> tuple[str, str]:
    config = {
        # AWS needs a real IAM role here; other providers accept any well-formed ARN.
        "Role": "arn:aws:iam::123456789012:role/replication",
        "Rules": [{"ID": "replicate-all", "Priority": 1, "Status": "Enabled", "Filter": {},
                   "DeleteMarkerReplication": {"Status": "Disabled"},
                   "Destination": {"Bucket": f"arn:aws:s3:::{c.bucket}-replica"}}],
    }
    cli = "\n".join([
        "# versioning must be enabled on both buckets; replace the Role and destination ARNs",
        f"aws s3api put-bucket-replication --bucket {c.b} "
        f"--replication-configuration {_j(config)}{c.tail}",
        f"aws s3api get-bucket-replication --bucket {c.b}{c.tail}",
    ])
    py = c.py("# versioning must be enabled on both buckets\n"
              f"s3.put_bucket_replication(\n    Bucket={c.bucket!r},\n"
              f"    ReplicationConfiguration={_p(config)},\n)")
    return cli, py


def _s_bucket_tagging(c: _Ctx) -> tuple[str, str]:
    tags = {"TagSet": [{"Key": "team", "Value": "storage"}]}
    cli = "\n".join([
        f"aws s3api put-bucket-tagging --bucket {c.b} --tagging {_j(tags)}{c.tail}",
        f"aws s3api get-bucket-tagging --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_tagging(Bucket={c.bucket!r}, Tagging={_p(tags)})\n"
              f"print(s3.get_bucket_tagging(Bucket={c.bucket!r})['TagSet'])")
    return cli, py


def _s_object_tagging(c: _Ctx) -> tuple[str, str]:
    tags = {"TagSet": [{"Key": "team", "Value": "storage"}]}
    cli = "\n".join([
        f"aws s3api put-object-tagging --bucket {c.b} --key {c.k} --tagging {_j(tags)}{c.tail}",
        f"aws s3api get-object-tagging --bucket {c.b} --key {c.k}{c.tail}",
    ])
    py = c.py(f"s3.put_object_tagging(Bucket={c.bucket!r}, Key={c.key!r}, Tagging={_p(tags)})\n"
              f"print(s3.get_object_tagging(Bucket={c.bucket!r}, Key={c.key!r})['TagSet'])")
    return cli, py


def _s_lifecycle(c: _Ctx) -> tuple[str, str]:
    # Only expiration by age and aborting unfinished uploads, with a prefix filter: the
    # subset every provider here accepts (Spaces allows nothing more).
    config = {"Rules": [{"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"},
                         "Expiration": {"Days": 30},
                         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}
    cli = "\n".join([
        f"aws s3api put-bucket-lifecycle-configuration --bucket {c.b} "
        f"--lifecycle-configuration {_j(config)}{c.tail}",
        f"aws s3api get-bucket-lifecycle-configuration --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_lifecycle_configuration(\n    Bucket={c.bucket!r},\n"
              f"    LifecycleConfiguration={_p(config)},\n)")
    return cli, py


def _s_access_logging(c: _Ctx) -> tuple[str, str]:
    status = {"LoggingEnabled": {"TargetBucket": f"{c.bucket}-logs",
                                 "TargetPrefix": f"{c.bucket}/"}}
    cli = "\n".join([
        "# the target bucket must exist and be a different bucket from the source",
        f"aws s3api put-bucket-logging --bucket {c.b} --bucket-logging-status {_j(status)}"
        f"{c.tail}",
        f"aws s3api get-bucket-logging --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_logging(Bucket={c.bucket!r}, BucketLoggingStatus={_p(status)})\n"
              f"print(s3.get_bucket_logging(Bucket={c.bucket!r}).get('LoggingEnabled'))")
    return cli, py


def _s_bucket_encryption(c: _Ctx) -> tuple[str, str]:
    config = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    cli = "\n".join([
        f"aws s3api put-bucket-encryption --bucket {c.b} "
        f"--server-side-encryption-configuration {_j(config)}{c.tail}",
        f"aws s3api get-bucket-encryption --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_encryption(\n    Bucket={c.bucket!r},\n"
              f"    ServerSideEncryptionConfiguration={_p(config)},\n)")
    return cli, py


def _s_object_encryption(c: _Ctx) -> tuple[str, str]:
    url = shlex.quote(f"s3://{c.bucket}/{c.key}")
    cli = "\n".join([
        "# SSE-C: keep sse-c.key safe, the object cannot be read without it",
        "openssl rand -out sse-c.key 32",
        f"aws s3 cp ./local-file {url} --sse-c AES256 --sse-c-key fileb://sse-c.key{c.tail}",
        f"aws s3 cp {url} ./downloaded --sse-c AES256 --sse-c-key fileb://sse-c.key{c.tail}",
        "# SSE-S3, where the provider offers it:",
        f"aws s3api put-object --bucket {c.b} --key {c.k} --body ./local-file "
        f"--server-side-encryption AES256{c.tail}",
    ])
    py = c.py("\n".join([
        "sse_key = os.urandom(32)  # keep it safe: the object cannot be read without it",
        f"s3.put_object(Bucket={c.bucket!r}, Key={c.key!r}, Body=b'secret',",
        "              SSECustomerAlgorithm='AES256', SSECustomerKey=sse_key)",
        f"body = s3.get_object(Bucket={c.bucket!r}, Key={c.key!r},",
        "                     SSECustomerAlgorithm='AES256', SSECustomerKey=sse_key)['Body']",
    ]), imports="import os")
    return cli, py


def _s_website(c: _Ctx) -> tuple[str, str]:
    config = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}}
    cli = "\n".join([
        f"aws s3api put-bucket-website --bucket {c.b} --website-configuration {_j(config)}"
        f"{c.tail}",
        f"aws s3api get-bucket-website --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_website(Bucket={c.bucket!r}, WebsiteConfiguration={_p(config)})")
    return cli, py


def _s_inventory(c: _Ctx) -> tuple[str, str]:
    config = {"Id": "weekly", "IsEnabled": True, "IncludedObjectVersions": "Current",
              "Schedule": {"Frequency": "Weekly"},
              "Destination": {"S3BucketDestination": {
                  "Bucket": f"arn:aws:s3:::{c.bucket}-inventory", "Format": "CSV"}}}
    cli = "\n".join([
        f"aws s3api put-bucket-inventory-configuration --bucket {c.b} --id weekly "
        f"--inventory-configuration {_j(config)}{c.tail}",
        f"aws s3api list-bucket-inventory-configurations --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_inventory_configuration(\n    Bucket={c.bucket!r}, Id='weekly',\n"
              f"    InventoryConfiguration={_p(config)},\n)")
    return cli, py


def _s_object_lock(c: _Ctx) -> tuple[str, str]:
    config = {"ObjectLockEnabled": "Enabled",
              "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    cli = "\n".join([
        "# Object Lock can only be switched on when the bucket is created",
        _create_bucket(c, " --object-lock-enabled-for-bucket"),
        f"aws s3api put-object-lock-configuration --bucket {c.b} "
        f"--object-lock-configuration {_j(config)}{c.tail}",
        f"aws s3api get-object-lock-configuration --bucket {c.b}{c.tail}",
    ])
    py = c.py("\n".join([
        _create_bucket_py(c, ", ObjectLockEnabledForBucket=True"),
        f"s3.put_object_lock_configuration(\n    Bucket={c.bucket!r},\n"
        f"    ObjectLockConfiguration={_p(config)},\n)",
    ]))
    return cli, py


def _s_legal_hold(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api put-object-legal-hold --bucket {c.b} --key {c.k} --legal-hold Status=ON"
        f"{c.tail}",
        f"aws s3api get-object-legal-hold --bucket {c.b} --key {c.k}{c.tail}",
    ])
    py = c.py(f"s3.put_object_legal_hold(Bucket={c.bucket!r}, Key={c.key!r}, "
              "LegalHold={'Status': 'ON'})")
    return cli, py


def _s_object_ownership(c: _Ctx) -> tuple[str, str]:
    controls = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    cli = "\n".join([
        "# BucketOwnerEnforced switches ACLs off for the bucket",
        f"aws s3api put-bucket-ownership-controls --bucket {c.b} "
        f"--ownership-controls {_j(controls)}{c.tail}",
        f"aws s3api get-bucket-ownership-controls --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_ownership_controls(Bucket={c.bucket!r}, "
              f"OwnershipControls={_p(controls)})")
    return cli, py


def _s_iam(c: _Ctx) -> tuple[str, str]:
    user = f"{c.bucket}-reader"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{c.bucket}", f"arn:aws:s3:::{c.bucket}/*"]}]}
    cli = "\n".join([
        "# IAM is its own API. On AWS leave out --endpoint-url (IAM is global); stores that",
        "# offer it (Ceph RGW, MinIO's admin API differs) serve it on their own endpoint.",
        f"aws iam create-user --user-name {shlex.quote(user)}{c.tail}",
        f"aws iam put-user-policy --user-name {shlex.quote(user)} --policy-name read-bucket "
        f"--policy-document {_j(policy)}{c.tail}",
        f"aws iam create-access-key --user-name {shlex.quote(user)}{c.tail}",
    ])
    py = c.py("\n".join([
        f"iam.create_user(UserName={user!r})",
        f"iam.put_user_policy(UserName={user!r}, PolicyName='read-bucket',",
        f"                    PolicyDocument=json.dumps({_p(policy)}))",
    ]), imports="import json", service="iam")
    return cli, py


def _s_sts(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        "# STS is its own API; on AWS leave out --endpoint-url.",
        f"aws sts get-session-token --duration-seconds 3600{c.tail}",
        "# export AccessKeyId, SecretAccessKey and SessionToken from the answer as",
        "# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, then:",
        f"aws s3api list-objects-v2 --bucket {c.b}{c.tail}",
    ])
    py = c.py("\n".join([
        "creds = sts.get_session_token(DurationSeconds=3600)['Credentials']",
        "s3 = boto3.client(",
        f"    's3', endpoint_url={c.endpoint or None!r}, region_name={c.region or None!r},",
        "    aws_access_key_id=creds['AccessKeyId'],",
        "    aws_secret_access_key=creds['SecretAccessKey'],",
        "    aws_session_token=creds['SessionToken'],",
        ")",
        f"print(s3.list_objects_v2(Bucket={c.bucket!r}).get('KeyCount'))",
    ]), service="sts")
    return cli, py


def _s_mfa(c: _Ctx) -> tuple[str, str]:
    mfa = "arn:aws:iam::123456789012:mfa/root-account-mfa-device 123456"
    cli = "\n".join([
        "# Only the bucket owner's root credentials with their MFA device can change MFA delete;",
        "# --mfa is the device serial (ARN), a space, and the current code.",
        f"aws s3api put-bucket-versioning --bucket {c.b} "
        "--versioning-configuration Status=Enabled,MFADelete=Enabled "
        f"--mfa {shlex.quote(mfa)}{c.tail}",
        f"aws s3api get-bucket-versioning --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_versioning(\n    Bucket={c.bucket!r},\n"
              "    VersioningConfiguration={'Status': 'Enabled', 'MFADelete': 'Enabled'},\n"
              f"    MFA={mfa!r},  # device ARN, a space, the current code\n)")
    return cli, py


def _s_notifications(c: _Ctx) -> tuple[str, str]:
    config = {"TopicConfigurations": [{"TopicArn": "TOPIC_ARN",
                                       "Events": ["s3:ObjectCreated:*"]}]}
    topic = shlex.quote(f"{c.bucket}-events")
    cli = "\n".join([
        "# Topics come from SNS: on AWS use SNS's own endpoint; Ceph RGW serves SNS on the",
        "# storage endpoint. Put the TopicArn it prints in place of TOPIC_ARN.",
        f"aws sns create-topic --name {topic}{c.tail}",
        f"aws s3api put-bucket-notification-configuration --bucket {c.b} "
        f"--notification-configuration {_j(config)}{c.tail}",
        f"aws s3api get-bucket-notification-configuration --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_notification_configuration(\n    Bucket={c.bucket!r},\n"
              f"    NotificationConfiguration={_p(config)},\n)")
    return cli, py


def _s_request_payment(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api put-bucket-request-payment --bucket {c.b} "
        f"--request-payment-configuration Payer=Requester{c.tail}",
        f"aws s3api get-bucket-request-payment --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_request_payment(Bucket={c.bucket!r}, "
              "RequestPaymentConfiguration={'Payer': 'Requester'})")
    return cli, py


def _s_metrics(c: _Ctx) -> tuple[str, str]:
    config = {"Id": "EntireBucket"}
    cli = "\n".join([
        f"aws s3api put-bucket-metrics-configuration --bucket {c.b} --id EntireBucket "
        f"--metrics-configuration {_j(config)}{c.tail}",
        f"aws s3api list-bucket-metrics-configurations --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_metrics_configuration(Bucket={c.bucket!r}, Id='EntireBucket', "
              f"MetricsConfiguration={_p(config)})")
    return cli, py


def _s_analytics(c: _Ctx) -> tuple[str, str]:
    config = {"Id": "all-objects", "StorageClassAnalysis": {}}
    cli = "\n".join([
        f"aws s3api put-bucket-analytics-configuration --bucket {c.b} --id all-objects "
        f"--analytics-configuration {_j(config)}{c.tail}",
        f"aws s3api list-bucket-analytics-configurations --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_analytics_configuration(Bucket={c.bucket!r}, Id='all-objects', "
              f"AnalyticsConfiguration={_p(config)})")
    return cli, py


def _s_accelerate(c: _Ctx) -> tuple[str, str]:
    cli = "\n".join([
        f"aws s3api put-bucket-accelerate-configuration --bucket {c.b} "
        f"--accelerate-configuration Status=Enabled{c.tail}",
        f"aws s3api get-bucket-accelerate-configuration --bucket {c.b}{c.tail}",
    ])
    py = c.py(f"s3.put_bucket_accelerate_configuration(Bucket={c.bucket!r}, "
              "AccelerateConfiguration={'Status': 'Enabled'})")
    return cli, py


def _s_object_query(c: _Ctx) -> tuple[str, str]:
    # Each provider's own dialect, and nothing about any other provider's.
    sql = "select * from stdin;" if c.select_dialect == "rgw" else "SELECT * FROM S3Object s LIMIT 10"
    input_ser = {"CSV": {"FileHeaderInfo": "NONE" if c.select_dialect == "rgw" else "USE"}, "CompressionType": "NONE"}
    output_ser = {"CSV": {}}
    cli = (f"aws s3api select-object-content --bucket {c.b} --key {c.k} "
           f"--expression {shlex.quote(sql)} --expression-type SQL "
           f"--input-serialization {_j(input_ser)} --output-serialization {_j(output_ser)} "
           f"result.csv{c.tail}")
    py = c.py("\n".join([
        "answer = s3.select_object_content(",
        f"    Bucket={c.bucket!r}, Key={c.key!r}, Expression={sql!r}, ExpressionType='SQL',",
        f"    InputSerialization={_p(input_ser)}, OutputSerialization={_p(output_ser)},",
        ")",
        "for event in answer['Payload']:",
        "    if 'Records' in event:",
        "        print(event['Records']['Payload'].decode(), end='')",
    ]))
    return cli, py


_SNIPPETS: dict[str, Callable[[_Ctx], tuple[str, str]]] = {
    "bucket_crud": _s_bucket_crud,
    "object_crud": _s_object_crud,
    "object_copy": _s_object_copy,
    "multipart_upload": _s_multipart_upload,
    "presigned_url": _s_presigned_url,
    "bucket_acl": _s_bucket_acl,
    "object_acl": _s_object_acl,
    "block_public_access": _s_block_public_access,
    "bucket_policy": _s_bucket_policy,
    "cors": _s_cors,
    "versioning": _s_versioning,
    "replication": _s_replication,
    "bucket_tagging": _s_bucket_tagging,
    "object_tagging": _s_object_tagging,
    "lifecycle": _s_lifecycle,
    "access_logging": _s_access_logging,
    "bucket_encryption": _s_bucket_encryption,
    "object_encryption": _s_object_encryption,
    "website": _s_website,
    "inventory": _s_inventory,
    "object_lock": _s_object_lock,
    "legal_hold": _s_legal_hold,
    "object_ownership": _s_object_ownership,
    "iam": _s_iam,
    "sts": _s_sts,
    "mfa": _s_mfa,
    "notifications": _s_notifications,
    "request_payment": _s_request_payment,
    "metrics": _s_metrics,
    "analytics": _s_analytics,
    "accelerate": _s_accelerate,
    "object_query": _s_object_query,
}


def api_snippets(
    feature_id: str, *, endpoint: str, bucket: str, region: str, key: str = "", select_dialect: str = "aws"
) -> dict[str, str]:
    """Ready-to-run AWS CLI and boto3 code for the feature against this endpoint and bucket.

    Values are shell-quoted in the CLI text and Python literals in the boto3 text, so odd
    keys stay safe to paste. Credentials are never part of a snippet.
    """
    if feature_id not in _SNIPPETS:
        raise KeyError(f"unknown feature {feature_id!r}")
    ctx = _Ctx(endpoint=endpoint, bucket=bucket, region=region, key=key or "example.txt",
               select_dialect=select_dialect)
    cli, py = _SNIPPETS[feature_id](ctx)
    return {"aws": cli, "boto3": py}
