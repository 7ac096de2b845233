//! SBOMs: SPDX 2.x JSON and CycloneDX 1.x JSON.
//!
//! Both are read in one pass over the bytes with serde visitors: each package is folded into
//! the summary as it is read and its strings are borrowed from the input, so a document of
//! 100,000 packages costs little more memory than its own bytes. Unknown fields are skipped
//! without being built.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::{FileRef, Limits, Unreadable};

pub const SPDX_JSON: &str = "application/spdx+json";
pub const CYCLONEDX_JSON: &str = "application/vnd.cyclonedx+json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SbomFormat {
    Spdx,
    Cyclonedx,
}

impl SbomFormat {
    pub fn label(self) -> &'static str {
        match self {
            SbomFormat::Spdx => "SPDX",
            SbomFormat::Cyclonedx => "CycloneDX",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SbomSummary {
    pub format: SbomFormat,
    pub spec_version: String,
    /// The document's name (SPDX) or the component it describes (CycloneDX).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The tools that say they created it.
    pub tools: Vec<String>,
    /// How many packages (CycloneDX components, nested ones included) it lists.
    pub packages: u64,
    /// The packages in document order, up to the summary's bound.
    pub package_list: Vec<Package>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub package_list_truncated: bool,
    /// How many packages carry each license (SPDX: concluded, else declared).
    pub licenses: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<FileRef>,
}

/// A string borrowed from the input when it has no escapes.
#[derive(Deserialize)]
struct Str<'a>(#[serde(borrow)] Cow<'a, str>);

/// Packages and license counts, filled as the document is read.
struct Acc {
    count: u64,
    list: Vec<Package>,
    truncated: bool,
    licenses: HashMap<String, u64>,
    max: usize,
}

impl Acc {
    fn new(max: usize) -> Acc {
        Acc {
            count: 0,
            list: Vec::new(),
            truncated: false,
            licenses: HashMap::new(),
            max,
        }
    }

    /// Counts a package and keeps a place for it in the list, filled once it is read (nested
    /// components come before their parent's end).
    fn reserve(&mut self) -> Option<usize> {
        self.count = self.count.saturating_add(1);
        if self.list.len() < self.max {
            self.list.push(Package {
                name: String::new(),
                version: None,
            });
            Some(self.list.len() - 1)
        } else {
            self.truncated = true;
            None
        }
    }

    fn fill(&mut self, slot: Option<usize>, name: Option<Str>, version: Option<Str>) {
        if let Some(p) = slot.and_then(|i| self.list.get_mut(i)) {
            p.name = name.map(|s| s.0.into_owned()).unwrap_or_default();
            p.version = version.map(|s| s.0.into_owned());
        }
    }

    fn license(&mut self, id: &str) {
        match self.licenses.get_mut(id) {
            Some(n) => *n = n.saturating_add(1),
            None => {
                // Distinct licenses are bounded like packages; the rest count under one key.
                let key = if self.licenses.len() < self.max { id.to_string() } else { "(other)".to_string() };
                *self.licenses.entry(key).or_insert(0) += 1;
            }
        }
    }

