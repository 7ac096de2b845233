//! Helm charts stored as OCI artifacts: the chart's metadata from its config blob.

use serde::{Deserialize, Serialize};

use super::{Contents, FileRef, Summary, Unreadable};
use crate::oci::ImageManifest;

pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HelmChart {
    pub name: Option<String>,
    pub version: Option<String>,
    pub app_version: Option<String>,
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub chart_type: Option<String>,
    #[serde(default, skip_deserializing)]
    pub layers: Vec<FileRef>,
    /// Why the config could not be read, when it could not.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// Reads a chart config (`Chart.yaml` as JSON).
pub fn parse_config(bytes: &[u8]) -> Result<HelmChart, Unreadable> {
    let chart: HelmChart = super::json::parse(bytes).map_err(|e| Unreadable::new("Helm chart config", e))?;
    if chart.name.is_none() {
        return Err(Unreadable::new("Helm chart config", "the chart has no name"));
    }
    Ok(chart)
}

pub fn summarize(m: &ImageManifest, contents: &Contents) -> Summary {
    let mut chart = match contents.get(&m.config.digest) {
        Some(bytes) => parse_config(bytes).unwrap_or_else(|e| HelmChart {
            problem: Some(e.to_string()),
            ..HelmChart::default()
        }),
        None => HelmChart {
            problem: Some(format!("the chart config ({} bytes) was not fetched", m.config.size)),
            ..HelmChart::default()
        },
    };
    chart.layers = m.layers.iter().map(FileRef::of).collect();
    Summary::HelmChart(chart)
}
