"""Every AWS call the code makes, evaluated against the role the templates give its process.

`recorder` records each botocore call (service, operation, parameters) with the process it stands
for; `actions` turns a call into the IAM requests AWS evaluates for it, implied ones included
(SSE-KMS data keys, Athena reading the catalog and S3 as the caller, iam:PassRole on ECS
RunTask); `stacks` resolves the CloudFormation templates into each role's statements; `policy`
decides a request against them. Used by test_iam_calls.py.
"""