    fn licenses(self) -> BTreeMap<String, u64> {
        self.licenses.into_iter().collect()
    }
}

// ---- CycloneDX ----

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum CdxKey {
    BomFormat,
    SpecVersion,
    Metadata,
    Components,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum ComponentKey {
    Name,
    Version,
    Licenses,
    Components,
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default)]
struct CdxMetadata {
    tools: Option<CdxTools>,
    component: Option<CdxTool>,
}

/// `metadata.tools`: a list of tools (1.4), or `{components, services}` (1.5 and later).
#[derive(Deserialize)]
#[serde(untagged)]
enum CdxTools {
    List(Vec<CdxTool>),
    Object {
        #[serde(default)]
        components: Vec<CdxTool>,
        #[serde(default)]
        services: Vec<CdxTool>,
    },
}

#[derive(Deserialize)]
struct CdxTool {
    vendor: Option<String>,
    group: Option<String>,
    name: Option<String>,
    version: Option<String>,
}

impl CdxTool {
    fn label(&self) -> String {
        let name = match (self.vendor.as_ref().or(self.group.as_ref()), &self.name) {
            (Some(v), Some(n)) => format!("{v} {n}"),
            (None, Some(n)) => n.clone(),
            (Some(v), None) => v.clone(),
            (None, None) => "(unnamed)".into(),
        };
        match &self.version {
            Some(v) => format!("{name} {v}"),
            None => name,
        }
    }
}

#[derive(Deserialize)]
struct LicenseChoice<'a> {
    #[serde(borrow)]
    license: Option<LicenseRef<'a>>,
    #[serde(borrow)]
    expression: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct LicenseRef<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

#[derive(Default)]
struct CdxTop {
    bom_format: Option<String>,
    spec_version: Option<String>,
    metadata: Option<CdxMetadata>,
}

struct CdxDoc<'a>(&'a mut Acc);

impl<'de> Visitor<'de> for CdxDoc<'_> {
    type Value = CdxTop;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CycloneDX JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CdxTop, A::Error> {
        let mut top = CdxTop::default();
        while let Some(key) = map.next_key::<CdxKey>()? {
            match key {
                CdxKey::BomFormat => top.bom_format = map.next_value()?,
                CdxKey::SpecVersion => top.spec_version = map.next_value()?,
                CdxKey::Metadata => top.metadata = map.next_value()?,
                CdxKey::Components => map.next_value_seed(Components(&mut *self.0))?,
                CdxKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(top)
    }
}

/// A `components` array (or `null`), each element folded into the accumulator.
struct Components<'a>(&'a mut Acc);

impl<'de> DeserializeSeed<'de> for Components<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Components<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of components")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Component(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

struct Component<'a>(&'a mut Acc);

impl<'de> DeserializeSeed<'de> for Component<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Component<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a component object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let acc = self.0;
        let slot = acc.reserve();
        let (mut name, mut version): (Option<Str>, Option<Str>) = (None, None);
        while let Some(key) = map.next_key::<ComponentKey>()? {
            match key {
                ComponentKey::Name => name = map.next_value()?,
                ComponentKey::Version => version = map.next_value()?,
                ComponentKey::Licenses => {
                    let choices: Option<Vec<LicenseChoice>> = map.next_value()?;
                    for c in choices.unwrap_or_default() {
                        let id = c.expression.or_else(|| c.license.and_then(|l| l.id.or(l.name)));
                        if let Some(id) = id {
                            acc.license(&id);
                        }
                    }
                }
                ComponentKey::Components => map.next_value_seed(Components(&mut *acc))?,
                ComponentKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        acc.fill(slot, name, version);
        Ok(())
    }
}

/// Reads a CycloneDX 1.x JSON document, keeping up to [`Limits::default`]'s packages.
pub fn parse_cyclonedx(bytes: &[u8]) -> Result<SbomSummary, Unreadable> {
    parse_cyclonedx_with(bytes, &Limits::default())
}

pub fn parse_cyclonedx_with(bytes: &[u8], limits: &Limits) -> Result<SbomSummary, Unreadable> {
    let invalid = |e: &dyn fmt::Display| Unreadable::new("CycloneDX", e);
    let mut acc = Acc::new(limits.max_items);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let top = de.deserialize_map(CdxDoc(&mut acc)).map_err(|e| invalid(&e))?;
    de.end().map_err(|e| invalid(&e))?;
    match top.bom_format.as_deref() {
        Some("CycloneDX") => {}
        Some(other) => return Err(invalid(&format!("bomFormat is `{other}`, not `CycloneDX`"))),
        None => return Err(invalid(&"no bomFormat")),
    }
    let spec_version = top.spec_version.ok_or_else(|| invalid(&"no specVersion"))?;
    if !spec_version.starts_with("1.") {
        return Err(invalid(&format!("specVersion {spec_version} is not 1.x")));
    }
    let meta = top.metadata.unwrap_or_default();
    let tools = match meta.tools {
        Some(CdxTools::List(t)) => t.iter().map(CdxTool::label).collect(),
        Some(CdxTools::Object { components, services }) => components.iter().chain(services.iter()).map(CdxTool::label).collect(),
        None => Vec::new(),
    };
    Ok(SbomSummary {
        format: SbomFormat::Cyclonedx,
        spec_version,
        name: meta.component.map(|c| c.label()),
        tools,
        packages: acc.count,
        package_list: std::mem::take(&mut acc.list),
        package_list_truncated: acc.truncated,
        licenses: acc.licenses(),
        file: None,
    })
}

