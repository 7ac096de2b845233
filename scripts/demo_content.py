"""Writes the documents of the demo's `release` repository with tools nobody here wrote: SBOMs
(spdx-tools, cyclonedx-python-lib from cyclonedx-bom), SLSA provenance (in-toto-attestation,
DSSE-signed with securesystemslib), a cosign simple-signing payload with its annotations, a
sigstore bundle (checked by the sigstore package), and notation signatures on the SBOMs (JWS
with pyjwt, COSE with pycose).

Run by `cargo run --example generate_demo -- --content`, in two steps, because a signature
names the digest of what it signs:

    python3 scripts/demo_content.py statements OUTDIR SUBJECTS_JSON
    python3 scripts/demo_content.py signatures OUTDIR SUBJECTS_JSON

SUBJECTS_JSON names the descriptors (mediaType, digest, size) the documents are about: the
index, each platform manifest, and for `signatures` each SBOM manifest. The output is the same
on every run: fixed times, and keys derived from fixed strings. They are demo keys, published
here on purpose; nothing they sign should be trusted.
"""

import base64
import datetime
import hashlib
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REFERENCE = "registry.example.com/release"
VERSION = "1.1.0"
BUILT = datetime.datetime(2025, 3, 2, 10, 0, 0, tzinfo=datetime.timezone.utc)
SIGNED = datetime.datetime(2025, 3, 2, 10, 20, 0, tzinfo=datetime.timezone.utc)
OIDC_ISSUER = "https://oidc.ci.example.com"
WORKFLOW = "https://ci.example.com/net-monitor/release.yml@refs/tags/v1.1.0"
SOURCE = "git+https://git.example.com/net-monitor@refs/tags/v1.1.0"
COMMIT = hashlib.sha1(b"net-monitor v1.1.0").hexdigest()
PLATFORMS = ["linux/amd64", "linux/arm64"]


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def b64(data):
    return base64.b64encode(data).decode()


# ---- demo keys: derived from public strings, so every run makes the same ones ----
def p256(label):
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    d = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (order - 1) + 1
    return ec.derive_private_key(d, ec.SECP256R1())


def ecdsa(key, data):
    # Deterministic (RFC 6979), so a rerun writes the same bytes.
    return key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))


ca_key = p256("refscope demo CA; not a secret")
cosign_key = p256("refscope demo cosign signer; not a secret")
notation_key = p256("refscope demo notation signer; not a secret")
log_key = p256("refscope demo transparency log; not a secret")
provenance_key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"refscope demo provenance key; not a secret").digest())


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example")])


def certificate(subject, key, issuer, issuer_key, serial, not_before, days, extensions):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
         .serial_number(serial).not_valid_before(not_before).not_valid_after(not_before + datetime.timedelta(days=days)))
    for ext, critical in extensions:
        b = b.add_extension(ext, critical)
    return b.sign(issuer_key, hashes.SHA256(), ecdsa_deterministic=True)


ca = certificate(name("Example demo CA"), ca_key, name("Example demo CA"), ca_key, 1,
                 datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc), 3650,
                 [(x509.BasicConstraints(ca=True, path_length=None), True),
                  (x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)])


def utf8_der(text):
    raw = text.encode()
    return b"\x0c" + bytes([len(raw)]) + raw


def leaf(cn, key, serial, extra):
    return certificate(name(cn), key, ca.subject, ca_key, serial, datetime.datetime(2025, 3, 2, 10, 15, tzinfo=datetime.timezone.utc), 365,
                       [(x509.BasicConstraints(ca=False, path_length=None), True),
                        (x509.KeyUsage(True, False, False, False, False, False, False, False, False), True),
                        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)] + extra)


# Like a Fulcio certificate: the CI workflow as identity, its OIDC issuer in Fulcio's extension.
cosign_cert = leaf("release-bot", cosign_key, 2, [
    (x509.SubjectAlternativeName([x509.UniformResourceIdentifier(WORKFLOW)]), True),
    (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), utf8_der(OIDC_ISSUER)), False)])
