"""Writes the documents refscope's inspection tests read, made with tools nobody here wrote.

    python3 gen.py OUTDIR SUBJECT_DIGEST REFERENCE

SUBJECT_DIGEST (sha256:...) is the manifest the statements and signatures are about;
REFERENCE is the image's name for the cosign payload. OUTDIR gets the documents and
expected.json: what each one says, read back from the documents with plain json, not with
refscope's parsers.
"""

import base64
import datetime
import hashlib
import json
import os
import subprocess
import sys

import cbor2
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

out, subject, reference = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
expected = {}


def path(name):
    return os.path.join(out, name)


def write(name, data):
    with open(path(name), "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


# ---- certificates (openssl): a CA and a signer with an e-mail identity and Fulcio's issuer ----
ISSUER_URL = "https://issuer.example.com"
openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", path("ca.key"), "-out", path("ca.crt"), "-days", "3650",
        "-subj", "/CN=refscope test CA/O=refscope tests")
openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", path("signer.key"), "-out", path("signer.csr"),
        "-subj", "/CN=refscope test signer/O=refscope tests")
write("ext.cnf", "subjectAltName=email:signer@example.com\n"
      "keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n"
      f"1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:{ISSUER_URL}\n")
openssl("x509", "-req", "-in", path("signer.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
        "-CAcreateserial", "-out", path("signer.crt"), "-days", "365", "-extfile", path("ext.cnf"))
with open(path("signer.key"), "rb") as f:
    key_pem = f.read()
key = serialization.load_pem_private_key(key_pem, None)
with open(path("signer.crt"), "rb") as f:
    cert_pem = f.read()
cert = x509.load_pem_x509_certificate(cert_pem)
with open(path("ca.crt"), "rb") as f:
    ca = x509.load_pem_x509_certificate(f.read())
cert_der = cert.public_bytes(serialization.Encoding.DER)
ca_der = ca.public_bytes(serialization.Encoding.DER)
signer = {
    "subject": "CN=refscope test signer, O=refscope tests",
    "issuer": "CN=refscope test CA, O=refscope tests",
    "identities": ["signer@example.com"],
    "oidcIssuer": ISSUER_URL,
}
expected["signer"] = signer


def ecdsa(data):
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


# ---- CycloneDX (cyclonedx-bom): the SBOM of this Python environment ----
subprocess.run([sys.executable, "-m", "cyclonedx_py", "environment", "--of", "JSON", "--sv", "1.5", "--output-reproducible",
                "-o", path("cyclonedx.json"), sys.executable], check=True, capture_output=True)
with open(path("cyclonedx.json")) as f:
    bom = json.load(f)


def components(cs):
    for c in cs or []:
        yield c
        yield from components(c.get("components"))


cdx = list(components(bom.get("components")))
expected["cyclonedx"] = {
    "specVersion": bom["specVersion"],
    "packages": len(cdx),
    "packageList": [{k: v for k, v in (("name", c.get("name", "")), ("version", c.get("version"))) if v is not None} for c in cdx],
}

# ---- SPDX 2.3 (spdx-tools) ----
from license_expression import get_spdx_licensing
from spdx_tools.spdx.model import (Actor, ActorType, CreationInfo, Document, Package,
                                   Relationship, RelationshipType, SpdxNoAssertion)
from spdx_tools.spdx.writer.write_anything import write_file

licensing = get_spdx_licensing()
created = datetime.datetime(2025, 3, 1, 9, 0, 0)
info = CreationInfo(spdx_version="SPDX-2.3", spdx_id="SPDXRef-DOCUMENT", name="net-monitor-sbom",
                    document_namespace="https://example.com/spdx/net-monitor",
                    creators=[Actor(ActorType.TOOL, "spdx-tools-0.8.5"), Actor(ActorType.ORGANIZATION, "Example")],
                    created=created)
spdx_packages = [("busybox", "1.36.1", "GPL-2.0-only"), ("iproute2", "6.1.0", "GPL-2.0-or-later"),
                 ("libc6", "2.36", "LGPL-2.1-or-later"), ("zlib", "1.2.13", "Zlib"), ("net-monitor", "1.0.0", None)]
doc = Document(info)
for i, (name, version, lic) in enumerate(spdx_packages):
    doc.packages.append(Package(spdx_id=f"SPDXRef-pkg{i}", name=name, version=version,
                                download_location=SpdxNoAssertion(),
                                license_concluded=licensing.parse(lic) if lic else SpdxNoAssertion(),
                                files_analyzed=False))
    doc.relationships.append(Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, f"SPDXRef-pkg{i}"))