// ---- SPDX ----

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum SpdxKey {
    SpdxVersion,
    Name,
    CreationInfo,
    Packages,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum PackageKey {
    Name,
    VersionInfo,
    LicenseConcluded,
    LicenseDeclared,
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default)]
struct CreationInfo {
    #[serde(default)]
    creators: Vec<String>,
}

#[derive(Default)]
struct SpdxTop {
    version: Option<String>,
    name: Option<String>,
    creation: Option<CreationInfo>,
}

struct SpdxDoc<'a>(&'a mut Acc);

impl<'de> Visitor<'de> for SpdxDoc<'_> {
    type Value = SpdxTop;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an SPDX JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SpdxTop, A::Error> {
        let mut top = SpdxTop::default();
        while let Some(key) = map.next_key::<SpdxKey>()? {
            match key {
                SpdxKey::SpdxVersion => top.version = map.next_value()?,
                SpdxKey::Name => top.name = map.next_value()?,
                SpdxKey::CreationInfo => top.creation = map.next_value()?,
                SpdxKey::Packages => map.next_value_seed(SpdxPackages(&mut *self.0))?,
                SpdxKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(top)
    }
}

struct SpdxPackages<'a>(&'a mut Acc);

impl<'de> DeserializeSeed<'de> for SpdxPackages<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SpdxPackages<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of packages")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(SpdxPackage(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

struct SpdxPackage<'a>(&'a mut Acc);

impl<'de> DeserializeSeed<'de> for SpdxPackage<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SpdxPackage<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a package object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let acc = self.0;
        let slot = acc.reserve();
        let (mut name, mut version): (Option<Str>, Option<Str>) = (None, None);
        let (mut concluded, mut declared): (Option<Str>, Option<Str>) = (None, None);
        while let Some(key) = map.next_key::<PackageKey>()? {
            match key {
                PackageKey::Name => name = map.next_value()?,
                PackageKey::VersionInfo => version = map.next_value()?,
                PackageKey::LicenseConcluded => concluded = map.next_value()?,
                PackageKey::LicenseDeclared => declared = map.next_value()?,
                PackageKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let known = |l: &Option<Str>| l.as_ref().is_some_and(|s| !matches!(s.0.as_ref(), "NOASSERTION" | "NONE" | ""));
        let license = if known(&concluded) { concluded } else if known(&declared) { declared } else { None };
        if let Some(l) = license {
            acc.license(&l.0);
        }
        acc.fill(slot, name, version);
        Ok(())
    }
}

/// Reads an SPDX 2.x JSON document, keeping up to [`Limits::default`]'s packages.
pub fn parse_spdx(bytes: &[u8]) -> Result<SbomSummary, Unreadable> {
    parse_spdx_with(bytes, &Limits::default())
}

