//! Building and uploading artifacts: `push` (optionally tagged) and `attach` (with a subject,
//! keeping the tag-schema referrers index up to date where the registry does not).

use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::Engine;
use futures_util::{StreamExt, TryStreamExt};

use super::tag_schema;
use super::pack::{FileInput, Layer, LayerData, pack};
use super::progress::{Outcome, Progress};
use crate::error::{Error, Result};
use crate::oci::media_types::{self, annotations};
use crate::oci::{Annotations, Descriptor, Digest, ImageManifest, ManifestBlob, manifest};
use crate::store::{BlobSource, Target};

/// The artifact type ORAS gives a push without `--artifact-type`.
pub const UNKNOWN_ARTIFACT: &str = "application/vnd.unknown.artifact.v1";

/// What to build.
#[derive(Debug, Clone, Default)]
pub struct ArtifactSpec {
    pub artifact_type: Option<String>,
    pub files: Vec<FileInput>,
    /// Manifest annotations; `org.opencontainers.image.created` is added when missing.
    pub annotations: Annotations,
    /// Annotations for single layers, by title.
    pub file_annotations: BTreeMap<String, Annotations>,
    pub config_annotations: Option<Annotations>,
    pub subject: Option<Descriptor>,
}

/// A built artifact: the manifest bytes and where each blob's bytes are.
#[derive(Debug)]
pub struct Built {
    pub manifest: ManifestBlob,
    pub config: Descriptor,
    pub layers: Vec<Layer>,
}

impl Built {
    /// The descriptor a referrers list carries for this artifact.
    pub fn referrer_descriptor(&self, artifact_type: &str, annotations: &Annotations) -> Descriptor {
        let mut d = self.manifest.descriptor();
        d.artifact_type = Some(artifact_type.to_string());
        if !annotations.is_empty() {
            d.annotations = Some(annotations.clone());
        }
        d
    }
}

/// Parses `KEY=VALUE` annotations (the `-a` flag, the attach dialog).
pub fn parse_annotations(pairs: &[String]) -> Result<Annotations> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| Error::usage(format!("annotation `{p}` is not KEY=VALUE")))
        })
        .collect()
}

/// The empty JSON config (`{}`) ORAS uses for artifacts, with its bytes inline.
pub fn empty_descriptor() -> Descriptor {
    let mut d = Descriptor::new(media_types::OCI_EMPTY, Digest::sha256_of(b"{}"), 2);
    d.data = Some(base64::engine::general_purpose::STANDARD.encode(b"{}"));
    d
}

/// Packs the files and writes the manifest. Blocking (hashes files); run off the runtime.
pub fn build(spec: &ArtifactSpec, now: SystemTime) -> Result<Built> {
    let mut annotations = spec.annotations.clone();
    let created = annotations
        .entry(annotations::CREATED.to_string())
        .or_insert_with(|| humantime::format_rfc3339_seconds(now).to_string())
        .clone();
    let mtime = humantime::parse_rfc3339_weak(&created)
        .unwrap_or(now)
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut layers = pack(&spec.files, mtime, &spec.file_annotations)?;
    if layers.is_empty() {
        layers.push(Layer {
            descriptor: empty_descriptor(),
            data: LayerData::Bytes(bytes::Bytes::from_static(b"{}")),
        });
    }
    let mut config = empty_descriptor();
    config.annotations = spec.config_annotations.clone().filter(|a| !a.is_empty());
    let m = ImageManifest {
        schema_version: 2,
        media_type: Some(media_types::OCI_MANIFEST.to_string()),
        artifact_type: Some(spec.artifact_type.clone().unwrap_or_else(|| UNKNOWN_ARTIFACT.to_string())),
        config: config.clone(),
        layers: layers.iter().map(|l| l.descriptor.clone()).collect(),
        subject: spec.subject.clone(),
        annotations: Some(annotations),
    };
    let manifest = ManifestBlob::new(manifest::to_bytes(&m), Some(media_types::OCI_MANIFEST))?;
    Ok(Built { manifest, config, layers })
}

/// What an upload did.
#[derive(Debug, Clone)]
pub struct Uploaded {
    pub manifest: Descriptor,
    /// Blobs sent, and blobs already there.
    pub sent: Vec<Descriptor>,
    pub skipped: Vec<Descriptor>,
    /// The registry acknowledged the subject (`OCI-Subject`).
    pub subject_acknowledged: bool,
    /// Set when the tag-schema referrers index was updated.
    pub tag_schema: Option<tag_schema::Outcome>,
}