write_file(doc, path("spdx.json"))
with open(path("spdx.json")) as f:
    spdx = json.load(f)
expected["spdx"] = {
    "specVersion": spdx["spdxVersion"].removeprefix("SPDX-"),
    "packages": len(spdx["packages"]),
    "packageList": [{"name": p["name"], "version": p["versionInfo"]} for p in spdx["packages"]],
    "licenses": {lic: 1 for _, _, lic in spdx_packages if lic},
}

# ---- in-toto statements (in-toto-attestation), DSSE-signed (securesystemslib) ----
from google.protobuf import json_format
from in_toto_attestation.v1 import resource_descriptor, statement
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner

alg, hexd = subject.split(":")
other = "sha256:" + hashlib.sha256(b"some other image").hexdigest()
slsa_v1 = {
    "buildDefinition": {"buildType": "https://example.com/buildtypes/make@v1", "externalParameters": {"target": "all"}},
    "runDetails": {"builder": {"id": "https://ci.example.com/builders/linux"}, "metadata": {"invocationId": "42"}},
}
slsa_v02 = {"builder": {"id": "https://ci.example.com/builders/v02"}, "buildType": "https://example.com/buildtypes/legacy@v0.2",
            "invocation": {"configSource": {}}}


def statement_json(digest, predicate_type, predicate):
    a, h = digest.split(":")
    rd = resource_descriptor.ResourceDescriptor(name=reference, digest={a: h})
    st = statement.Statement([rd.pb], predicate_type, predicate)
    st.validate()
    return json_format.MessageToJson(st.pb).encode()


signer_obj = CryptoSigner(key)


def dsse(payload):
    env = Envelope(payload, "application/vnd.in-toto+json", {})
    env.sign(signer_obj)
    return json.dumps(env.to_dict())


bare = statement_json(subject, "https://slsa.dev/provenance/v1", slsa_v1)
write("statement.json", bare)
write("dsse-v1.json", dsse(bare))
write("dsse-v02.json", dsse(statement_json(subject, "https://slsa.dev/provenance/v0.2", slsa_v02)))
write("dsse-mismatch.json", dsse(statement_json(other, "https://slsa.dev/provenance/v1", slsa_v1)))
expected["attestation"] = {
    "v1": {"predicateType": "https://slsa.dev/provenance/v1", "builderId": "https://ci.example.com/builders/linux",
           "buildType": "https://example.com/buildtypes/make@v1"},
    "v02": {"predicateType": "https://slsa.dev/provenance/v0.2", "builderId": "https://ci.example.com/builders/v02",
            "buildType": "https://example.com/buildtypes/legacy@v0.2"},
    "subjects": [{"name": reference, "digest": subject}],
    "otherSubjects": [{"name": reference, "digest": other}],
}

# ---- notation envelopes: JWS (pyjwt) and COSE (pycose) ----
target = json.dumps({"targetArtifact": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                        "digest": subject, "size": 1234}}).encode()
signing_time = datetime.datetime(2025, 3, 1, 9, 0, 0, tzinfo=datetime.timezone.utc)
expiry = datetime.datetime(2026, 3, 1, 9, 0, 0, tzinfo=datetime.timezone.utc)
headers = {"typ": None, "cty": "application/vnd.cncf.notary.payload.v1+json",
           "crit": ["io.cncf.notary.signingScheme", "io.cncf.notary.expiry"],
           "io.cncf.notary.signingScheme": "notary.x509",
           "io.cncf.notary.signingTime": signing_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
           "io.cncf.notary.expiry": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}
compact = jwt.PyJWS().encode(target, key_pem, algorithm="ES256", headers=headers)
protected, payload, signature = compact.split(".")
write("notation.jws", json.dumps({
    "payload": payload, "protected": protected, "signature": signature,
    "header": {"x5c": [base64.b64encode(cert_der).decode(), base64.b64encode(ca_der).decode()],
               "io.cncf.notary.signingAgent": "refscope-tests/1.0"},
}))

from pycose.algorithms import Es256
from pycose.headers import Algorithm, ContentType, Critical, X5chain
from pycose.keys import EC2Key
from pycose.messages import Sign1Message