pub fn parse_spdx_with(bytes: &[u8], limits: &Limits) -> Result<SbomSummary, Unreadable> {
    let invalid = |e: &dyn fmt::Display| Unreadable::new("SPDX", e);
    let mut acc = Acc::new(limits.max_items);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let top = de.deserialize_map(SpdxDoc(&mut acc)).map_err(|e| invalid(&e))?;
    de.end().map_err(|e| invalid(&e))?;
    let version = top.version.ok_or_else(|| invalid(&"no spdxVersion"))?;
    let Some(spec_version) = version.strip_prefix("SPDX-").filter(|v| v.starts_with("2.")) else {
        return Err(invalid(&format!("spdxVersion {version} is not SPDX-2.x")));
    };
    let tools = top
        .creation
        .unwrap_or_default()
        .creators
        .iter()
        .filter_map(|c| c.strip_prefix("Tool:").map(|t| t.trim().to_string()))
        .collect();
    Ok(SbomSummary {
        format: SbomFormat::Spdx,
        spec_version: spec_version.to_string(),
        name: top.name,
        tools,
        packages: acc.count,
        package_list: std::mem::take(&mut acc.list),
        package_list_truncated: acc.truncated,
        licenses: acc.licenses(),
        file: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyclonedx_nested_components_and_licenses() {
        let doc = br#"{"components":[{"name":"a","version":"1","licenses":[{"license":{"id":"MIT"}}],"components":[{"name":"a\"sub","licenses":[{"expression":"MIT OR Apache-2.0"}]}]},{"name":"b","version":"2","licenses":[{"license":{"name":"Custom"}}],"hashes":[{"alg":"SHA-256"}]}],"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"tools":{"components":[{"group":"CycloneDX","name":"cyclonedx-py","version":"7"}]},"component":{"name":"app","version":"0.1"}}}"#;
        let s = parse_cyclonedx(doc).unwrap();
        assert_eq!(s.packages, 3);
        let names: Vec<_> = s.package_list.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "a\"sub", "b"]);
        assert_eq!(s.licenses.get("MIT"), Some(&1));
        assert_eq!(s.licenses.get("MIT OR Apache-2.0"), Some(&1));
        assert_eq!(s.tools, ["CycloneDX cyclonedx-py 7"]);
        assert_eq!(s.name.as_deref(), Some("app 0.1"));
        let bounded = parse_cyclonedx_with(doc, &Limits { max_items: 1, ..Limits::default() }).unwrap();
        assert_eq!((bounded.packages, bounded.package_list.len(), bounded.package_list_truncated), (3, 1, true));
    }

    #[test]
    fn wrong_documents_say_why() {
        let e = parse_cyclonedx(br#"{"bomFormat":"SPDX","specVersion":"1.5"}"#).unwrap_err();
        assert_eq!(e.to_string(), "not a valid CycloneDX document: bomFormat is `SPDX`, not `CycloneDX`");
        assert!(parse_cyclonedx(br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":{}}"#).is_err());
        assert!(parse_cyclonedx(br#"{"bomFormat":"CycloneDX","specVersion":"1.5"} trailing"#).is_err());
        let e = parse_spdx(br#"{"spdxVersion":"SPDX-3.0"}"#).unwrap_err();
        assert_eq!(e.to_string(), "not a valid SPDX document: spdxVersion SPDX-3.0 is not SPDX-2.x");
    }

    #[test]
    fn spdx_packages_tools_and_licenses() {
        let doc = br#"{"spdxVersion":"SPDX-2.3","name":"doc","creationInfo":{"creators":["Tool: spdx-tools-0.8","Person: x"]},"packages":[{"name":"p","versionInfo":"1.0","licenseConcluded":"NOASSERTION","licenseDeclared":"MIT"},{"name":"q","licenseConcluded":"Apache-2.0"}]}"#;
        let s = parse_spdx(doc).unwrap();
        assert_eq!((s.spec_version.as_str(), s.packages), ("2.3", 2));
        assert_eq!(s.tools, ["spdx-tools-0.8"]);
        assert_eq!(s.licenses, BTreeMap::from([("MIT".to_string(), 1), ("Apache-2.0".to_string(), 1)]));
        assert_eq!(s.package_list[0], Package { name: "p".into(), version: Some("1.0".into()) });
    }
}
