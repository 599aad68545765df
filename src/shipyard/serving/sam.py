"""``shipyard deploy lambda``: an AWS SAM template serving a model from AWS Lambda.

The function runs ``shipyard.serving.lambda_handler`` from a container image
(scikit-learn, onnxruntime and pandas together exceed Lambda's 250 MB zip
limit), behind an HTTP API that forwards every path, so both protocols work
unchanged. At cold start the handler opens the model reference, which a
registry reference resolves from the S3 object store named by
``SHIPYARD_OBJECTS_PATH``; the function's role may read that bucket only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shipyard._version import __version__
from shipyard.core.errors import InvalidInput

__all__ = ["DOCKERFILE", "LambdaDeployment", "registry_reference", "sam_template"]

DOCKERFILE = f"""FROM public.ecr.aws/lambda/python:3.11
RUN pip install --no-cache-dir 'shipyard[serve,s3]=={__version__}'
CMD ["shipyard.serving.lambda_handler"]
"""

_ALIAS_REF = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.-]*)@([A-Za-z][A-Za-z0-9_-]*)$")
_S3 = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/.*)?$")


@dataclass(frozen=True)
class LambdaDeployment:
    model: str
    """The reference the function serves (``models:/churn@production``)."""
    object_store: str = ""
    """``s3://bucket/prefix`` holding the model's files; empty: a template parameter."""
    memory_mb: int = 2048
    timeout_s: int = 30
    log_rate: float = 0.0


def registry_reference(text: str) -> str:
    """``churn@production`` → ``models:/churn@production``; other references unchanged."""
    text = text.strip()
    if not text:
        raise InvalidInput("name the model to deploy, e.g. churn@production")
    if _ALIAS_REF.match(text) and not Path(text).exists():
        return f"models:/{text}"
    return text


def sam_template(deployment: LambdaDeployment) -> str:
    """The template as YAML text (CloudFormation intrinsics in their long form)."""
    if not 128 <= deployment.memory_mb <= 10240:
        raise InvalidInput("Lambda memory must be between 128 and 10240 MB")
    if not 1 <= deployment.timeout_s <= 900:
        raise InvalidInput("the Lambda timeout must be between 1 and 900 seconds")
    bucket_default = ""
    if deployment.object_store:
        match = _S3.match(deployment.object_store)
        if match is None:
            raise InvalidInput(
                f"{deployment.object_store!r} is not an S3 object store",
                hint="Lambda reads models from S3: set objects.path = 's3://bucket/prefix'",
            )
        bucket_default = match.group(1)
    parameters: dict[str, Any] = {
        "ImageUri": {
            "Type": "String",
            "Description": "ECR image built from the Dockerfile in this template's header",
        },
        "ObjectStore": {
            "Type": "String",
            "Default": deployment.object_store,
            "Description": "Shipyard object store holding the model (s3://bucket/prefix)",
        },
        "ObjectBucket": {
            "Type": "String",
            "Default": bucket_default,
            "Description": "The bucket of ObjectStore (the function may read it, nothing else)",
        },
        "MetadataUri": {
            "Type": "String",
            "Default": "",
            "NoEcho": True,
            "Description": "Shipyard metadata store (postgresql://…) that resolves aliases",
        },
    }
    function = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "PackageType": "Image",
            "ImageUri": {"Ref": "ImageUri"},
            "MemorySize": deployment.memory_mb,
            "Timeout": deployment.timeout_s,
            "Architectures": ["x86_64"],
            "Environment": {
                "Variables": {
                    "SHIPYARD_SERVE_MODELS": deployment.model,
                    "SHIPYARD_OBJECTS_PATH": {"Ref": "ObjectStore"},
                    "SHIPYARD_URI": {"Ref": "MetadataUri"},
                    "HOME": "/tmp",  # noqa: S108  (the only writable folder on Lambda)
                }
            },
            "Policies": [{"S3ReadPolicy": {"BucketName": {"Ref": "ObjectBucket"}}}],
            "Events": {
                "Api": {"Type": "HttpApi", "Properties": {"Path": "/{proxy+}", "Method": "ANY"}}
            },
        },
    }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"Shipyard {__version__}: serves {deployment.model} on AWS Lambda",
        "Parameters": parameters,
        "Resources": {"ModelFunction": function},
        "Outputs": {
            "Endpoint": {
                "Description": "Base URL: POST /invocations or /v2/models/{name}/infer",
                "Value": {
                    "Fn::Sub": "https://${ServerlessHttpApi}.execute-api.${AWS::Region}"
                    ".amazonaws.com"
                },
            }
        },
    }
    header = "\n".join(
        [
            f"# Generated by `shipyard deploy lambda {deployment.model}`.",
            "# Build and push the image, then deploy:",
            "#   docker build -t shipyard-serve . && docker push <ecr-repo>/shipyard-serve",
            "#   sam deploy --guided --template-file template.yaml",
            "# Dockerfile:",
            *[f"#   {line}" for line in DOCKERFILE.strip().splitlines()],
            "",
        ]
    )
    return header + yaml.safe_dump(template, sort_keys=False, width=100)