numbers = key.private_numbers()
cose_key = EC2Key(crv="P_256", d=numbers.private_value.to_bytes(32, "big"),
                  x=numbers.public_numbers.x.to_bytes(32, "big"), y=numbers.public_numbers.y.to_bytes(32, "big"))
msg = Sign1Message(
    phdr={Algorithm: Es256, Critical: ["io.cncf.notary.signingScheme"],
          ContentType: "application/vnd.cncf.notary.payload.v1+json",
          "io.cncf.notary.signingScheme": "notary.x509",
          "io.cncf.notary.signingTime": cbor2.CBORTag(1, int(signing_time.timestamp())),
          "io.cncf.notary.expiry": cbor2.CBORTag(1, int(expiry.timestamp()))},
    uhdr={X5chain: [cert_der, ca_der], "io.cncf.notary.signingAgent": "refscope-tests/1.0"},
    payload=target)
msg.key = cose_key
write("notation.cose", msg.encode())
expected["notation"] = {"signingScheme": "notary.x509", "signingTime": "2025-03-01T09:00:00Z", "expiry": "2026-03-01T09:00:00Z"}

# ---- cosign simple signing, built from its published format, signed with the signer key ----
simple = json.dumps({"critical": {"identity": {"docker-reference": reference},
                                  "image": {"docker-manifest-digest": subject},
                                  "type": "cosign container image signature"},
                     "optional": {"creator": "refscope-tests"}}).encode()
write("cosign.json", simple)
rekor = {"SignedEntryTimestamp": base64.b64encode(b"set").decode(),
         "Payload": {"body": base64.b64encode(b"{}").decode(), "integratedTime": 1740819600,
                     "logIndex": 123456789, "logID": "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"}}
write("cosign-annotations.json", json.dumps({
    "dev.cosignproject.cosign/signature": base64.b64encode(ecdsa(simple)).decode(),
    "dev.sigstore.cosign/certificate": cert_pem.decode(),
    "dev.sigstore.cosign/chain": cert_pem.decode(),
    "dev.sigstore.cosign/bundle": json.dumps(rekor),
}))

# ---- sigstore bundles ----
message_digest = hashlib.sha256(b"the signed artifact").digest()
tlog = {"logIndex": "123456789", "logId": {"keyId": base64.b64encode(b"log").decode()},
        "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"}, "integratedTime": "1740819600",
        "inclusionPromise": {"signedEntryTimestamp": base64.b64encode(b"set").decode()},
        "inclusionProof": {"logIndex": "123456789", "rootHash": base64.b64encode(bytes(32)).decode(), "treeSize": "123456790",
                           "hashes": [base64.b64encode(bytes(32)).decode()],
                           "checkpoint": {"envelope": "log.example.com - 1\n123456790\nAAAA\n\n- log.example.com c2ln\n"}},
        "canonicalizedBody": base64.b64encode(b"{}").decode()}
write("bundle-v01.json", json.dumps({
    "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "verificationMaterial": {"x509CertificateChain": {"certificates": [{"rawBytes": base64.b64encode(cert_der).decode()}]},
                             "tlogEntries": [tlog]},
    "messageSignature": {"messageDigest": {"algorithm": "SHA2_256", "digest": base64.b64encode(message_digest).decode()},
                         "signature": base64.b64encode(ecdsa(b"the signed artifact")).decode()},
}))
# v0.3 with a DSSE envelope around a statement about the subject, as cosign v3 writes it.
dsse_env = json.loads(dsse(statement_json(subject, "https://sigstore.dev/cosign/sign/v1", {"signer": "refscope-tests"})))
bundle_v03 = {
    "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
    "verificationMaterial": {"certificate": {"rawBytes": base64.b64encode(cert_der).decode()},
                             "tlogEntries": [dict(tlog, kindVersion={"kind": "dsse", "version": "0.0.1"})]},
    "dsseEnvelope": dsse_env,
}
write("bundle-v03.json", json.dumps(bundle_v03))
# The sigstore package loads both, checking them against its own model of the format (it
# cannot sign here: that needs Fulcio and Rekor on the network).
from sigstore.models import Bundle as SigstoreBundle

for name in ("bundle-v01.json", "bundle-v03.json"):
    with open(path(name)) as f:
        SigstoreBundle.from_json(f.read())
expected["bundle"] = {"messageDigest": "sha256:" + message_digest.hex(), "logIndex": "123456789",
                      "integratedTime": "2025-03-01T09:00:00Z"}

write("expected.json", json.dumps(expected, indent=2))
