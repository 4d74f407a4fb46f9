//! `CycloneDX` SBOMs of what the image holds: the binaries (their modules with versions, purls
//! and go.sum hashes, the standard library of the Go that built them, their build settings),
//! read from the build information embedded in each binary; and the Go distribution when it
//! is launched.

use crate::inventory::GoArtifact;
use base64::Engine as _;
use cyclonedx_bom::external_models::normalized_string::NormalizedString;
use cyclonedx_bom::external_models::uri::{Purl, Uri};
use cyclonedx_bom::models::bom::{Bom, SpecVersion};
use cyclonedx_bom::models::component::{Classification, Component, Components};
use cyclonedx_bom::models::dependency::{Dependencies, Dependency};
use cyclonedx_bom::models::external_reference::{
    ExternalReference, ExternalReferenceType, ExternalReferences,
};
use cyclonedx_bom::models::hash::{Hash, HashAlgorithm, HashValue, Hashes};
use cyclonedx_bom::models::metadata::Metadata;
use cyclonedx_bom::models::property::{Properties, Property};
use go_cnb_common::build_info::{read_binary_facts, BuildInfo, Module};
use libcnb::data::sbom::SbomFormat;
use libcnb::sbom::Sbom;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub(crate) enum SbomError {
    #[error("reading the binary {name} failed: {source}")]
    ReadBinary {
        name: String,
        source: std::io::Error,
    },
    #[error("the binary {0} holds no Go build information")]
    NoBuildInfo(String),
    #[error("rendering the CycloneDX JSON failed: {0}")]
    Render(String),
}

/// A binary of the image and what it was built from.
pub(crate) struct BuiltBinary {
    pub(crate) name: String,
    pub(crate) sha256: String,
    /// Go's build ID, which changes with the binary's content (absent when it has none).
    pub(crate) build_id: Option<String>,
    pub(crate) info: BuildInfo,
}

/// The shape of the SBOMs this buildpack writes, recorded in each; raised whenever what they
/// contain changes, so that tools reading them can tell.
const SBOM_LAYOUT: &str = "1";
const SBOM_LAYOUT_PROPERTY: &str = "gocnb:sbom-layout";

/// How a binary's component is referenced (`binary:<name>`).
const BINARY_REF_PREFIX: &str = "binary:";

/// What an SBOM of `binaries` holds, in words.
pub(crate) fn describe(binaries: &[BuiltBinary]) -> String {
    let modules: BTreeSet<&str> = binaries
        .iter()
        .flat_map(|binary| binary.info.deps.iter().map(|module| module.path.as_str()))
        .collect();
    let plural = |count: usize, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    format!(
        "{}, {} and the standard library",
        plural(binaries.len(), "binary", "binaries"),
        plural(modules.len(), "module", "modules")
    )
}

/// Reads what the SBOM says of each binary the build produced.
pub(crate) fn read_binaries(gobin: &Path, names: &[String]) -> Result<Vec<BuiltBinary>, SbomError> {
    let mut binaries = Vec::new();
    for name in names {
        let facts =
            read_binary_facts(&gobin.join(name)).map_err(|source| SbomError::ReadBinary {
                name: name.clone(),
                source,
            })?;
        binaries.push(BuiltBinary {
            name: name.clone(),
            sha256: facts.sha256,
            build_id: facts.build_id,
            info: facts
                .info
                .ok_or_else(|| SbomError::NoBuildInfo(name.clone()))?,
        });
    }
    Ok(binaries)
}

/// `pkg:golang/<module path>@<version>`: the path's elements stay as they are (module paths
/// only hold unreserved characters), a version's `+` (`+incompatible`) is percent-encoded.
fn golang_purl(path: &str, version: &str) -> Option<Purl> {
    Purl::from_str(&format!(
        "pkg:golang/{path}@{}",
        version.replace('+', "%2B")
    ))
    .ok()
}

/// A go.sum `h1:` hash is the base64 of a SHA-256 (of the module's file list and file hashes):
/// written as a hex SHA-256, as `CycloneDX` wants.
fn go_sum_hash(sum: &str) -> Option<Hashes> {
    let digest = base64::engine::general_purpose::STANDARD
        .decode(sum.strip_prefix("h1:")?)
        .ok()
        .filter(|bytes| bytes.len() == 32)?;
    Some(Hashes(vec![Hash {
        alg: HashAlgorithm::SHA_256,
        content: HashValue(go_cnb_common::hex(&digest)),
    }]))
}

fn component(classification: Classification, name: &str, version: Option<&str>) -> Component {
    let mut component = Component::new(classification, name, "", None);
    component.version = version.map(NormalizedString::new);
    component
}