/// Uploads the blobs (skipping those present), then the manifest, by digest or under `tags`.
pub async fn upload(target: &dyn Target, repo: &str, built: &Built, tags: &[String], progress: &Progress) -> Result<Uploaded> {
    let mut results = send_blobs(target, repo, built, progress).await?;
    let first = tags.first().cloned().unwrap_or_else(|| built.manifest.digest.to_string());
    let mut resent = Vec::new();
    let pushed = super::push_manifest_resending(target, repo, &first, &built.manifest, || async {
        resent = send_blobs(target, repo, built, progress).await?;
        Ok(())
    })
    .await?;
    results.extend(resent.into_iter().filter(|(_, sent)| *sent));
    for t in tags.iter().skip(1) {
        target.push_manifest(repo, t, &built.manifest).await?;
    }
    let (sent, skipped): (Vec<_>, Vec<_>) = results.into_iter().partition(|(_, sent)| *sent);
    Ok(Uploaded {
        manifest: built.manifest.descriptor(),
        sent: sent.into_iter().map(|(d, _)| d).collect(),
        skipped: skipped.into_iter().map(|(d, _)| d).collect(),
        subject_acknowledged: pushed.subject_acknowledged,
        tag_schema: None,
    })
}

/// Sends the config and layers that the target does not have; `true` marks those sent.
async fn send_blobs(target: &dyn Target, repo: &str, built: &Built, progress: &Progress) -> Result<Vec<(Descriptor, bool)>> {
    let mut blobs: Vec<(&Descriptor, BlobSource)> = vec![(&built.config, BlobSource::Bytes(bytes::Bytes::from_static(b"{}")))];
    for l in &built.layers {
        let source = match &l.data {
            LayerData::File(p) => BlobSource::File(p.clone()),
            LayerData::Packed(p) => BlobSource::File(p.to_path_buf()),
            LayerData::Bytes(b) => BlobSource::Bytes(b.clone()),
        };
        if !blobs.iter().any(|(d, _)| d.digest == l.descriptor.digest) {
            blobs.push((&l.descriptor, source));
        }
    }
    crate::graph::eager(blobs.into_iter().map(|(desc, source)| async move {
        let label = desc.title().map(str::to_string).unwrap_or_else(|| desc.digest.short().to_string());
        let task = progress.start(label, desc.size);
        if super::stat_before_send(target, repo, &desc.digest).await? == Some(desc.size) {
            task.finish(Outcome::Skipped);
            return Ok::<_, Error>((desc.clone(), false));
        }
        match target.push_blob(repo, desc, source, task.bytes()).await {
            Ok(()) => {
                task.finish(Outcome::Done);
                Ok((desc.clone(), true))
            }
            Err(e) => {
                task.finish(Outcome::Failed(e.to_string()));
                Err(e)
            }
        }
    }))
    .buffer_unordered(3)
    .try_collect()
    .await
}

/// Uploads a built artifact that has a subject, and lists it in the subject's tag-schema
/// index when the registry did not take care of it.
pub async fn attach(target: &dyn Target, repo: &str, built: &Built, progress: &Progress) -> Result<Uploaded> {
    let parsed = built.manifest.parse()?;
    let subject = parsed
        .subject()
        .cloned()
        .ok_or_else(|| Error::usage("an attached artifact needs a subject"))?;
    let mut up = upload(target, repo, built, &[], progress).await?;
    if !up.subject_acknowledged && target.needs_referrers_index() {
        let entry = built.referrer_descriptor(
            parsed.artifact_type().unwrap_or(UNKNOWN_ARTIFACT),
            parsed.annotations().unwrap_or(&Annotations::new()),
        );
        up.tag_schema = Some(tag_schema::update(target, repo, &subject.digest, &tag_schema::Change::Add(vec![entry])).await?);
    }
    Ok(up)
}

/// Puts the manifest `reference` points at under each of `tags`.
pub async fn tag(target: &dyn Target, repo: &str, reference: &str, tags: &[String]) -> Result<Descriptor> {
    let blob = target.fetch_manifest(repo, reference).await?;
    for t in tags {
        target.push_manifest(repo, t, &blob).await?;
    }
    Ok(blob.descriptor())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations() {
        assert_eq!(parse_annotations(&["a=b=c".into()]).unwrap()["a"], "b=c");
        assert!(parse_annotations(&["novalue".into()]).is_err());
        assert!(parse_annotations(&["=value".into()]).is_err());
    }
}