notation_cert = leaf("net-monitor release signing", notation_key, 3, [
    (x509.SubjectAlternativeName([x509.RFC822Name("release@example.com")]), False)])


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def write(out, name, data):
    with open(os.path.join(out, name), "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def arch(platform):
    return platform.split("/")[1]


# ---- SBOMs ----
# What the image holds: the script, the tools it runs, the C library under them.
IMAGE_PACKAGES = [("net-monitor", VERSION, "Apache-2.0"), ("busybox", "1.36.1", "GPL-2.0-only"),
                  ("iproute2", "6.1.0", "GPL-2.0-or-later"), ("musl", "1.2.4", "MIT"), ("libcap", "2.69", "BSD-3-Clause")]


def purl(pkg, version, platform):
    if pkg == "net-monitor":
        return f"pkg:oci/net-monitor@{version}?arch={arch(platform)}&repository_url=registry.example.com/release"
    return f"pkg:apk/alpine/{pkg}@{version}?arch={ {'amd64': 'x86_64', 'arm64': 'aarch64'}[arch(platform)] }"


def spdx_sbom(platform, path):
    from license_expression import get_spdx_licensing
    from spdx_tools.spdx.model import (Actor, ActorType, CreationInfo, Document, ExternalPackageRef,
                                       ExternalPackageRefCategory, Package, Relationship, RelationshipType,
                                       SpdxNoAssertion)
    from spdx_tools.spdx.writer.write_anything import write_file

    licensing = get_spdx_licensing()
    info = CreationInfo(spdx_version="SPDX-2.3", spdx_id="SPDXRef-DOCUMENT", name=f"net-monitor-{VERSION}-{arch(platform)}",
                        document_namespace=f"https://registry.example.com/spdx/release/{VERSION}/{arch(platform)}",
                        creators=[Actor(ActorType.TOOL, "spdx-tools-0.8.5"), Actor(ActorType.ORGANIZATION, "Example")],
                        created=BUILT.replace(tzinfo=None))
    doc = Document(info)
    for i, (pkg, version, lic) in enumerate(IMAGE_PACKAGES):
        doc.packages.append(Package(
            spdx_id=f"SPDXRef-Package-{pkg}", name=pkg, version=version, download_location=SpdxNoAssertion(),
            license_concluded=licensing.parse(lic), license_declared=licensing.parse(lic), files_analyzed=False,
            supplier=Actor(ActorType.ORGANIZATION, "Example" if pkg == "net-monitor" else "Alpine Linux"),
            external_references=[ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", purl(pkg, version, platform))]))
        kind = RelationshipType.DESCRIBES if i == 0 else RelationshipType.CONTAINS
        doc.relationships.append(Relationship("SPDXRef-DOCUMENT" if i == 0 else "SPDXRef-Package-net-monitor", kind, f"SPDXRef-Package-{pkg}"))
    write_file(doc, path, validate=True)


def cyclonedx_sbom(platform, path):
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.license import LicenseExpression
    from cyclonedx.output.json import JsonV1Dot5
    from cyclonedx.validation.json import JsonStrictValidator
    from cyclonedx.schema import SchemaVersion
    from packageurl import PackageURL
    import uuid

    bom = Bom(serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"https://registry.example.com/release/{VERSION}/{arch(platform)}"))
    bom.metadata.timestamp = BUILT
    from cyclonedx.contrib.this.builders import this_component
    bom.metadata.tools.components.add(this_component())
    root = Component(name="net-monitor", version=VERSION, type=ComponentType.CONTAINER, bom_ref="net-monitor",
                     purl=PackageURL.from_string(purl("net-monitor", VERSION, platform)))
    bom.metadata.component = root
    for pkg, version, lic in IMAGE_PACKAGES[1:]:
        c = Component(name=pkg, version=version, type=ComponentType.LIBRARY if pkg in ("musl", "libcap") else ComponentType.APPLICATION,
                      bom_ref=pkg, purl=PackageURL.from_string(purl(pkg, version, platform)), licenses=[LicenseExpression(lic)])
        bom.components.add(c)
        bom.register_dependency(root, [c])
    text = JsonV1Dot5(bom).output_as_string(indent=2)
    errors = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text)
    if errors:
        raise SystemExit(f"the CycloneDX SBOM does not validate: {errors}")
    write(os.path.dirname(path), os.path.basename(path), text + "\n")


# ---- provenance: SLSA v1 statements about each platform manifest, in DSSE ----
class DeterministicSigner:
    """A securesystemslib signer over a fixed ECDSA key with RFC 6979 signatures."""

    def __init__(self, key, keyid):
        self.key, self.keyid = key, keyid

    def sign(self, payload):
        from securesystemslib.signer import Signature
        return Signature(self.keyid, ecdsa(self.key, payload).hex())


def provenance_signer():
    # Ed25519 signatures are deterministic; securesystemslib names the key by its own keyid.
    from securesystemslib.signer import CryptoSigner
    return CryptoSigner(provenance_key)


def statement(subject_digest, predicate_type, predicate):
    from google.protobuf import json_format
    from in_toto_attestation.v1 import resource_descriptor, statement as st

    alg, hexd = subject_digest.split(":")
    rd = resource_descriptor.ResourceDescriptor(name=REFERENCE, digest={alg: hexd})
    s = st.Statement([rd.pb], predicate_type, predicate)
    s.validate()
    return json_format.MessageToJson(s.pb, sort_keys=True).encode()


def dsse(payload, signer):
    from securesystemslib.dsse import Envelope
    env = Envelope(payload, "application/vnd.in-toto+json", {})
    env.sign(signer)
    return json.dumps(env.to_dict(), indent=2) + "\n"


def provenance(platform, digest):
    return {
        "buildDefinition": {
            "buildType": "https://ci.example.com/buildtypes/container@v1",
            "externalParameters": {"source": SOURCE, "platform": platform, "dockerfile": "Containerfile"},
            "internalParameters": {"runner": f"linux-{arch(platform)}"},
            "resolvedDependencies": [{"uri": SOURCE, "digest": {"gitCommit": COMMIT}}],
        },
        "runDetails": {
            "builder": {"id": "https://ci.example.com/builders/release@v2", "version": {"ci": "2.4.0"}},
            "metadata": {"invocationId": f"https://ci.example.com/net-monitor/runs/1187/{arch(platform)}",
                         "startedOn": stamp(BUILT - datetime.timedelta(minutes=4)), "finishedOn": stamp(BUILT)},
        },
    }


# ---- cosign: simple signing of the index, with certificate and Rekor bundle annotations ----
def rekor_body(kind, spec):
    return json.dumps({"apiVersion": "0.0.1", "kind": kind, "spec": spec}, separators=(",", ":"), sort_keys=True).encode()


LOG_ID = hashlib.sha256(log_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()
INTEGRATED = int(SIGNED.timestamp())


def cosign(out, index_digest):
    payload = json.dumps({"critical": {"identity": {"docker-reference": REFERENCE},
                                       "image": {"docker-manifest-digest": index_digest},
                                       "type": "cosign container image signature"},
                          "optional": None}, separators=(",", ":")).encode()
    signature = ecdsa(cosign_key, payload)
    body = rekor_body("hashedrekord", {"data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()}},
                                       "signature": {"content": b64(signature), "publicKey": {"content": b64(pem(cosign_cert).encode())}}})
    entry = {"body": b64(body), "integratedTime": INTEGRATED, "logIndex": 181818181, "logID": LOG_ID}
    set_sig = ecdsa(log_key, json.dumps(entry, separators=(",", ":"), sort_keys=True).encode())
    write(out, "cosign-payload.json", payload)
    write(out, "cosign-annotations.json", json.dumps({
        "dev.cosignproject.cosign/signature": b64(signature),
        "dev.sigstore.cosign/certificate": pem(cosign_cert),
        "dev.sigstore.cosign/chain": pem(ca),
        "dev.sigstore.cosign/bundle": json.dumps({"SignedEntryTimestamp": b64(set_sig), "Payload": entry}, separators=(",", ":")),
    }, indent=2) + "\n")


# ---- a sigstore bundle (v0.3, DSSE) on the index, as cosign v3 attaches one ----
def sigstore_bundle(out, index_digest):
    keyid = ""
    env = json.loads(dsse(statement(index_digest, "https://sigstore.dev/cosign/sign/v1", {"reference": f"{REFERENCE}:v{VERSION}"}), DeterministicSigner(cosign_key, keyid)))
    body = rekor_body("dsse", {"envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(json.dumps(env, separators=(",", ":")).encode()).hexdigest()},
                               "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(base64.b64decode(env["payload"])).hexdigest()},
                               "signatures": [{"signature": env["signatures"][0]["sig"], "verifier": b64(pem(cosign_cert).encode())}]})
    tree_size = 181818190
    checkpoint = f"log.example.com - 1\n{tree_size}\n{b64(hashlib.sha256(body).digest())}\n\n"
    checkpoint += f"- log.example.com {b64(ecdsa(log_key, checkpoint.encode()))}\n"
    entry = {"logIndex": "181818182", "logId": {"keyId": b64(bytes.fromhex(LOG_ID))},
             "kindVersion": {"kind": "dsse", "version": "0.0.1"}, "integratedTime": str(INTEGRATED + 1),
             "inclusionPromise": {"signedEntryTimestamp": b64(ecdsa(log_key, body))},
             "inclusionProof": {"logIndex": "181818182", "rootHash": b64(hashlib.sha256(body).digest()), "treeSize": str(tree_size),
                                "hashes": [b64(hashlib.sha256(body + bytes([i])).digest()) for i in range(3)],
                                "checkpoint": {"envelope": checkpoint}},
             "canonicalizedBody": b64(body)}
    bundle = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
              "verificationMaterial": {"certificate": {"rawBytes": b64(der(cosign_cert))}, "tlogEntries": [entry]},
              "dsseEnvelope": env}
    text = json.dumps(bundle, indent=2) + "\n"
    from sigstore.models import Bundle
    Bundle.from_json(text)
    write(out, "bundle.sigstore.json", text)


# ---- notation signatures on the SBOMs: JWS (pyjwt) and COSE (pycose) ----
def notation_payload(desc):
    return json.dumps({"targetArtifact": {"mediaType": desc["mediaType"], "digest": desc["digest"], "size": desc["size"]}},
                      separators=(",", ":")).encode()


EXPIRY = SIGNED.replace(year=SIGNED.year + 1)


def notation_jws(desc):
    import jwt
    from jwt.algorithms import ECAlgorithm
    from jwt.utils import der_to_raw_signature

    class DeterministicES256(ECAlgorithm):
        def sign(self, msg, key):
            return der_to_raw_signature(ecdsa(key, msg), key.curve)

    jws = jwt.PyJWS(algorithms=[])
    jws.register_algorithm("ES256", DeterministicES256(ECAlgorithm.SHA256))
    headers = {"typ": None, "cty": "application/vnd.cncf.notary.payload.v1+json",
               "crit": ["io.cncf.notary.signingScheme"], "io.cncf.notary.signingScheme": "notary.x509",
               "io.cncf.notary.signingTime": stamp(SIGNED), "io.cncf.notary.expiry": stamp(EXPIRY)}
    compact = jws.encode(notation_payload(desc), notation_key, algorithm="ES256", headers=headers)
    protected, payload, signature = compact.split(".")
    return json.dumps({"payload": payload, "protected": protected, "signature": signature,
                       "header": {"x5c": [b64(der(notation_cert)), b64(der(ca))], "io.cncf.notary.signingAgent": "notation-go/1.3.0"}},
                      indent=2) + "\n"


def notation_cose(desc):
    import cbor2
    from pycose.algorithms import Es256
    from pycose.headers import Algorithm, ContentType, Critical, X5chain
    from pycose.keys import EC2Key
    from pycose.messages import Sign1Message

    n = notation_key.private_numbers()
    key = EC2Key(crv="P_256", d=n.private_value.to_bytes(32, "big"), x=n.public_numbers.x.to_bytes(32, "big"),
                 y=n.public_numbers.y.to_bytes(32, "big"))
    msg = Sign1Message(
        phdr={Algorithm: Es256, Critical: ["io.cncf.notary.signingScheme"], ContentType: "application/vnd.cncf.notary.payload.v1+json",
              "io.cncf.notary.signingScheme": "notary.x509",
              "io.cncf.notary.signingTime": cbor2.CBORTag(1, int(SIGNED.timestamp())),
              "io.cncf.notary.expiry": cbor2.CBORTag(1, int(EXPIRY.timestamp()))},
        uhdr={X5chain: [der(notation_cert), der(ca)], "io.cncf.notary.signingAgent": "notation-go/1.3.0"},
        payload=notation_payload(desc))
    msg.key = key
    return msg.encode()


def thumbprints():
    return json.dumps([hashlib.sha256(der(c)).hexdigest() for c in (notation_cert, ca)], separators=(",", ":"))


def main():
    step, out, subjects_path = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    with open(subjects_path) as f:
        subjects = json.load(f)
    if step == "statements":
        for platform in PLATFORMS:
            a = arch(platform)
            if a == "amd64":
                spdx_sbom(platform, os.path.join(out, f"sbom-{a}.spdx.json"))
            else:
                cyclonedx_sbom(platform, os.path.join(out, f"sbom-{a}.cdx.json"))
            digest = subjects["platforms"][platform]["digest"]
            payload = statement(digest, "https://slsa.dev/provenance/v1", provenance(platform, digest))
            write(out, f"provenance-{a}.dsse.json", dsse(payload, provenance_signer()))
        cosign(out, subjects["index"]["digest"])
        sigstore_bundle(out, subjects["index"]["digest"])
    elif step == "signatures":
        write(out, "sbom-amd64.sig.jws", notation_jws(subjects["sboms"]["linux/amd64"]))
        write(out, "sbom-arm64.sig.cose", notation_cose(subjects["sboms"]["linux/arm64"]))
        write(out, "notation-thumbprints.json", thumbprints() + "\n")
    else:
        raise SystemExit(f"unknown step {step}; use `statements` or `signatures`")


if __name__ == "__main__":
    main()