/// A library component, referenced by its purl (`fallback_ref` when it has none).
fn library(name: &str, version: Option<&str>, fallback_ref: &str) -> (String, Component) {
    let purl = version.and_then(|version| golang_purl(name, version));
    let bom_ref = purl
        .as_ref()
        .map_or_else(|| fallback_ref.to_string(), ToString::to_string);
    let mut library = component(Classification::Library, name, version);
    library.bom_ref = Some(bom_ref.clone());
    library.purl = purl;
    (bom_ref, library)
}

/// A module dependency: the module that was built (its replacement, if one replaced it). A
/// module replaced by a directory keeps its own name, with the directory as a property.
fn module_component(module: &Module) -> (String, Component) {
    let (name, version, sum, properties) = match module.replacement.as_deref() {
        Some(local) if local.version.is_empty() || local.version == "(devel)" => (
            &module.path,
            None,
            "",
            vec![Property::new("golang:replaced-by-directory", &local.path)],
        ),
        Some(replacement) => (
            &replacement.path,
            Some(replacement.version.as_str()),
            replacement.sum.as_str(),
            vec![Property::new(
                "golang:replaces",
                &format!("{}@{}", module.path, module.version),
            )],
        ),
        None => (
            &module.path,
            Some(module.version.as_str()),
            module.sum.as_str(),
            Vec::new(),
        ),
    };
    let (bom_ref, mut library) = library(name, version, &format!("module:{name}"));
    library.hashes = go_sum_hash(sum);
    if !properties.is_empty() {
        library.properties = Some(Properties(properties));
    }
    (bom_ref, library)
}

/// The standard library of a Go release (`go1.26.6`), as SBOM tools name it.
fn standard_library(go_release: &str) -> (String, Component) {
    let (bom_ref, mut library) = library(
        "stdlib",
        Some(go_release.trim_start_matches("go")),
        "stdlib",
    );
    library.description = Some(NormalizedString::new("The Go standard library"));
    (bom_ref, library)
}

fn render(bom: &Bom) -> Result<Sbom, SbomError> {
    let mut json = Vec::new();
    bom.clone()
        .output_as_json(&mut json, SpecVersion::V1_5)
        .map_err(|error| SbomError::Render(error.to_string()))?;
    Ok(Sbom::from_bytes(SbomFormat::CycloneDxJson, json))
}

fn bom(
    metadata_component: Component,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
) -> Bom {
    Bom {
        // No serial number or timestamp: the same build gives the same SBOM.
        serial_number: None,
        metadata: Some(Metadata {
            component: Some(metadata_component),
            properties: Some(Properties(vec![Property::new(
                SBOM_LAYOUT_PROPERTY,
                SBOM_LAYOUT,
            )])),
            ..Metadata::default()
        }),
        components: Some(Components(components)),
        dependencies: (!dependencies.is_empty()).then_some(Dependencies(dependencies)),
        spec_version: SpecVersion::V1_5,
        ..Bom::default()
    }
}

/// The SBOM of the `target` layer: the app, each binary, and everything each was built from.
pub(crate) fn binaries_sbom(
    module_path: &str,
    binaries: &[BuiltBinary],
) -> Result<Sbom, SbomError> {
    let mut app = component(Classification::Application, module_path, None);
    app.bom_ref = Some(String::from("app"));
    let mut components = Vec::new();
    let mut libraries: BTreeMap<String, Component> = BTreeMap::new();
    let mut dependencies = vec![Dependency {
        dependency_ref: String::from("app"),
        dependencies: binaries
            .iter()
            .map(|binary| format!("{BINARY_REF_PREFIX}{}", binary.name))
            .collect(),
    }];
    for binary in binaries {
        let bom_ref = format!("{BINARY_REF_PREFIX}{}", binary.name);
        let mut application = component(Classification::Application, &binary.name, None);
        application.bom_ref = Some(bom_ref.clone());
        application.hashes = Some(Hashes(vec![Hash {
            alg: HashAlgorithm::SHA_256,
            content: HashValue(binary.sha256.clone()),
        }]));
        let mut properties = vec![
            Property::new("golang:package", &binary.info.path),
            Property::new("golang:go-version", &binary.info.go_version),
        ];
        properties.extend(
            binary
                .build_id
                .as_deref()
                .map(|id| Property::new("golang:build-id", id)),
        );
        properties.extend(
            binary
                .info
                .settings
                .iter()
                .map(|(key, value)| Property::new(format!("golang:build:{key}"), value)),
        );
        application.properties = Some(Properties(properties));
        components.push(application);

        let mut used = Vec::new();
        for module in &binary.info.deps {
            let (module_ref, library) = module_component(module);
            used.push(module_ref.clone());
            libraries.entry(module_ref).or_insert(library);
        }
        let (stdlib_ref, stdlib) = standard_library(binary.info.go_release());
        used.push(stdlib_ref.clone());
        libraries.entry(stdlib_ref).or_insert(stdlib);
        dependencies.push(Dependency {
            dependency_ref: bom_ref,
            dependencies: used,
        });
    }
    components.extend(libraries.into_values());
    render(&bom(app, components, dependencies))
}

