"""A minimal aws deployment environment for tests that build its settings and resources without
talking to AWS: the endpoint is a closed local port, so a call made by mistake fails loudly."""

AWS_ENV = {
    "DAGSTER_DEPLOYMENT": "aws",
    "WISTIA_API_TOKEN": "t",
    "MEDIA_IDS": "abcd1234",
    "BRONZE_BUCKET": "raw-b",
    "SILVER_BUCKET": "clean-s",
    "WISTIA_HASH_KEY_SECRET_ID": "k",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_REGION": "eu-west-1",
}