/// The SBOM of the `go` layer (GOROOT): the Go distribution, where it came from and its checksum.
pub(crate) fn go_dist_sbom(artifact: &GoArtifact, url: &str) -> Result<Sbom, SbomError> {
    let version = artifact.version.to_string();
    let mut go = component(Classification::Framework, "go", Some(&version));
    go.bom_ref = Some(format!("go-distribution@{version}"));
    go.description = Some(NormalizedString::new(&format!(
        "The Go distribution for {}/{} (toolchain and standard library)",
        artifact.os, artifact.arch
    )));
    go.purl = golang_purl("stdlib", &version);
    go.hashes = Some(Hashes(vec![Hash {
        alg: HashAlgorithm::SHA_256,
        content: HashValue(go_cnb_common::hex(&artifact.checksum.value)),
    }]));
    go.external_references = Some(ExternalReferences(vec![ExternalReference::new(
        ExternalReferenceType::Distribution,
        Uri::new(url),
    )]));
    let mut layer = component(Classification::Application, "go", None);
    layer.bom_ref = Some(String::from("go"));
    render(&bom(layer, vec![go], Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cyclonedx_bom::validation::Validate;
    use go_cnb_common::build_info::parse_modinfo;

    fn binaries() -> Vec<BuiltBinary> {
        let web = parse_modinfo(
            "go1.26.6",
            "path\texample.test/shop/cmd/web\n\
             mod\texample.test/shop\t(devel)\t\n\
             dep\tgithub.com/go-chi/chi/v5\tv5.2.3\th1:WQIt9uxdsAbgIYgid+BpYc+liqQZGMHRaUwp0JUcvdE=\n\
             dep\tgithub.com/old/lib\tv2.0.0+incompatible\th1:WQIt9uxdsAbgIYgid+BpYc+liqQZGMHRaUwp0JUcvdE=\n\
             dep\texample.test/fork\tv1.0.0\t\n\
             =>\t../fork\t(devel)\t\n\
             dep\texample.test/upstream\tv1.0.0\th1:WQIt9uxdsAbgIYgid+BpYc+liqQZGMHRaUwp0JUcvdE=\n\
             =>\texample.test/patched\tv1.0.1\th1:WQIt9uxdsAbgIYgid+BpYc+liqQZGMHRaUwp0JUcvdE=\n\
             build\t-trimpath=true\n\
             build\tCGO_ENABLED=1\n",
        );
        let worker = parse_modinfo(
            "go1.26.6",
            "path\texample.test/shop/cmd/worker\n\
             mod\texample.test/shop\t(devel)\t\n\
             dep\tgithub.com/go-chi/chi/v5\tv5.2.3\th1:WQIt9uxdsAbgIYgid+BpYc+liqQZGMHRaUwp0JUcvdE=\n\
             build\t-trimpath=true\n",
        );
        vec![
            BuiltBinary {
                name: String::from("web"),
                sha256: "ab".repeat(32),
                build_id: Some(String::from("web-action/web-content")),
                info: web,
            },
            BuiltBinary {
                name: String::from("worker"),
                sha256: "cd".repeat(32),
                build_id: Some(String::from("worker-action/worker-content")),
                info: worker,
            },
        ]
    }

    fn json(sbom: &Sbom) -> serde_json::Value {
        assert_eq!(sbom.format, SbomFormat::CycloneDxJson);
        serde_json::from_slice(&sbom.data).expect("JSON")
    }

    #[test]
    fn the_binaries_sbom_lists_each_binary_its_modules_and_the_standard_library() {
        let sbom = json(&binaries_sbom("example.test/shop", &binaries()).expect("sbom"));
        insta::assert_snapshot!(serde_json::to_string_pretty(&sbom).expect("pretty"));
    }

    #[test]
    fn the_sboms_pass_the_libraries_own_validation() {
        let sbom = binaries_sbom("example.test/shop", &binaries()).expect("sbom");
        let bom = Bom::parse_from_json_v1_5(sbom.data.as_slice()).expect("parse");
        assert!(bom.validate().passed(), "{:?}", bom.validate());
    }

    #[test]
    fn go_sum_hashes_become_hex_sha256() {
        let hashes = go_sum_hash("h1:WQIt9uxdsAbgIYgid+BpYc+liqQZGMHRaUwp0JUcvdE=").expect("hash");
        assert_eq!(
            hashes.0[0].content.0,
            "59022df6ec5db006e021882277e06961cfa58aa41918c1d1694c29d0951cbdd1"
        );
        assert!(go_sum_hash("h1:short").is_none());
        assert!(go_sum_hash("").is_none());
    }

    #[test]
    fn the_output_says_what_the_sbom_holds() {
        let all = binaries();
        assert_eq!(
            describe(&all),
            "2 binaries, 4 modules and the standard library"
        );
        assert_eq!(
            describe(&all[1..]),
            "1 binary, 1 module and the standard library"
        );
    }
}
